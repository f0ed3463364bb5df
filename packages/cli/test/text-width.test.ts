/**
 * Terminal width of text (issue 16 item 1): wide characters, emoji sequences and combining marks are
 * measured in columns, never as characters, and wrapping keeps every grapheme whole and every one of them.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bodyLines, columns, graphemes, wrap } from '../src/text.js'

/** Columns tmux 3.3a gives each (measured with a cursor position report): a terminal that lacks a sequence draws its parts. */
const TMUX_COLUMNS: Array<[string, number]> = [
  ['日本語', 6], ['e\u0301a\u0308', 2], ['👩\u200d💻', 2], ['🇯🇵', 2], ['❤\ufe0f', 1], ['👍🏽', 4], ['ｱ', 1]
]

const CJK = '日本語の文章を正しく表示するためには文字の幅を数える必要があります'

describe('columns', () => {
  it('counts wide characters two, marks nothing, ASCII one', () => {
    expect(columns('日本 ok')).toBe(7)
    expect(columns('e\u0301')).toBe(1)
    expect(columns('plain ascii')).toBe(11)
    expect(columns('')).toBe(0)
  })

  it('never counts fewer columns than a terminal draws, nor fewer than one glyph of a sequence', () => {
    for (const [text, drawn] of TMUX_COLUMNS) {
      expect(columns(text), JSON.stringify(text)).toBeGreaterThanOrEqual(drawn)
    }
    // a skin tone drawn apart by tmux takes four columns there: counted four, it cannot spill over a row
    expect(columns('👍🏽')).toBe(4)
    // a sequence a terminal draws as one glyph still counts its parts: 👩 and 💻 side by side
    expect(columns('👩\u200d💻')).toBe(4)
    expect(columns('🇯🇵')).toBe(2)
  })
})

describe('wrap', () => {
  it('keeps all 120 characters of a CJK post at 110 columns', () => {
    const body = Array.from({ length: 120 }, (_, i) => [...CJK][i % [...CJK].length]).join('')
    const lines = bodyLines(body, 110, '    ')
    expect(lines.map((line) => line.slice(4)).join('')).toBe(body)
    for (const line of lines) expect(columns(line)).toBeLessThanOrEqual(110)
    expect(lines).toHaveLength(3)
  })

  it('keeps " end" of a long post at 80 columns, whatever came before it', () => {
    for (const filler of ['word '.repeat(30), '日本'.repeat(40), '👍🏽 '.repeat(30), 'e\u0301'.repeat(150)]) {
      const lines = bodyLines(`${filler} end`, 80, '    ')
      expect(lines.at(-1)?.trimStart().endsWith('end'), filler).toBe(true)
      for (const line of lines) expect(columns(line)).toBeLessThanOrEqual(80)
    }
  })

  it('cuts only between graphemes, loses none, and no line is wider than the width', () => {
    const unit = fc.constantFrom('a', 'z', ' ', ' ', '日', '語', 'ｱ', '·', '👩\u200d💻', '👨\u200d👩\u200d👧\u200d👦', '🇯🇵', '🇫🇷',
      '👍🏽', '❤\ufe0f', '🏳\ufe0f\u200d🌈', 'e\u0301', 'a\u0308\u0323', 'न', 'म', 'स्', 'ते', 'ก', 'ำ')
    fc.assert(fc.property(fc.array(unit, { maxLength: 200 }), fc.integer({ min: 10, max: 120 }), (units, width) => {
      const text = units.join('')
      const lines = wrap(text, width)
      for (const line of lines) expect(columns(line)).toBeLessThanOrEqual(width)
      const shown = (parts: string[]): string[] => parts.flatMap((part) => [...graphemes(part)]).filter((g) => g !== ' ')
      expect(shown(lines)).toEqual(shown([text]))
    // the example CI found: the word carried over from a space left no room for the next grapheme
    }), { numRuns: 300, examples: [[['a', ' ', 'a', '❤\ufe0f', '👨\u200d👩\u200d👧\u200d👦'], 10]] })
  })
})
