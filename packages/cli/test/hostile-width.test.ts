import { displayText } from '@murmur/protocol'
import stringWidth from 'string-width'
import { describe, expect, it, vi } from 'vitest'
import { drawFrame } from '../src/chat/screen.js'
import { bodyLines, columns, wrap } from '../src/text.js'

const { widthCalls } = vi.hoisted(() => ({ widthCalls: { count: 0 } }))
vi.mock('string-width', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof stringWidth }>()).default
  return { default: (text: string, options?: Parameters<typeof stringWidth>[1]) => { widthCalls.count++; return real(text, options) } }
})

/** Bodies that are each one grapheme hundreds of columns wide, kept whole (review RV9, M2). */
const HOSTILE = {
  zwjChain: '👩\u200d'.repeat(290) + '👩',
  skinChain: '👍' + '🏽'.repeat(500),
  viramaChain: 'क्'.repeat(340) + 'क',
  spacingMarks: 'क' + 'ा'.repeat(680),
  jamo: '\u1100'.repeat(300) + '\u1161' + '\u11a8'.repeat(300)
}

describe('a grapheme wider than the line', () => {
  it.each(Object.entries(HOSTILE))('%s: displayText + wrap at 80 columns, no line wider, nothing lost', (_name, body) => {
    const shown = displayText(body)
    const lines = wrap(shown, 80)
    expect(Math.max(...lines.map(columns))).toBeLessThanOrEqual(80)
    expect(lines.join('')).toBe(shown)
    for (const line of bodyLines(body, 80, '    ')) {
      expect(columns(line)).toBeLessThanOrEqual(80)
    }
  })

  it.each(Object.entries(HOSTILE))('%s: wrap alone (text the display rule did not bound) splits it by code points', (_name, body) => {
    const lines = wrap(body, 80)
    expect(Math.max(...lines.map(columns))).toBeLessThanOrEqual(80)
    expect(lines.join('')).toBe(body)
  })

  it('is drawn in the chat, not dropped', () => {
    const chain = 'क्'.repeat(300) + 'क'
    for (const body of [`see here: ${chain} end`, `see here: ${displayText(chain)} end`]) {
      const lines = wrap(body, 80).map((text) => [{ text }])
      const drawn = drawFrame({ header: [{ text: 'h' }], lines, scroll: 0, notice: [], prompt: '> ', input: '', cursor: 0 }, 80, 12)
      expect(drawn).toContain('see here')
      expect(drawn).toContain('क्क')
      expect(drawn).toContain('end')
    }
    // a row the chat did not wrap (a header) shows what fits of it
    const drawn = drawFrame({ header: [{ text: chain }], lines: [], scroll: 0, notice: [], prompt: '> ', input: '', cursor: 0 }, 80, 6)
    expect(drawn).toContain('क्क')
  })
})

describe('Hangul widths', () => {
  /** Columns the way they were measured before the arithmetic: the wider of string-width whole and by parts. */
  function measured (grapheme: string): number {
    let parts = 0
    for (const codePoint of grapheme) parts += stringWidth(codePoint, { ambiguousIsNarrow: false })
    return Math.max(stringWidth(grapheme, { ambiguousIsNarrow: false }), parts)
  }

  it('are what string-width gives, for every syllable and jamo and for jamo syllables', () => {
    const ranges = [[0x1100, 0x11ff], [0xa960, 0xa97c], [0xac00, 0xd7a3], [0xd7b0, 0xd7c6], [0xd7cb, 0xd7fb]]
    for (const [from = 0, to = 0] of ranges) {
      for (let code = from; code <= to; code++) {
        const c = String.fromCodePoint(code)
        expect(columns(c), code.toString(16)).toBe(measured(c))
      }
    }
    for (let i = 0; i < 2000; i++) {
      // deterministic: leading, vowel and trailing jamo of old and modern Hangul in turn
      const syllable = String.fromCodePoint(0x1100 + (i % 90), 0xa960 + (i % 29), 0x1161 + (i * 7 % 70), 0xd7b0 + (i % 23), 0x11a8 + (i * 11 % 88), 0xd7cb + (i % 49))
      expect(columns(syllable)).toBe(measured(syllable))
    }
  })

  it('of 300 bodies of distinct jamo syllables take no string-width call (RV9 M3)', () => {
    const bodies = Array.from({ length: 300 }, (_v, n) => {
      let body = ''
      for (let i = 0; body.length < 1800; i++) {
        body += String.fromCodePoint(0x1100 + ((n + i) % 19), 0x1161 + ((n * 3 + i) % 21), 0x11a8 + ((n * 7 + i * 5) % 27))
      }
      return body
    })
    widthCalls.count = 0
    for (const body of bodies) bodyLines(body, 80, '    ')
    for (const body of bodies) bodyLines(body, 60, '    ')
    expect(widthCalls.count).toBe(0)
  })
})
