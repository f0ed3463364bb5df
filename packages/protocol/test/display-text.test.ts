/**
 * Cutting display text between graphemes (issue 16 items 1 and 2): the CLI and the browser page cut
 * with the same functions, never inside an emoji sequence, a flag or a letter and its marks.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cutGraphemes, graphemes } from '../src/index.js'

const UNITS = ['a', ' ', '日', '👩\u200d💻', '👨\u200d👩\u200d👧\u200d👦', '🇯🇵', '👍🏽', '❤\ufe0f', 'e\u0301', 'a\u0308\u0323', 'क्ष', 'ก', 'ำ', '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}']

describe('graphemes', () => {
  it('splits between what a reader sees as characters', () => {
    expect([...graphemes('e\u0301👩\u200d💻🇯🇵🇫🇷日')]).toEqual(['e\u0301', '👩\u200d💻', '🇯🇵', '🇫🇷', '日'])
    expect([...graphemes('')]).toEqual([])
  })

  it('takes every character of the text it does not segment for a grapheme of its own, as Intl.Segmenter does', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    const ranges: Array<[number, number]> = [[0x20, 0x7e], [0xa0, 0xff], [0x2010, 0x2027], [0x2030, 0x205e], [0x2190, 0x2bff],
      [0x3000, 0x3029], [0x3030, 0x3098], [0x309b, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xff01, 0xff9d]]
    const wrong: string[] = []
    for (const [from, to] of ranges) {
      for (let code = from; code <= to; code++) {
        const c = String.fromCodePoint(code)
        // joined neither to what comes before nor to what follows, itself included (Hangul, regional indicators)
        const text = `a${c}${c}a`
        if ([...segmenter.segment(text)].length !== 4) wrong.push(code.toString(16))
        if ([...graphemes(text)].length !== 4) wrong.push(`fast ${code.toString(16)}`)
      }
      // one past each end is outside the fast path: that text is segmented
      expect([...graphemes(`${String.fromCodePoint(to + 1)}e\u0301`)]).toHaveLength(2)
    }
    expect(wrong).toEqual([])
    // the fast path and the segmenter agree on text that mixes both
    expect([...graphemes('日本 ok 한국 → ｆ')]).toEqual([...segmenter.segment('日本 ok 한국 → ｆ')].map((s) => s.segment))
    expect([...graphemes('日本e\u0301')]).toEqual(['日', '本', 'e\u0301'])
  })
})

describe('cutGraphemes', () => {
  it('keeps whole graphemes and marks a cut with an ellipsis', () => {
    expect(cutGraphemes('👩\u200d💻'.repeat(3), 2)).toBe('👩\u200d💻👩\u200d💻…')
    expect(cutGraphemes('e\u0301'.repeat(3), 3)).toBe('e\u0301'.repeat(3))
    expect(cutGraphemes('🇯🇵🇫🇷', 1)).toBe('🇯🇵…')
    expect(cutGraphemes('abc', 0)).toBe('…')
  })

  it('returns a prefix of whole graphemes, for any text and length', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...UNITS), { maxLength: 60 }), fc.nat(70), (units, max) => {
      const text = units.join('')
      const all = [...graphemes(text)]
      const cut = cutGraphemes(text, max)
      if (all.length <= max) {
        expect(cut).toBe(text)
      } else {
        expect(cut).toBe(`${all.slice(0, max).join('')}…`)
        expect([...graphemes(cut.slice(0, -1))]).toEqual(all.slice(0, max))
      }
    }), { numRuns: 300 })
  })
})
