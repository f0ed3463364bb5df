/**
 * What the reader of this tab chose to see: the feed's order (hot, new, top: `@murmur/node`'s
 * feed-order, the CLI's formulas) and the mutes and filters (`@murmur/node`'s filters: a pseudonym in a
 * thread, a thread, a score floor, words). Local only: kept in this browser's localStorage, never sent,
 * never asked of a peer; hidden posts are still received and relayed, so nobody learns what is hidden.
 */
import { emptyFilters, isFeedSort, parseFilters, postFilter, shownFeed } from '@murmur/node'
import type { FeedRead, FeedSort, LocalFilters, PostView } from '@murmur/node'

const SORT_KEY = 'murmur:sort'
const FILTERS_KEY = 'murmur:filters'

/** A thread of the feed: its root and the replies shown under it. */
export interface FeedThread {
  post: PostView
  replies: PostView[]
}

/**
 * The reader's order and filters, kept in `storage` after every change.
 *
 * @example
 * ```ts
 * const reading = new PageReading(localStorage)
 * reading.setSort('top')
 * reading.muteThread(post.id)
 * ```
 */
export class PageReading {
  private sortValue: FeedSort
  private filterValue: LocalFilters
  private hidden: (post: PostView) => string | undefined

  constructor (private readonly storage: Storage) {
    const sort = storage.getItem(SORT_KEY)
    this.sortValue = isFeedSort(sort) ? sort : 'hot'
    this.filterValue = readFilters(storage)
    this.hidden = postFilter(this.filterValue)
  }

  /** The order of the feed. */
  get sort (): FeedSort {
    return this.sortValue
  }

  /** The mutes and filters (a copy). */
  get filters (): LocalFilters {
    return structuredClone(this.filterValue)
  }

  /** Sets the order; an unknown one leaves it as it was and returns false. */
  setSort (value: string): boolean {
    if (!isFeedSort(value)) return false
    this.sortValue = value
    this.storage.setItem(SORT_KEY, value)
    return true
  }

  /** Mutes a thread (its root, its replies, the votes on its root). */
  muteThread (root: string): void {
    this.change((f) => f.threads.includes(root) ? f : { ...f, threads: [...f.threads, root] })
  }

  /** Mutes a pseudonym within one thread (a pseudonym means nothing in another thread). */
  mutePseudonym (thread: string, pseudonym: string): void {
    this.change((f) => f.pseudonyms.some((m) => m.thread === thread && m.pseudonym === pseudonym)
      ? f
      : { ...f, pseudonyms: [...f.pseudonyms, { thread, pseudonym }] })
  }

  /**
   * Replaces the words and the score floor (as the filters form gives them: one word or phrase a line,
   * an empty floor for none). Throws BadFiltersError (ERR_BAD_FILTERS) and changes nothing on a bad value.
   */
  setWordsAndScore (words: string[], minScore: number | undefined): void {
    this.change((f) => ({ threads: f.threads, pseudonyms: f.pseudonyms, words, ...(minScore === undefined ? {} : { minScore }) }))
  }

  /** Forgets every mute (threads and pseudonyms); words and the score floor stay. */
  unmuteAll (): void {
    this.change((f) => ({ ...f, threads: [], pseudonyms: [] }))
  }

  /** Whether the filters hide a post. */
  hides (post: PostView): boolean {
    return this.hidden(post) !== undefined
  }

  /**
   * The threads of a feed in the chosen order, what the filters hide left out (roots and replies), and
   * expired posts with them (`now`, unix seconds: a post leaves the view at its expiry). The filters
   * apply before the limit, as in the CLI (`@murmur/node`'s shownFeed): hidden threads leave room for
   * older ones.
   */
  async threads (read: FeedRead, thread: (root: PostView) => Promise<PostView[]>, limit: number, now: number): Promise<FeedThread[]> {
    const shown = (post: PostView): boolean => post.expires > now && !this.hides(post)
    // the roots are filtered by shownFeed already: only their expiry is the page's own to check
    const posts = (await shownFeed(read, { sort: this.sortValue, limit, filters: this.filterValue, now })).posts.filter((post) => post.expires > now)
    return await Promise.all(posts.map(async (post) => ({
      post,
      replies: post.replies === 0 ? [] : (await thread(post)).slice(1).filter(shown)
    })))
  }

  private change (edit: (filters: LocalFilters) => LocalFilters): void {
    // checked as the CLI checks filters.json: a bad word throws here and nothing is kept
    const next = parseFilters(edit(this.filters))
    this.filterValue = next
    this.hidden = postFilter(next)
    this.storage.setItem(FILTERS_KEY, JSON.stringify(next))
  }
}

/** The filters kept in `storage`; none when nothing, or something damaged, is kept. */
function readFilters (storage: Storage): LocalFilters {
  const text = storage.getItem(FILTERS_KEY)
  if (text === null) return emptyFilters()
  try {
    return parseFilters(JSON.parse(text))
  } catch {
    return emptyFilters()
  }
}

/**
 * When the view of `threads` changes by time alone (unix seconds): the first expiry among them, or
 * undefined when none expires.
 *
 * @example
 * ```ts
 * const at = nextExpiry(threads)
 * if (at !== undefined) setTimeout(redraw, (at - now) * 1000)
 * ```
 */
export function nextExpiry (threads: readonly FeedThread[]): number | undefined {
  let next: number | undefined
  for (const { post, replies } of threads) {
    for (const p of [post, ...replies]) {
      if (next === undefined || p.expires < next) next = p.expires
    }
  }
  return next
}
