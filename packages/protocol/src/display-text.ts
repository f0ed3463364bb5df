/**
 * Where display text may be cut, the same in every UI: between graphemes (what a reader sees as one
 * character: an emoji sequence, a flag, a letter and its marks), never inside one. Pure: Intl.Segmenter,
 * in Node.js and in every browser.
 */

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * The graphemes of a text, in order: the places where it may be cut.
 *
 * @example
 * ```ts
 * [...graphemes('e\u0301👩\u200d💻')] // ['e\u0301', '👩\u200d💻']
 * ```
 */
export function * graphemes (text: string): Generator<string> {
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
