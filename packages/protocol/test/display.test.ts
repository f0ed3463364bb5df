import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PSEUDONYM_NAME_BITS, displayLine, displayText, pseudonymHue, pseudonymName } from '../src/index.js'
import { sodium } from '../src/sodium.js'

/** What no UI or log may show raw: controls but LF, bidi controls, separators, U+FEFF, zero-width and invisible format characters. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u
const JOINER = /[\u200c\u200d]/u
const VARIATION_SELECTOR = /[\u180b-\u180d\u180f\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u
const NON_SHAPING = /[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Armenian}\p{sc=Georgian}\p{sc=Hebrew}\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Bopomofo}\p{sc=Common}\p{sc=Inherited}]/u

/** Characters attackers and real scripts use, mixed with any code point (lone surrogates included). */
const TRICKY = [
  '\u0000', '\u0007', '\u001b', '[2J', '\t', '\n', '\r', '\v', '\f', '\u007f', '\u0085', '\u009b', '\u00a0', '\u00ad', '\u034f',
  '\u061c', '\u115f', '\u180e', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2028', '\u2029', '\u202a', '\u202e',
  '\u2060', '\u2066', '\u2069', '\u2800', '\u3000', '\u3164', '\ufe0f', '\ufeff', '\ufff9', '\u{e0001}', '\u{e0067}', '\u{e007f}',
  '\u0301', '\u094d', '\u064e', 'a', 'Z', ' ', '.', '1', 'क', 'ष', 'ب', 'م', 'ශ', 'ර', 'я', '日', '👩', '💻', '🔥', '❤', '🏴', '🏽'
]
const charArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)) }
)
const textArb = fc.array(charArb, { maxLength: 60 }).map((chars) => chars.join(''))

/** Every joiner kept sits where it is drawn: between emoji, or after a letter (or mark) of a shaping script, before a letter or mark. */
function joinersVisible (text: string): boolean {
  const chars = Array.from(text)
  return chars.every((c, i) => {
    if (!JOINER.test(c)) return true
    const prev = chars[i - 1] ?? ''
    // displayLine judges the first joiner of a run by what follows the run: skip the others' escapes
    const next = Array.from(chars.slice(i + 1).join('').replace(/^(\\u\{200[cd]\})+/, ''))[0] ?? ''
    if (c === '\u200d' && /[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f]/u.test(prev) && /\p{Extended_Pictographic}/u.test(next)) return true
    let base = i - 1
    while (base > 0 && /[\p{Mn}\p{Me}\p{Mc}]/u.test(chars[base] ?? '')) base--
    const letter = chars[base] ?? ''
    return /[\p{L}\p{M}]/u.test(prev) && /[\p{L}\p{M}]/u.test(next) && /\p{L}/u.test(letter) && !NON_SHAPING.test(letter)
  })
}

/** The hidden characters a UI may show: joiners and selectors where visible, and the tags of a subdivision flag. */
function onlyVisibleHidden (text: string): boolean {
  const withoutFlags = text.replace(/\u{1f3f4}[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{2,7}\u{e007f}/gu, '🏴')
  return Array.from(withoutFlags).every((c, i, chars) => {
    if (c === '\n' || !HIDDEN.test(c)) return true
    if (JOINER.test(c)) return true // checked by joinersVisible
    if (VARIATION_SELECTOR.test(c)) return /[\p{L}\p{N}\p{P}\p{S}]/u.test(chars[i - 1] ?? '')
    return false
  })
}

describe('displayText', () => {
  it('removes controls, bidi controls, separators and invisible characters; keeps only visible joiners and selectors', () => {
    fc.assert(fc.property(textArb, (text) => {
      const shown = displayText(text)
      expect(onlyVisibleHidden(shown)).toBe(true)
      expect(joinersVisible(shown)).toBe(true)
      // eslint-disable-next-line no-control-regex
      expect(shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/u)
      expect(shown).not.toMatch(/[\u200c\u200d]{2}/u)
    }), { numRuns: 2000 })
  })

  it('never shows two blank lines in a row, nor a blank line or trailing space at either end', () => {
    fc.assert(fc.property(textArb, (text) => {
      const shown = displayText(text)
      expect(shown).not.toMatch(/\n[ ]*\n[ ]*\n/)
      expect(shown).not.toMatch(/^\s*\n|\n\s*$/)
      expect(shown).not.toMatch(/ \n| $/)
    }), { numRuns: 1000 })
    expect(displayText(`${'\n'.repeat(30)}a${' \n'.repeat(30)}\u2028\u2029\u200b\n\u3000\t\nb${'\n'.repeat(30)}`)).toBe('a\n\nb')
  })

  it('is idempotent', () => {
    fc.assert(fc.property(textArb, (text) => {
      const once = displayText(text)
      expect(displayText(once)).toBe(once)
    }), { numRuns: 2000 })
  })

  it('leaves ordinary text alone', () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019 .,;:!?()[]{}\'"-_/\\@#€éñ日本語яπ'), maxLength: 80 })
    fc.assert(fc.property(printable, (line) => {
      const text = line.trim()
      expect(displayText(text)).toBe(text.replace(/ +$/gm, ''))
      expect(displayLine(line)).toBe(line)
    }))
    expect(displayText('one\ntwo\n\nthree')).toBe('one\ntwo\n\nthree')
  })

  it.each([
    ['Persian with a ZWNJ', 'می\u200cخواهم'],
    ['Devanagari half form (virama + ZWJ)', 'क्\u200dष'],
    ['Devanagari without conjunct (virama + ZWNJ)', 'क्\u200cष'],
    ['Sinhala', 'ශ්\u200dරී ලංකා'],
    ['an emoji ZWJ sequence with a skin tone', '👩🏽\u200d💻'],
    ['an emoji ZWJ sequence after VS16', '❤\ufe0f\u200d🔥'],
    ['a keycap', '1\ufe0f\u20e3'],
    ['the flag of Scotland', '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}'],
    ['an ideographic variation sequence', '葛\u{e0100}']
  ])('keeps %s', (_name, text) => {
    expect(displayText(text)).toBe(text)
    expect(displayLine(text)).toBe(text)
  })

  it.each([
    ['a joiner in Latin text', 'pay\u200dpal', 'paypal'],
    ['a ZWNJ in Cyrillic text', 'а\u200cdmin', 'аdmin'],
    ['a run of joiners in Persian', 'می\u200c\u200c\u200cخواهم', 'می\u200cخواهم'],
    ['a joiner after a bidi control', 'क्\u202e\u200dष', 'क्ष'],
    ['a ZWNJ between emoji', '👩\u200c💻', '👩💻'],
    ['tags outside a flag (ASCII smuggling)', 'hi\u{e0069}\u{e0067}\u{e006e}', 'hi'],
    ['a flag with upper-case tags', '🏴\u{e0047}\u{e0042}\u{e007f}', '🏴'],
    ['a selector with no base', '\ufe0fa\ufe0f\ufe0f', 'a\ufe0f'],
    ['Hangul fillers', '\u3164\u115fname\uffa0', 'name'],
    ['stacked marks beyond eight', `Z${'\u0301'.repeat(40)}a`, `Z${'\u0301'.repeat(8)}a`],
    ['stacked marks across a removed character', `Z${'\u0301'.repeat(6)}\u202e${'\u0301'.repeat(6)}`, `Z${'\u0301'.repeat(8)}`],
    ['CR LF and lone CR', 'a\r\nb\rc', 'a\nb\nc'],
    ['escape sequences', 'hi\u001b[2J\u009b31m', 'hi[2J31m'],
    ['NBSP and the blank braille pattern', 'a\u00a0b\u2800c', 'a b c']
  ])('removes %s', (_name, text, shown) => {
    expect(displayText(text)).toBe(shown)
  })
})

describe('displayLine', () => {
  it('is one line in which every hidden character is escaped, and nothing else changes', () => {
    fc.assert(fc.property(textArb, (text) => {
      const line = displayLine(text)
      expect(line).not.toMatch(/[\n\r\v\f\u0085\u2028\u2029]/u)
      expect(onlyVisibleHidden(line)).toBe(true)
      expect(joinersVisible(line)).toBe(true)
      // each escape stands for exactly the character it names
      const unescaped = line.replace(/\\u\{([0-9a-f]+)\}/g, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
        .replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\t/g, '\t')
      expect(Array.from(unescaped).length).toBeLessThanOrEqual(Array.from(text).length)
    }), { numRuns: 2000 })
    // a run of joiners: the first is judged by what follows the run, the others are escaped
    expect(displayLine('ب\u200c\u200d\u0301')).toBe('ب\u200c\\u{200d}\u0301')
    expect(joinersVisible(displayLine('ب\u200c\u200d\u0301'))).toBe(true)
    expect(joinersVisible(displayLine('कि\u200dष'))).toBe(true)
  })

  it('shows what it escapes', () => {
    expect(displayLine('evil\u202etxt.exe\nFAKE LOG LINE\u2028\ufeff\u200b\t\u001b')).toBe('evil\\u{202e}txt.exe\\nFAKE LOG LINE\\u{2028}\\u{feff}\\u{200b}\\t\\u{1b}')
    expect(displayLine('\ud800')).toBe('\\u{d800}')
  })
})

describe('pseudonymName', () => {
  const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 })
  const CONSONANTS = 'bdfghjklmnprstvz'
  const PROQUINT = `[${CONSONANTS}][aiou][${CONSONANTS}][aiou][${CONSONANTS}]`

  /** The bits a name shows, read back from it. */
  function bitsOf (name: string): bigint {
    let bits = 0n
    for (const c of name.replace(/-/g, '')) {
      const consonant = CONSONANTS.indexOf(c)
      bits = consonant >= 0 ? (bits << 4n) | BigInt(consonant) : (bits << 2n) | BigInt('aiou'.indexOf(c))
    }
    return bits
  }

  /** SHA-256("murmur/v2/name" || key), computed apart from the package (node:crypto). */
  function nameHash (key: Uint8Array): Buffer {
    return createHash('sha256').update('murmur/v2/name').update(key).digest()
  }

  it(`shows ${PSEUDONYM_NAME_BITS} bits (at least 40) of SHA-256("murmur/v2/name" || key), as three proquints`, () => {
    expect(PSEUDONYM_NAME_BITS).toBeGreaterThanOrEqual(40)
    fc.assert(fc.property(keyArb, (key) => {
      const name = pseudonymName(key)
      expect(name).toMatch(new RegExp(`^${PROQUINT}-${PROQUINT}-${PROQUINT}$`))
      const shown = nameHash(key).subarray(0, PSEUDONYM_NAME_BITS / 8).reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n)
      expect(bitsOf(name)).toBe(shown)
    }))
    // pinned, so that every UI (the chat, the commands, the page) names a key alike
    expect(pseudonymName(new Uint8Array(32))).toBe('jisij-dahid-dumuf')
  })

  it('names two keys differently when they differ in any bit', () => {
    fc.assert(fc.property(keyArb, fc.integer({ min: 0, max: 255 }), (key, bit) => {
      const other = key.slice()
      other[bit >> 3] = (other[bit >> 3] ?? 0) ^ (1 << (bit & 7))
      expect(pseudonymName(other)).not.toBe(pseudonymName(key))
    }))
  })

  it('spreads ring-signed posts\' names (thread tags, ristretto255 encodings) over every letter (failed: the first word\'s middle letter took 8 of 16 consonants)', () => {
    // ristretto255 encodings of i·B for i = 1..2000: deterministic, and like every thread tag their first bit is 0
    const seen = Array.from({ length: 15 }, () => new Set<string>())
    for (let i = 1; i <= 2000; i++) {
      const scalar = new Uint8Array(32)
      scalar[0] = i & 255
      scalar[1] = i >> 8
      const tag = sodium.crypto_scalarmult_ristretto255_base(scalar)
      expect(tag[0]! & 1).toBe(0)
      Array.from(pseudonymName(tag).replace(/-/g, '')).forEach((letter, at) => seen[at]!.add(letter))
    }
    // every consonant position shows all 16 consonants, every vowel position all 4 vowels
    expect(seen.map((letters) => letters.size)).toEqual(Array.from({ length: 15 }, (_, at) => at % 5 % 2 === 0 ? 16 : 4))
  })

  it('gives a hue from bits of the hash that the name does not show', () => {
    fc.assert(fc.property(keyArb, (key) => {
      const hash = nameHash(key)
      expect(pseudonymHue(key)).toBe(((hash[6]! << 8) | hash[7]!) % 360)
    }))
  })

  it('refuses what is not a 32-byte key', () => {
    expect(() => pseudonymName(new Uint8Array(31))).toThrow(RangeError)
    expect(() => pseudonymHue(new Uint8Array(33))).toThrow('expected 32-byte public key, got 33')
    expect(() => pseudonymName('ab'.repeat(32) as unknown as Uint8Array)).toThrow(TypeError)
  })
})
