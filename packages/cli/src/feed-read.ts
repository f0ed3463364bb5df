/**
 * A channel's feed as the reader sees it, for `murmur feed` and the chat: in the chosen order
 * (`@murmur/node`'s sortFeed, the same formulas as the daemon's), without what the reader's filters hide.
 */
import { TOP_CANDIDATES, sortFeed } from '@murmur/node/feed-order'
import { applyFilters } from '@murmur/node/filters'
import type { ControlClient } from './client.js'
import type { FeedSort, LocalFilters, PostView } from '@murmur/node'

/** A feed read: the posts shown and how many the filters hid among those read. */
export interface ReadFeed {
  posts: PostView[]
  hidden: number
}

/**
 * The feed of `channel` in `sort` order, at most `limit` posts, filtered. With filters or `top` it reads
 * the newest TOP_CANDIDATES posts (the window the store ranks `hot` over) and orders them here, so
 * that hidden posts leave room for others and `top` needs nothing the daemon does not serve.
 *
 * @example
 * ```ts
 * const { posts, hidden } = await readFeed(client, '#lobby', { sort: 'top', limit: 20, filters })
 * ```
 */
export async function readFeed (client: Pick<ControlClient, 'feed'>, channel: string, options: { sort: FeedSort, limit: number, filters: LocalFilters }): Promise<ReadFeed> {
  const { sort, limit, filters } = options
  const filtering = filters.threads.length > 0 || filters.pseudonyms.length > 0 || filters.words.length > 0 || filters.minScore !== undefined
  if (!filtering && sort !== 'top') return { posts: await client.feed(channel, { sort, limit }), hidden: 0 }
  const read = await client.feed(channel, { sort: 'new', limit: TOP_CANDIDATES })
  const shown = applyFilters(read, filters)
  return { posts: sortFeed(shown, sort).slice(0, limit), hidden: read.length - shown.length }
}
