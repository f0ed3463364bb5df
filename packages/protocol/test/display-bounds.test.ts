import { describe, expect, it } from 'vitest'
import { displayLine, displayText, graphemes } from '../src/index.js'

/** Bodies of about 2 KB that are each one grapheme hundreds of columns wide when kept whole (review RV9, M2). */
export const HOSTILE_GRAPHEMES = {
  zwjChain: '👩\u200d'.repeat(290) + '👩',
  skinChain: '👍' + '🏽'.repeat(500),
  viramaChain: 'क्'.repeat(340) + 'क',
  spacingMarks: 'क' + 'ा'.repeat(680),
  jamo: '\u1100'.repeat(300) + '\u1161' + '\u11a8'.repeat(300),
  // extenders that are not marks (issue 12 final read, L3): halfwidth sound marks (Lm), Thai SARA AM (Lo)
  halfwidthSoundMarks: 'ｱ' + 'ﾞ'.repeat(680),
  saraAm: 'ก' + 'ำ'.repeat(680),
  // prepended letters (Lo) join the letter after them
  prepended: '\u0d4e'.repeat(680) + 'മ',
  // a removed character between a virama and the next letter does not end the conjunct it is removed from
  viramaAcrossRemoved: 'क्\u202e'.repeat(340) + 'क',
  prependedAcrossRemoved: '\u0d4e\u202e'.repeat(680) + 'മ',
  // a skin tone or a variation selector between marks must not restart their count (second read RV9D L1)
  skinToneBetweenMarks: 'a' + '\u{1F3FB}\u0301'.repeat(300),
  selectorAfterSkinTone: 'a' + '\u{1F3FB}\uFE0F'.repeat(300),
  saraAmSkinTone: 'ก' + 'ำ\u{1F3FB}'.repeat(300)
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

  it('counts every character that extends or prepends a grapheme as a mark: at most 8 on a letter', () => {
    expect(displayText(HOSTILE_GRAPHEMES.halfwidthSoundMarks)).toBe(`ｱ${'ﾞ'.repeat(8)}`)
    expect(displayText(HOSTILE_GRAPHEMES.saraAm)).toBe(`ก${'ำ'.repeat(8)}`)
    expect(displayText(HOSTILE_GRAPHEMES.prepended)).toBe(`${'\u0d4e'.repeat(8)}മ`)
    // ordinary words keep every character: ｶﾞｷﾞ, ทำ, കാർത്തിക with the dot reph
    for (const word of ['ｶﾞｷﾞｸﾞ', 'ทำงาน', 'ນຳ', 'ൎമ്മ', '\u0d4eക']) {
      expect(displayText(word)).toBe(word)
    }
  })

  it('no code point of the BMP or the SMP, repeated after or before a letter, makes a grapheme of more than 17 code points', () => {
    // what joins a letter in a run (extenders, spacing marks, prepended characters), as Intl.Segmenter
    // finds it among the marks, modifiers and letters that are not ideographs (Hangul has its own test)
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' })
    const single = (text: string): boolean => {
      const segments = segmenter.segment(text)[Symbol.iterator]()
      segments.next()
      return segments.next().done === true
    }
    const runs: string[] = []
    for (let code = 0; code < 0x20000; code++) {
      const c = String.fromCodePoint(code)
      if (!/[\p{M}\p{Lo}\p{Lm}\p{Sk}]/u.test(c) || /[\p{Ideographic}\p{sc=Hangul}]/u.test(c)) continue
      if (single(`a${c}${c}`)) runs.push(`a${c.repeat(20)}`)
      else if (single(`${c}${c}a`)) runs.push(`${c.repeat(20)}a`)
    }
    expect(runs.length).toBeGreaterThan(2000) // the marks, at least
    const tooLong = runs.filter((text) => [displayText(text), displayLine(text)].some((shown) => [...graphemes(shown)].some((g) => Array.from(g).length > 17)))
    expect(tooLong.map((text) => (Array.from(text)[1]?.codePointAt(0) ?? 0).toString(16))).toEqual([])
  })

  it('applies the same bounds in displayLine', () => {
    expect(displayLine(HOSTILE_GRAPHEMES.skinChain)).toBe('👍🏽')
    expect(displayLine('👩\u200d'.repeat(9) + '👩')).toBe(`${'👩\u200d'.repeat(7)}👩\\u{200d}👩\u200d👩`) // the escaped ZWJ ends a sequence, the next one starts
  })
})
