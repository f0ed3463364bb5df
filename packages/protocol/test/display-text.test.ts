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
