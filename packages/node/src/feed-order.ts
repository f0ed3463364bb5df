/**
 * The three orders of a feed, written once for every UI (the daemon, the CLI, the chat, the page):
 *
 * ```
 * new   created, newest first
 * hot   hotScore(max(0, score), created, now), highest first     (= (rank + 1) / (ageHours + 2) ^ 1.5)
 * top   score, highest first, over every post the feed holds (a post's whole life: at most its TTL)
 * ```
 *
 * Ties go to the newer post, then to the larger id (the store's order), so that every UI shows one
 * order. A reader's mutes and filters apply before the limit ({@link shownFeed}): hidden posts leave
 * room for older ones. Pure: no I/O, usable in a browser.
 */
import { FEED_LIMIT } from './constants.js'
import { applyFilters, hidesNothing } from './filters.js'
import { hotScore } from './store/hot.js'
import type { LocalFilters } from './filters.js'
import type { PostView } from './view.js'

/** An order of a feed: `new`, `hot` or `top` (see the module comment for the formulas). */
export type FeedSort = 'new' | 'hot' | 'top'

/** Every {@link FeedSort}, in the order UIs offer them. */
export const FEED_SORTS: readonly FeedSort[] = ['hot', 'new', 'top']

/**
 * The newest posts a `top` feed ranks: as many as the store ranks for `hot` (HOT_CANDIDATES), so that
 * a read never grows with the channel. The window of `top` is the posts the node holds, each for its
 * lifetime (a day by default, a week at most); in a channel busier than this many posts in that time
 * the oldest are left out.
 */
export const TOP_CANDIDATES = 1000

/**
 * Whether a value names a feed order.
 *
 * @example
 * ```ts
 * isFeedSort('top') // true
 * isFeedSort('best') // false
 * ```
 */
export function isFeedSort (value: unknown): value is FeedSort {
  return value === 'new' || value === 'hot' || value === 'top'
}

/**
 * The comparator of a feed order at `now` (unix seconds): negative when `a` comes first.
 *
 * @example
 * ```ts
 * posts.sort(compareFeed('hot', Math.floor(Date.now() / 1000)))
 * ```
 */
export function compareFeed (sort: FeedSort, now: number): (a: PostView, b: PostView) => number {
  if (sort === 'new') return newest
  if (sort === 'top') return (a, b) => b.score - a.score || newest(a, b)
  // the store's hot rank: the vote rule's rank, max(0, score)
  const hot = (post: PostView): number => hotScore(Math.max(0, post.score), post.created, now)
  return (a, b) => hot(b) - hot(a) || newest(a, b)
}

/**
 * The posts in a feed order (a new array).
 *
 * @example
 * ```ts
 * const top = sortFeed(await node.feed('#lobby', { limit: TOP_CANDIDATES }), 'top').slice(0, 20)
 * ```
 */
export function sortFeed (posts: readonly PostView[], sort: FeedSort, now: number = Math.floor(Date.now() / 1000)): PostView[] {
  return [...posts].sort(compareFeed(sort, now))
}

/** A feed read in the store's orders (`Murmur.feed`, `Circles.feed`). */
export type FeedRead = (options: { sort: 'new' | 'hot', limit?: number }) => Promise<PostView[]>

/**
 * A feed in any {@link FeedSort} from a read in the store's orders: `new` and `hot` as the store gives
 * them; `top` ranked here over the newest {@link TOP_CANDIDATES}. At most `limit` posts (default 50).
 *
 * @example
 * ```ts
 * const top = await sortedFeed(async (o) => await node.feed('#lobby', o), 'top', 20)
 * ```
 */
export async function sortedFeed (read: FeedRead, sort: FeedSort, limit: number = FEED_LIMIT): Promise<PostView[]> {
  if (sort !== 'top') return await read({ sort, limit })
  return sortFeed(await read({ sort: 'new', limit: TOP_CANDIDATES }), 'top').slice(0, limit)
}

/** Options of {@link shownFeed}. */
export interface ShownFeedOptions {
  /** The order. */
  sort: FeedSort
  /**
   * Most posts shown.
   *
   * @default 50 (FEED_LIMIT)
   */
  limit?: number
  /**
   * The reader's mutes and filters.
   *
   * @default none: the feed as the node orders it
   */
  filters?: LocalFilters
  /**
   * The time `hot` ranks at when filters apply (unix seconds).
   *
   * @default now
   */
  now?: number
}

/** A feed as its reader sees it: the posts shown, and how many the filters hid among those read. */
export interface ShownFeed {
  posts: PostView[]
  hidden: number
}

/**
 * The feed a reader sees, for every UI (the CLI's feed and chat, the page): the reader's filters
 * applied before the limit, so that a feed whose newest posts are all hidden shows older ones. Without
 * filters it is {@link sortedFeed}; with filters it reads the newest {@link TOP_CANDIDATES} (the window
 * the store ranks `hot` over), leaves out what the filters hide, orders the rest and keeps `limit`.
 *
 * @example
 * ```ts
 * const { posts, hidden } = await shownFeed(async (o) => await node.feed('#lobby', o), { sort: 'hot', limit: 20, filters })
 * ```
 */
export async function shownFeed (read: FeedRead, options: ShownFeedOptions): Promise<ShownFeed> {
  const { sort, limit = FEED_LIMIT, filters, now } = options
  if (filters === undefined || hidesNothing(filters)) return { posts: await sortedFeed(read, sort, limit), hidden: 0 }
  const candidates = await read({ sort: 'new', limit: TOP_CANDIDATES })
  const shown = applyFilters(candidates, filters)
  return { posts: sortFeed(shown, sort, now).slice(0, limit), hidden: candidates.length - shown.length }
}

/** Newest first; ids (lowercase hex of equal length) break ties, larger first, as the store does. */
function newest (a: PostView, b: PostView): number {
  return b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}
