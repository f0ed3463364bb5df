/**
 * A body that fakes a post header (issue 12, Low 15): a body long enough to wrap at the terminal's
 * width must not start a line at the header column, in `murmur feed`/`thread`/`watch` and in the chat.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatPosts } from '../src/output.js'
import { Timeline } from '../src/chat/timeline.js'
import { bodyLines, columns, graphemes, wrap } from '../src/text.js'
import { postView } from './post-view.js'
import type { PostView } from '@murmur/node'

const view = (body: string, extra: Partial<PostView> = {}): PostView => postView({ body, ...extra })

/** What a terminal of `width` columns shows: each printed line cut into rows of at most `width` columns (it wraps to column 0). */
function terminalRows (text: string, width: number): string[] {
  const rows: string[] = []
  for (const line of text.split('\n')) {
    let row = ''
    for (const segment of graphemes(line)) {
      if (columns(row + segment) > width) {
        rows.push(row)
        row = ''
      }
      row += segment
    }
    rows.push(row)
  }
  return rows
}

const FAKE_HEADER = `${'cd'.repeat(32)}  +99  7 replies  just now  lusab-babad-gutih  member`
/** Bodies that, printed raw after a 4-space indent, put a fake header at column 0 of an 80-column terminal. */
const FORGERIES = [
  `${'x'.repeat(76)}${FAKE_HEADER}`,
  `nice post${' '.repeat(67)}${FAKE_HEADER}`,
  // wide characters: 38 of them take 76 columns, though they are 38 code points
  `${'日'.repeat(38)}${FAKE_HEADER}`,
  // ambiguous-width characters, wide on some terminals
  `${'·'.repeat(76)}${FAKE_HEADER}`
]

describe('post bodies on an 80-column terminal', () => {
  it.each(FORGERIES.map((body, i) => [i, body]))('feed and thread: forgery %i gives no row at the header column but the real header', (_, body) => {
    const printed = formatPosts([view(body)], 'none', 80)
    const rows = terminalRows(printed, 80)
    // the header does not fit in 80 columns either: its counters go on an indented line of their own
    expect(rows[0]).toBe('ab'.repeat(32))
    expect(rows[1]).toMatch(/^ {2}\+0 {2}0 replies {2}\d+d ago {2}expired {2}kukot-dikar-hipat {2}unverified$/)
    for (const row of rows.slice(2)) {
      expect(row).toMatch(/^ {4}\S/)
    }
    // what the printer meant as lines is what the terminal shows: it wrapped nothing itself
    expect(rows).toEqual(printed.split('\n').flatMap((line) => terminalRows(line, 999)))
  })

  it.each(FORGERIES.map((body, i) => [i, body]))('chat: forgery %i gives no row at the header column but the real header', (_, body) => {
    const timeline = new Timeline()
    timeline.addPost(view(body))
    timeline.addPost(view(body, { id: 'ef'.repeat(32), kind: 'REPLY', parent: 'ab'.repeat(32), op: false }))
    const rows = timeline.render(80).map((line) => line.map((segment) => segment.text).join(''))
    const headers = rows.filter((row) => /^\S/.test(row))
    expect(headers).toHaveLength(2)
    expect(headers[0]).toMatch(/^\[1\] /)
    expect(headers[1]).toMatch(/^\[2\] /)
    for (const row of rows) {
      expect(columns(row)).toBeLessThanOrEqual(80)
    }
  })

  it('every body line fits the width and starts with the indent, whatever the text and width', () => {
    const unit = fc.constantFrom('a', 'b', ' ', ' ', '\n', '日', '·', '👩\u200d💻', 'e\u0301', '▲', '۞', '\u202e', '\t', 'ｗ')
    fc.assert(fc.property(fc.string({ unit, maxLength: 300 }), fc.integer({ min: 16, max: 160 }), fc.constantFrom('    ', '      '), (body, width, indent) => {
      const lines = bodyLines(body, width, indent)
      for (const line of lines) {
        expect(columns(line)).toBeLessThanOrEqual(width)
        expect(line.startsWith(indent)).toBe(true)
      }
      // nothing is lost but the spaces where lines were broken
      const kept = (text: string): string => text.replace(/\s/g, '')
      expect(kept(lines.join(''))).toBe(kept(wrap(body.replace(/\u202e/g, '').replace(/\t/g, '  '), 1_000).join('')))
    }), { numRuns: 400 })
  })

  it('wraps at spaces and never inside a grapheme', () => {
    expect(wrap('a b c', 3)).toEqual(['a b', 'c'])
    expect(wrap('日本語の文', 4)).toEqual(['日本', '語の', '文'])
    expect(wrap('👩\u200d💻👩\u200d💻', 4)).toEqual(['👩\u200d💻', '👩\u200d💻'])
    expect(wrap('abcdef', 4)).toEqual(['abcd', 'ef'])
    expect(wrap('', 4)).toEqual([''])
  })
})
