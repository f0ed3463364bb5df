import { describe, expect, it } from 'vitest'
import { channelTopic, circleChannel, displayLine, displayText, isCircleChannel, validateChannel, ProtocolError } from '../src/index.js'

describe('channels and topics', () => {
  it('maps channels to topics', () => {
    expect(channelTopic('#lobby')).toBe('murmur/2/#lobby')
    expect(channelTopic('geo:u4pruyd')).toBe('murmur/2/geo:u4pruyd')
    const circle = circleChannel(new Uint8Array(32).fill(7))
    expect(circle).toMatch(/^circle:[0-9a-f]{32}$/)
    expect(isCircleChannel(circle)).toBe(true)
    expect(channelTopic(circle)).toBe(`murmur/2/circle/${circle.slice(7)}`)
  })

  it.each([
    [''], ['lobby'], ['#'], ['#two words'], ['#a/b'], ['geo:aaaa'], ['geo:'], ['circle:xyz'], ['#' + 'a'.repeat(64)],
    ['#cafe\u0301'], // not NFC
    ['#\uD800'], // a lone surrogate
    ['#\u2764'] // an emoji: not Identifier_Status Allowed (UTS #39)
  ])('rejects %j with ERR_BAD_CHANNEL', (name) => {
    let caught: unknown
    try { validateChannel(name) } catch (err) { caught = err }
    expect(caught).toBeInstanceOf(ProtocolError)
    expect((caught as ProtocolError).code).toBe('ERR_BAD_CHANNEL')
  })

  it.each([['#lobby'], ['#Café'], ['#' + 'a'.repeat(63)], ['geo:u4pruydqqvj8'], ['#日本'], ['#한국'], ['#हिन्दी'], ['#a:b']])('accepts %j', (name) => {
    expect(() => { validateChannel(name) }).not.toThrow()
  })
})

/** The ERR_BAD_CHANNEL message for a name, or undefined when it is accepted. */
function refusal (name: string): string | undefined {
  try {
    validateChannel(name)
    return undefined
  } catch (err) {
    expect((err as ProtocolError).code).toBe('ERR_BAD_CHANNEL')
    return (err as Error).message
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('look-alike channel names (issue 12, Low 15)', () => {
  it.each([
    ['variation selectors', [...range(0xfe00, 0xfe0f), ...range(0xe0100, 0xe01ef), ...range(0x180b, 0x180d), 0x180f]],
    ['Hangul fillers', [0x3164, 0x115f, 0x1160, 0xffa0]],
    ['other blank or invisible characters', [0x034f, 0x00ad, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x2800, 0x16fe4, 0x17b4, 0x17b5, 0x2065, 0xe0001, 0xe0061, 0xe007f, 0x1bca0]],
    ['spaces and separators', [0x00a0, 0x1680, 0x2000, 0x200a, 0x202f, 0x205f, 0x3000, 0x2028, 0x2029]],
    ['private use', [0xe000, 0xf8ff, 0xf0000]]
  ])('refuses %s inside, after or as the whole of a name', (_, codes) => {
    for (const code of codes) {
      const c = String.fromCodePoint(code)
      for (const name of [`#news${c}`, `#ne${c}ws`, `#${c}`, `#${c}news`]) {
        const message = refusal(name)
        expect(message, `U+${code.toString(16)} in ${JSON.stringify(name)}`).toBeDefined()
        // the message names the character and never carries it raw
        expect(message).not.toContain(c)
      }
    }
  })

  it('says which character is refused', () => {
    expect(refusal('#news\uFE0F')).toBe('bad channel name "#news\\u{fe0f}": U+FE0F is a space, \'/\', \'#\', or a character drawn as nothing or blank')
    expect(refusal('#\u3164')).toBe('bad channel name "#\\u{3164}": U+3164 is a space, \'/\', \'#\', or a character drawn as nothing or blank')
  })

  it('refuses compatibility forms that look like other letters (NFKC), naming the plain form', () => {
    expect(refusal('#\ufb01le')).toBe('bad channel name "#\ufb01le": not in Unicode NFKC form (write it "#file")')
    expect(refusal('#ｎｅｗｓ')).toContain('(write it "#news")')
    expect(refusal('#x\u2126')).toBeDefined() // OHM SIGN, canonically Ω
  })

  it('refuses a name mixing Latin, Greek and Cyrillic letters, which look alike', () => {
    expect(refusal('#n\u0435ws')).toBe('bad channel name "#n\u0435ws": U+0435 is of another script than the letters before it (a name keeps to one script, or mixes Latin only with Han, kana or Hangul)')
    expect(refusal('#\u03bfpen')).toBeDefined() // Greek omicron
    expect(refusal('#\u0440\u0430y')).toBeDefined() // Cyrillic р, а
    for (const name of ['#news', '#москва', '#αθήνα', '#東京news', '#한국2024', '#café-crème']) {
      expect(refusal(name), name).toBeUndefined()
    }
  })

  it('refuses a letter carrying more combining marks than every UI shows', () => {
    // nine different marks of one combining class, in NFKC order, none composing with x
    const marks = '\u0301\u0300\u0302\u0303\u0304\u0306\u0308\u0309\u030a'
    expect(refusal(`#x${marks.slice(0, 8)}`)).toBeUndefined()
    expect(refusal(`#x${marks}`)).toBe(`bad channel name "#x${marks.slice(0, 8)}": too many combining marks on one character`)
  })

  it('every accepted name is shown exactly as it is by every UI, for every code point', () => {
    // one rule: validateChannel never accepts what displayText/displayLine would change or hide
    // unassigned and private-use code points (most of them; private use is refused above) are left out
    for (let code = 0; code <= 0x10ffff; code++) {
      const c = String.fromCodePoint(code)
      if (/[\p{Cn}\p{Cs}\p{Co}]/u.test(c)) continue
      for (const name of [`#a${c}`, `#${c}`]) {
        if (refusal(name) === undefined) {
          if (displayLine(name) !== name || displayText(name) !== name) {
            expect.fail(`${name} (U+${code.toString(16)}) is accepted but shown as ${displayLine(name)}`)
          }
        }
      }
    }
  })
})
