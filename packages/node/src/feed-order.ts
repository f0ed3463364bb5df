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
 * order. Pure: no I/O, usable in a browser.
 */
import { FEED_LIMIT } from './constants.js'
import { hotScore } from './store/hot.js'
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

/** Newest first; ids (lowercase hex of equal length) break ties, larger first, as the store does. */
function newest (a: PostView, b: PostView): number {
  return b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}
