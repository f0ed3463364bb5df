/**
 * Text for a terminal: names of pseudonyms, ages, short ids, and post bodies wrapped and indented.
 * Text from the network is made safe by `displayText`/`displayLine` of @murmur/protocol, the rule
 * every Murmur UI and log uses.
 */
import { authorName, displayText, graphemes } from '@murmur/protocol'
import stringWidth from 'string-width'

/** Where text may be cut: between graphemes (the rule every Murmur UI cuts by, from @murmur/protocol). */
export { graphemes }

/** Columns assumed when the output is not a terminal and COLUMNS is not set. */
export const DEFAULT_COLUMNS = 80

/** Narrowest a body is wrapped to, however narrow the terminal. */
const MIN_BODY_COLUMNS = 10

/**
 * The name shown for a post's pseudonym (hex public key, as in a PostView): 48 bits of the key as
 * three proquints; `anonymous` for a post without one (a ring-signed vote). A member's ring-signed post
 * shows its thread pseudonym (its thread tag) like any other.
 *
 * @example
 * ```ts
 * nameOf(post.pseudonym) // 'lusab-babad-gutih'
 * ```
 */
export function nameOf (pseudonym: string | undefined): string {
  return authorName(pseudonym)
}

/**
 * "just now", "5s ago", "3m ago", "2h ago", "4d ago" for a unix time in seconds.
 *
 * @example
 * ```ts
 * age(1_700_000_000, 1_700_000_300) // '5m ago'
 * ```
 */
export function age (created: number, now = Math.floor(Date.now() / 1000)): string {
  const seconds = Math.max(0, now - created)
  if (seconds < 5) return 'just now'
  if (seconds < 60) return `${seconds}s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`
  return `${Math.floor(seconds / 86_400)}d ago`
}

/**
 * Unix seconds as a UTC minute: `2026-12-07 12:00 UTC`.
 *
 * @example
 * ```ts
 * utcTime(1_700_000_000) // '2023-11-14 22:13 UTC'
 * ```
 */
export function utcTime (seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/**
 * The mark every text view puts on a post, reply or vote: `member` when stamped members ring-signed it,
 * `unverified` when it is one-time-signed (its votes count for nothing).
 *
 * @example
 * ```ts
 * memberMark(post) // 'unverified'
 * ```
 */
export function memberMark (post: { member: boolean }): 'member' | 'unverified' {
  return post.member ? 'member' : 'unverified'
}

/**
 * The first 8 hex characters of an id, for display next to a full id elsewhere.
 *
 * @example
 * ```ts
 * shortId('3f9ac1d2e4b5...') // '3f9ac1d2'
 * ```
 */
export function shortId (id: string): string {
  return id.slice(0, 8)
}

/** string-width's options: characters of ambiguous width count two, as some terminals draw them. */
const WIDTH_OPTIONS = { ambiguousIsNarrow: false }

/** Printable ASCII only: one column a character, whatever the terminal (the common case, measured without segmenting). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/**
 * Columns a string takes on a terminal: wide (East Asian) characters and emoji take two, and so do
 * characters of ambiguous width, as some terminals draw them. An emoji sequence (ZWJ, skin tone, a
 * variation selector) counts as the wider of one glyph and its parts side by side, as a terminal that
 * lacks the sequence draws it (tmux 3.3 draws a hand and its skin tone in four columns): counting too
 * many wraps early, never late, so a row never spills into the next.
 *
 * @example
 * ```ts
 * columns('日本 ok') // 7
 * columns('👍🏽') // 4: tmux draws the hand and the skin tone apart
 * ```
 */
export function columns (text: string): number {
  if (PRINTABLE_ASCII.test(text)) {
    return text.length
  }
  let sum = 0
  for (const grapheme of graphemes(text)) {
    sum += graphemeColumns(grapheme)
  }
  return sum
}

/** Graphemes measured so far and their columns (string-width costs microseconds a call; a text repeats its graphemes). */
const GRAPHEME_COLUMNS = new Map<string, number>()
/** Graphemes kept in GRAPHEME_COLUMNS before it starts over: a bound on what hostile text can make it hold. */
const MAX_MEASURED = 8192

/**
 * Hangul syllables and conjoining jamo only: measured by {@link hangulColumns}, not string-width nor
 * the cache (jamo make tens of thousands of distinct syllables, a hostile post could fill the cache
 * with them at 40–120 µs each).
 */
const HANGUL = /^[\u1100-\u11ff\ua960-\ua97c\uac00-\ud7a3\ud7b0-\ud7c6\ud7cb-\ud7fb]+$/

/**
 * Columns of Hangul text (see HANGUL) as graphemeColumns counts them, by arithmetic: the sum of its
 * code points' widths, as string-width gives them (text-width.test checks every one): a syllable or a
 * leading jamo two, a vowel or trailing jamo one, the fillers U+115F and U+1160 none.
 */
function hangulColumns (text: string): number {
  let sum = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    sum += code === 0x115f || code === 0x1160 ? 0 : code < 0x1160 || (code >= 0xa960 && code <= 0xd7a3) ? 2 : 1
  }
  return sum
}

/** Columns of one grapheme: its width as one glyph or the sum of its code points' widths, whichever is more. */
function graphemeColumns (grapheme: string): number {
  if (grapheme.length === 1 && grapheme >= ' ' && grapheme <= '~') {
    return 1
  }
  if (HANGUL.test(grapheme)) {
    return hangulColumns(grapheme)
  }
  let measured = GRAPHEME_COLUMNS.get(grapheme)
  if (measured === undefined) {
    let parts = 0
    for (const codePoint of grapheme) {
      parts += stringWidth(codePoint, WIDTH_OPTIONS)
    }
    measured = Math.max(stringWidth(grapheme, WIDTH_OPTIONS), parts)
    if (GRAPHEME_COLUMNS.size >= MAX_MEASURED) {
      GRAPHEME_COLUMNS.clear()
    }
    GRAPHEME_COLUMNS.set(grapheme, measured)
  }
  return measured
}

/**
 * The pieces text is drawn and cut by, with their columns: its graphemes, except that a grapheme wider
 * than `width` (which the display rule's bounds leave only to text it did not pass through) comes as
 * its code points, so that cutting at `width` never hides it whole.
 *
 * @example
 * ```ts
 * [...cells('e\u0301!', 80)] // [{ text: 'e\u0301', width: 1 }, { text: '!', width: 1 }]
 * ```
 */
export function * cells (text: string, width: number): Generator<{ text: string, width: number }> {
  for (const grapheme of graphemes(text)) {
    const columns = graphemeColumns(grapheme)
    if (columns <= width) {
      yield { text: grapheme, width: columns }
    } else {
      for (const codePoint of grapheme) {
        yield { text: codePoint, width: graphemeColumns(codePoint) }
      }
    }
  }
}

/**
 * Splits text into lines of at most `width` terminal columns (see {@link columns}), breaking at
 * spaces where possible and never inside a grapheme (an emoji sequence, a letter and its marks) that
 * fits on a line.
 *
 * @example
 * ```ts
 * wrap('a b c', 3) // ['a b', 'c']
 * ```
 */
export function wrap (text: string, width: number): string[] {
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line: Array<{ text: string, width: number }> = []
    let used = 0
    for (const cell of cells(paragraph, width)) {
      const segment = cell.text
      // break at the last space of the line, else here (a word longer than the line is cut); the
      // word carried over from a space may itself leave no room for this cell, so cut until it fits
      let broke = false
      while (used + cell.width > width && line.length > 0) {
        broke = true
        const space = segment === ' ' ? line.length : line.findLastIndex((c) => c.text === ' ')
        const cut = space > 0 ? space : line.length
        lines.push(line.slice(0, cut).map((c) => c.text).join('').trimEnd())
        line = line.slice(cut)
        while (line[0]?.text === ' ') line.shift()
        used = line.reduce((sum, c) => sum + c.width, 0)
      }
      if (broke && segment === ' ') continue
      line.push(cell)
      used += cell.width
    }
    lines.push(line.map((c) => c.text).join(''))
  }
  return lines
}

/**
 * A post body as every text view prints it under its header (feed, thread, watch, the chat): the
 * display rule applied, wrapped to `width` columns less the indent, and every line indented. So no
 * line is wider than the terminal, which would wrap it on its own to column 0, and no line starts in
 * the column where headers start: a body cannot pass for a post header.
 *
 * @example
 * ```ts
 * bodyLines('hello\u202e world', 80, '    ') // ['    hello world']
 * ```
 */
export function bodyLines (body: string, width: number, indent: string): string[] {
  return wrap(displayText(body), Math.max(MIN_BODY_COLUMNS, width - columns(indent))).map((line) => `${indent}${line}`)
}
