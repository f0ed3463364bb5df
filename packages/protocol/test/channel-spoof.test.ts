import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { validateChannel, ProtocolError } from '../src/index.js'

/** The ERR_BAD_CHANNEL message for a name, or undefined when it is accepted. */
function refusal (name: string): string | undefined {
  try {
    validateChannel(name)
    return undefined
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe('ERR_BAD_CHANNEL')
    return (err as Error).message
  }
}

describe('channel names that pass for others (review 4, B2 Medium 2)', () => {
  it.each([
    // Latin mixed with another script's look-alike letter
    ['#l\u0585bby', 'Armenian oh'],
    ['#l\u2c9fbby', 'Coptic o'],
    ['#L\ua4f3BBY', 'Lisu O'],
    ['#lob\u07cay', "N'Ko a"],
    ['#\u0261oogle', 'Latin script g (IPA)'],
    ['#\u01c0obby', 'Latin dental click'],
    ['#\u0251bc', 'Latin alpha'],
    ['#l\u1d0fbby', 'Latin small capital o'],
    ['#g\u0585\u0585gle', 'two Armenian ohs'],
    ['#\u0561pple', 'Armenian ayb'],
    ['#news\u0966', 'Latin with a Devanagari digit'],
    ['#l\u0585bby\u0585', 'Armenian letters around Latin'],
    ['#\u0430pple', 'Cyrillic a'],
    ['#\u03bfpen', 'Greek omicron'],
    // written wholly in letters of another script that pass for Latin ones (whole-script confusables)
    ['#\u0440\u043e\u0440', 'Cyrillic рор for pop'],
    ['#\u0430\u0440\u0440\u0435', 'Cyrillic арре for appe'],
    ['#\u0421\u041e\u0420-2024', 'Cyrillic СОР with digits'],
    ['#\u0391\u0392\u0395', 'Greek ΑΒΕ for ABE'],
    ['#\u0585\u0585', 'Armenian օօ for oo'],
    ['#\u0451\u0445', 'Cyrillic ёх for ëx'],
    // script-less look-alikes of ' and -, which no script rule tells apart
    ['#don\u2019t', "right single quotation mark for '"],
    ['#don\u02bct', "modifier letter apostrophe for '"],
    ['#Hawai\u02bbi', "ʻokina for '"],
    ['#a\u2010b', "hyphen for '-'"],
    // not characters at all, or not yet
    ['#a\u0378', 'an unassigned code point'],
    ['#a\ufdd0', 'a noncharacter'],
    ['#a\uffff', 'a noncharacter'],
    ['#a\u{10fffe}', 'a noncharacter'],
    ['#a\u{e0080}', 'an unassigned code point'],
    // visible but not for names: emoji, symbols, technical letters
    ['#lobby\u2764', 'an emoji'],
    ['#a+b', "'+'"],
    ['#\u2126', 'Ohm sign'],
    ['#\u0131\u0307', 'a dotless i with a dot above'],
    // the same nonspacing mark twice is drawn as one
    ['#a\u0308\u0308', 'two diaereses'],
    ['#q\u0308\u0308', 'two diaereses on a letter with none precomposed'],
    ['#i\u0307', 'an i with a second dot above'],
    ['#\u00e4\u0308', 'a diaeresis on ä'],
    // digits of two systems: ٣ and ۳ are drawn alike, so are 0 and ০ with Latin
    ['#\u0661\u06f1', 'Arabic-Indic and extended Arabic-Indic digits'],
    ['#\u0663\u06f3', 'Arabic-Indic and extended Arabic-Indic three']
  ])('refuses %j (%s) with ERR_BAD_CHANNEL', (name) => {
    expect(refusal(name)).toBeDefined()
  })

  it.each([
    ['#lobby'], ['#café'], ['#Café'], ['#東京'], ['#москва'], ['#日本語とEnglish'], ['#한국어'], ['#ελληνικά'],
    ['#2024'], ['#a-b_c'], ['#a.b'], ['#a:b'], ['#don\'t'], ['#東京news'], ['#한국2024'], ['#café-crème'],
    ['#αθήνα'], ['#עברית'], ['#العربية'], ['#हिन्दी'], ['#தமிழ்'], ['#ไทย'], ['#ქართული'], ['#հայերեն'],
    ['#አማርኛ'], ['#ខ្មែរ'], ['#中文'], ['#繁體中文'], ['#カタカナ'], ['#ひらがな'], ['#l·l'], ['#\u0663\u0663'],
    ['#Straße'], ['#Ærøskøbing'], ['#İstanbul'], ['#ıslak'], ['#việt-nam'], ['#x\u0301']
  ])('accepts %j', (name) => {
    expect(refusal(name), name).toBeUndefined()
  })

  it('names the character refused and what rule it breaks', () => {
    expect(refusal('#l\u0585bby')).toBe('bad channel name "#l\u0585bby": U+0585 is of another script than the letters before it (a name keeps to one script, or mixes Latin only with Han, kana or Hangul)')
    expect(refusal('#\u0261oogle')).toBe('bad channel name "#\u0261oogle": U+0261 is not a character names may hold (UTS #39 Identifier_Status: only letters, marks and digits in common use, \'-\', \'_\', \'.\', \':\', \'\'\' and \'·\')')
    expect(refusal('#a\u0378')).toBe('bad channel name "#a\\u{378}": U+0378 is not a character names may hold (UTS #39 Identifier_Status: only letters, marks and digits in common use, \'-\', \'_\', \'.\', \':\', \'\'\' and \'·\')')
    expect(refusal('#don\u2019t')).toBe('bad channel name "#don\u2019t": U+2019 passes for U+0027 ("\'"): write that instead')
    expect(refusal('#\u0440\u043e\u0440')).toBe('bad channel name "#\u0440\u043e\u0440": written wholly in letters that pass for Latin letters or digits, as U+0440 does, so it would pass for a Latin name')
    expect(refusal('#\u0661\u06f1')).toBe('bad channel name "#\u0661\u06f1": U+06F1 is a digit of another number system than U+0661')
    expect(refusal('#q\u0308\u0308')).toBe('bad channel name "#q\u0308\u0308": U+0308 twice in a row on one letter, drawn as one')
    expect(refusal('#\u0131\u0307')).toBe('bad channel name "#\u0131\u0307": U+0307 on a letter drawn with a dot already, or on a dotless i')
  })

  it('never depends on what the engine calls a letter: the tables are pinned to one Unicode version', async () => {
    const { CHANNEL_UNICODE_VERSION, CHANNEL_AGE_FLOOR } = await import('../src/channel-table.js')
    expect(CHANNEL_UNICODE_VERSION).toBe('17.0.0')
    expect(CHANNEL_AGE_FLOOR).toBe('15.0')
    // U+088F (Arabic, new in Unicode 17.0) is Allowed by UTS #39 17.0.0 but past the floor
    expect(refusal('#\u0628\u088f')).toContain('U+088F is not a character names may hold')
  })
})

describe('the pinned tables against this engine', () => {
  it('hold only assigned characters that are drawn, NFKC-stable and in the script the engine knows them by', async () => {
    const { ALLOWED_RUNS, SCRIPT_SETS } = await import('../src/channel-table.js')
    const numbers = ALLOWED_RUNS.split(' ').map((n) => parseInt(n, 36))
    let end = -1
    let count = 0
    for (let i = 0; i < numbers.length; i += 3) {
      const from = end + 1 + (numbers[i] as number)
      end = from + (numbers[i + 1] as number)
      const set = SCRIPT_SETS[numbers[i + 2] as number] as string
      for (let code = from; code <= end; code++) {
        const c = String.fromCodePoint(code)
        count++
        const where = `U+${code.toString(16)}`
        expect(/[\p{Cn}\p{Cs}\p{Co}\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u.test(c), where).toBe(false)
        expect(c.normalize('NFKC'), where).toBe(c)
        if (set === '') {
          expect(/[\p{sc=Zyyy}\p{sc=Zinh}]/u.test(c), where).toBe(true)
        } else {
          expect(set.split(' ').some((script) => new RegExp(`\\p{scx=${script}}`, 'u').test(c)), where).toBe(true)
        }
      }
    }
    expect(count).toBe(33786)
  })
})

describe('names that cannot both be valid and different', () => {
  // characters that NFKC folds together, look-alikes across scripts, marks, digits of several systems
  const alphabet = [...'lobyIO0- _.\'·\u0430\u043e\u0585\u03bf\u2c9f\u0261\u0131\u0069\u0307\u0308\u00e4\ufb01\uff4f\u2019\u02bc\u0661\u06f1\u0966\u6771\u3068\u1100\u1161\uac00']
  const name = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 8 }).map((cs) => `#${cs.join('')}`)

  it('NFKC-equal names: at most one is valid', () => {
    fc.assert(fc.property(name, name, (a, b) => {
      if (a !== b && a.normalize('NFKC') === b.normalize('NFKC')) {
        expect(refusal(a) === undefined && refusal(b) === undefined).toBe(false)
      }
    }), { numRuns: 2000 })
  })

  it('a valid name never mixes a letter of Latin with one of Greek, Cyrillic, Armenian or Coptic', () => {
    const scripts = [/\p{sc=Greek}/u, /\p{sc=Cyrillic}/u, /\p{sc=Armenian}/u, /\p{sc=Coptic}/u]
    fc.assert(fc.property(name, (a) => {
      if (refusal(a) === undefined && /\p{sc=Latin}/u.test(a)) {
        expect(scripts.some((script) => script.test(a)), a).toBe(false)
      }
    }), { numRuns: 2000 })
  })
})
