/**
 * Where display text may be cut, the same in every UI: between graphemes (what a reader sees as one
 * character: an emoji sequence, a flag, a letter and its marks), never inside one. Pure: Intl.Segmenter,
 * in Node.js and in every browser.
 */

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * Text whose every character is a grapheme of its own (no mark, joiner, selector, jamo, regional
 * indicator or prepended character, which are what join graphemes; no line break): ASCII, Latin-1,
 * general punctuation, symbols and arrows, CJK punctuation, kana, ideographs, Hangul syllables and
 * full-width forms, all in the BMP. Intl.Segmenter costs microseconds a grapheme; such text needs none.
 * display-text.test checks every character of these ranges against Intl.Segmenter.
 */
const ONE_CHARACTER_GRAPHEMES = /^[\x20-\x7e\u00a0-\u00ff\u2010-\u2027\u2030-\u205e\u2190-\u2bff\u3000-\u3029\u3030-\u3098\u309b-\u30ff\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff9d]*$/

/**
 * The graphemes of a text, in order: the places where it may be cut.
 *
 * @example
 * ```ts
 * [...graphemes('e\u0301👩\u200d💻')] // ['e\u0301', '👩\u200d💻']
 * ```
 */
export function * graphemes (text: string): Generator<string> {
  if (ONE_CHARACTER_GRAPHEMES.test(text)) {
    yield * text
    return
  }
  for (const { segment } of SEGMENTER.segment(text)) {
    yield segment
  }
}

/**
 * The first `max` graphemes of a text and `…`, or the text itself when it has no more than `max`.
 *
 * @example
 * ```ts
 * cutGraphemes('👩\u200d💻👩\u200d💻👩\u200d💻', 2) // '👩\u200d💻👩\u200d💻…'
 * ```
 */
export function cutGraphemes (text: string, max: number): string {
  let out = ''
  let count = 0
  for (const grapheme of graphemes(text)) {
    if (count === max) {
      return `${out}…`
    }
    out += grapheme
    count++
  }
  return out
}
