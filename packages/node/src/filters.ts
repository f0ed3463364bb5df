/**
 * The user's own mutes and filters: which posts a UI does not show. Local only: they never reach the
 * network (nothing is sent, nothing is asked of a peer), so nobody learns what a reader hides. Pure:
 * the daemon's CLI and chat keep them in the data dir, the page in its own storage, and all apply
 * {@link postFilter}.
 *
 * Words are matched whole, on text folded by {@link foldText}: the display rule first (zero-width and
 * other invisible characters removed, as every UI does before showing text), then compatibility forms
 * (full-width and other width variants, ligatures, circled letters), case, and accents and other
 * non-spacing marks. What still passes: look-alike letters of other scripts (Cyrillic `а` for Latin
 * `a`), letters spaced or punctuated apart (`b.a.d`), digits for letters (`b4d`), and a word glued to
 * another (whole words only, so `badword` is not `bad`).
 */
import { displayText } from '@murmur/protocol'
import type { PostView } from './view.js'

/** Most words (or phrases) a filter list holds: enough for any reader, bounded for a file read at every feed. */
export const MAX_FILTER_WORDS = 500
/** Most muted threads, and most muted pseudonyms. */
export const MAX_MUTES = 5000
/** Longest word or phrase, in UTF-16 code units. */
export const MAX_FILTER_WORD_LENGTH = 100

/** A pseudonym muted within one thread (a pseudonym is per thread: it means nothing elsewhere). */
export interface MutedPseudonym {
  /** The thread's root id (64 lowercase hex). */
  thread: string
  /** The pseudonym (64 lowercase hex), as {@link PostView.pseudonym}. */
  pseudonym: string
}

/** What a reader hides. Every list may be empty. */
export interface LocalFilters {
  /** Muted threads by root id: the root, its replies and the votes on the root. */
  threads: string[]
  /** Pseudonyms muted within a thread: their posts there. */
  pseudonyms: MutedPseudonym[]
  /** Words or phrases (as typed): posts and replies containing one, whole, after {@link foldText}. */
  words: string[]
  /** Posts and replies whose score is below this are hidden; undefined: none by score. */
  minScore?: number
}

/** Why {@link postFilter} hides a post. */
export type FilterReason = 'thread' | 'pseudonym' | 'score' | 'word'

/** Thrown when a filter file or request is not a {@link LocalFilters}. */
export class BadFiltersError extends Error {
  static override readonly name = 'BadFiltersError'
  override readonly name = 'BadFiltersError'
  readonly code = 'ERR_BAD_FILTERS'

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Filters that hide nothing.
 *
 * @example
 * ```ts
 * const filters = emptyFilters() // { threads: [], pseudonyms: [], words: [] }
 * ```
 */
export function emptyFilters (): LocalFilters {
  return { threads: [], pseudonyms: [], words: [] }
}

/**
 * Text folded for word matching: the display rule's text (invisible characters removed), NFKC
 * (width and compatibility forms), lower case, accents and other non-spacing marks removed.
 *
 * @example
 * ```ts
 * foldText('ＢＡ\u200dD Café') // 'bad cafe'
 * ```
 */
export function foldText (text: string): string {
  return displayText(text).normalize('NFKC').toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC')
}

/**
 * The words of a text, folded ({@link foldText}): runs of letters, marks and digits.
 *
 * @example
 * ```ts
 * filterWords('Hello, ＷＯＲＬＤ!') // ['hello', 'world']
 * ```
 */
export function filterWords (text: string): string[] {
  return foldText(text).match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
}

/**
 * Checks a value read from a file or a request: a {@link LocalFilters} within the bounds, ids and
 * pseudonyms as lowercase hex, words not blank. Throws BadFiltersError (ERR_BAD_FILTERS) otherwise.
 *
 * @example
 * ```ts
 * const filters = parseFilters(JSON.parse(text))
 * ```
 */
export function parseFilters (value: unknown): LocalFilters {
  if (typeof value !== 'object' || value === null) throw new BadFiltersError('expected an object of filters')
  const { threads, pseudonyms, words, minScore } = value as Record<string, unknown>
  const filters: LocalFilters = {
    threads: list(threads, 'threads', MAX_MUTES).map((t) => hexId(t, 'threads')),
    pseudonyms: list(pseudonyms, 'pseudonyms', MAX_MUTES).map((p) => {
      if (typeof p !== 'object' || p === null) throw new BadFiltersError('expected pseudonyms as { thread, pseudonym } objects')
      const { thread, pseudonym } = p as Record<string, unknown>
      return { thread: hexId(thread, 'pseudonyms.thread'), pseudonym: hexId(pseudonym, 'pseudonyms.pseudonym') }
    }),
    words: list(words, 'words', MAX_FILTER_WORDS).map((w) => {
      if (typeof w !== 'string' || w.length > MAX_FILTER_WORD_LENGTH || filterWords(w).length === 0) {
        throw new BadFiltersError(`expected words as text of letters or digits, at most ${MAX_FILTER_WORD_LENGTH} characters`)
      }
      return w
    })
  }
  if (minScore !== undefined) {
    if (!Number.isSafeInteger(minScore)) throw new BadFiltersError('expected minScore as an integer')
    filters.minScore = minScore as number
  }
  return filters
}

/**
 * Whether filters hide nothing at all (no mute, no word, no score floor): a feed can then be read as the
 * node orders it, without reading more to make up for what is hidden.
 *
 * @example
 * ```ts
 * hidesNothing(emptyFilters()) // true
 * ```
 */
export function hidesNothing (filters: LocalFilters): boolean {
  return filters.threads.length === 0 && filters.pseudonyms.length === 0 && filters.words.length === 0 && filters.minScore === undefined
}

/**
 * The filter of a feed, thread or event stream: the reason a post is hidden, or undefined when it is
 * shown. A post's thread is its `root`; a vote (no root) is hidden with the thread of the post it
 * votes on only when that is the root itself.
 *
 * @example
 * ```ts
 * const hidden = postFilter(filters)
 * const shown = posts.filter((post) => hidden(post) === undefined)
 * ```
 */
export function postFilter (filters: LocalFilters): (post: PostView) => FilterReason | undefined {
  const threads = new Set(filters.threads)
  const muted = new Set(filters.pseudonyms.map((m) => `${m.thread}/${m.pseudonym}`))
  const phrases = filters.words.map(filterWords).filter((p) => p.length > 0)
  return (post) => {
    const thread = post.root ?? (post.kind === 'VOTE' ? post.parent : undefined)
    if (thread !== undefined && threads.has(thread)) return 'thread'
    if (post.kind === 'VOTE') return undefined
    if (post.root !== undefined && post.pseudonym !== undefined && muted.has(`${post.root}/${post.pseudonym}`)) return 'pseudonym'
    if (filters.minScore !== undefined && post.score < filters.minScore) return 'score'
    if (phrases.length > 0 && containsPhrase(filterWords(post.body), phrases)) return 'word'
    return undefined
  }
}

/**
 * The posts a reader's filters leave shown, in their order.
 *
 * @example
 * ```ts
 * const shown = applyFilters(await node.feed('#lobby'), filters)
 * ```
 */
export function applyFilters (posts: readonly PostView[], filters: LocalFilters): PostView[] {
  const hidden = postFilter(filters)
  return posts.filter((post) => hidden(post) === undefined)
}

/** Whether one of `phrases` (folded word sequences) occurs in `words` as consecutive whole words. */
function containsPhrase (words: string[], phrases: string[][]): boolean {
  for (let i = 0; i < words.length; i++) {
    for (const phrase of phrases) {
      if (phrase.every((word, j) => words[i + j] === word)) return true
    }
  }
  return false
}

function list (value: unknown, name: string, max: number): unknown[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new BadFiltersError(`expected ${name} as an array`)
  if (value.length > max) throw new BadFiltersError(`expected at most ${max} ${name}, got ${value.length}`)
  return value
}

function hexId (value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new BadFiltersError(`expected ${name} as 64 lowercase hex characters`)
  return value
}
