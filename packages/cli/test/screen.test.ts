/**
 * The chat's frame measures rows in terminal columns: a row of wide characters is cut at the width,
 * not at as many characters, so the terminal never wraps it into the next row.
 */
import { describe, expect, it } from 'vitest'
import { drawFrame } from '../src/chat/screen.js'
import { columns } from '../src/text.js'

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g

describe('chat frame', () => {
  it('cuts rows of wide characters at the width in columns, never inside a grapheme', () => {
    const frame = {
      header: [{ text: '#日本語 ', bold: true }, { text: '中文'.repeat(40) }],
      lines: [[{ text: '    ' }, { text: '👩\u200d💻'.repeat(50) }], [{ text: `a${'日'.repeat(50)}` }]],
      scroll: 0,
      notice: [{ text: '·'.repeat(100) }],
      prompt: '> ',
      input: '',
      cursor: 0
    }
    const drawn = drawFrame(frame, 80, 6)
    // eslint-disable-next-line no-control-regex
    const rows = drawn.split(/\u001b\[\d+;1H/).slice(1).map((row) => row.replace(ANSI, ''))
    expect(rows).toHaveLength(6)
    for (const row of rows) {
      expect(columns(row)).toBeLessThanOrEqual(80)
    }
    expect(rows[0]).toBe(`#日本語 ${'中文'.repeat(18)}`)
    // a ZWJ sequence counts as its two emoji side by side (4 columns), as a terminal without the glyph draws it
    expect(rows[1]).toBe(`    ${'👩\u200d💻'.repeat(19)}`)
    expect(rows[2]).toBe(`a${'日'.repeat(39)}`)
  })
})
