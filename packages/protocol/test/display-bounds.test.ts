import { describe, expect, it } from 'vitest'
import { displayLine, displayText, graphemes } from '../src/index.js'

/** Bodies of about 2 KB that are each one grapheme hundreds of columns wide when kept whole (review RV9, M2). */
export const HOSTILE_GRAPHEMES = {
  zwjChain: '👩\u200d'.repeat(290) + '👩',
  skinChain: '👍' + '🏽'.repeat(500),
  viramaChain: 'क्'.repeat(340) + 'क',
  spacingMarks: 'क' + 'ा'.repeat(680),
  jamo: '\u1100'.repeat(300) + '\u1161' + '\u11a8'.repeat(300)
}

/** Whether `part` is `whole` with some code points removed. */
function isSubsequence (part: string, whole: string): boolean {
  const rest = Array.from(whole)
  let at = 0
  return Array.from(part).every((c) => {
    while (at < rest.length && rest[at] !== c) at++
    return at++ < rest.length
  })
}

describe('displayText bounds every grapheme', () => {
  it.each(Object.entries(HOSTILE_GRAPHEMES))('%s: no grapheme of more than 17 code points, nothing added', (_name, body) => {
    const shown = displayText(body)
    expect(isSubsequence(shown, body)).toBe(true)
    for (const grapheme of graphemes(shown)) {
      expect(Array.from(grapheme).length).toBeLessThanOrEqual(17) // a letter and 8 virama-linked letters
    }
    expect(displayText(shown)).toBe(shown)
  })

  it('keeps every emoji of a ZWJ chain, joined by at most 7 ZWJs a sequence', () => {
    const shown = displayText(HOSTILE_GRAPHEMES.zwjChain)
    expect(Array.from(shown).filter((c) => c === '👩')).toHaveLength(291)
    expect(shown.startsWith(`${'👩\u200d'.repeat(7)}👩👩\u200d`)).toBe(true)
    // the longest sequence Unicode defines (a family of four, 3 ZWJs) is kept whole
    expect(displayText('👨\u200d👩\u200d👧\u200d👦 ok')).toBe('👨\u200d👩\u200d👧\u200d👦 ok')
  })

  it('keeps one skin tone on a character', () => {
    expect(displayText(HOSTILE_GRAPHEMES.skinChain)).toBe('👍🏽')
    expect(displayText('👍🏽👍🏿 a🏽🏽')).toBe('👍🏽👍🏿 a🏽')
    expect(displayText('👍🏽\u202e🏽')).toBe('👍🏽') // a removed character between does not reset the count
  })

  it('keeps every consonant of a virama chain, at most 8 viramas a conjunct', () => {
    const shown = displayText(HOSTILE_GRAPHEMES.viramaChain)
    expect(Array.from(shown).filter((c) => c === 'क')).toHaveLength(341)
    expect(shown.startsWith(`${'क्'.repeat(8)}कक्`)).toBe(true)
    // real conjuncts are kept whole: क्ष, स्त्र्य, and ZWJ forms
    for (const word of ['क्षत्रिय', 'स्त्र्य', 'क्\u200dष', 'কর্ম']) {
      expect(displayText(word)).toBe(word)
    }
  })

  it('counts spacing marks (Mc) with the others: at most 8 on a letter', () => {
    expect(displayText(HOSTILE_GRAPHEMES.spacingMarks)).toBe(`क${'ा'.repeat(8)}`)
    expect(displayText('कि\u0902ाा')).toBe('कि\u0902ाा')
  })

  it('keeps at most 8 conjoining jamo a syllable, and every syllable of ordinary Hangul', () => {
    expect(displayText(HOSTILE_GRAPHEMES.jamo)).toBe('\u1100'.repeat(8))
    const oldHangul = '\u1112\u1161\u11ab\u1100\u1173\u11af \u1109\u1175\u11f0' // three syllables of jamo
    expect(displayText(oldHangul)).toBe(oldHangul)
    expect(displayText('한국어 \uac00\u11a8')).toBe('한국어 \uac00\u11a8')
    expect(displayText(`${'\u1100'.repeat(5)}\u202e${'\u1100'.repeat(5)}`)).toBe('\u1100'.repeat(8))
  })

  it('applies the same bounds in displayLine', () => {
    expect(displayLine(HOSTILE_GRAPHEMES.skinChain)).toBe('👍🏽')
    expect(displayLine('👩\u200d'.repeat(9) + '👩')).toBe(`${'👩\u200d'.repeat(7)}👩\\u{200d}👩\u200d👩`) // the escaped ZWJ ends a sequence, the next one starts
  })
})
