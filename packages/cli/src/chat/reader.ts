/**
 * What the chat's reader chose and is told: the feed's order (`/sort`), the mutes and filters of the
 * data dir (applied to the feed, threads and live posts; `/mute` adds to them), and the replies and
 * votes on the user's own posts (a highlight and a count in the header until `/feed`). Its own posts
 * are the ids the node gave it and the daemon's own (GET /v1/mine): nothing is asked of the network.
 */
import { isFeedSort, shownFeed } from '@murmur/node/feed-order'
import { postFilter } from '@murmur/node/filters'
import { readFilters, updateFilters } from '../filter-file.js'
import { UsageError } from '../errors.js'
import type { ControlClient } from '../client.js'
import type { FeedSort, FilterReason, LocalFilters, PostView, ShownFeed } from '@murmur/node'

/** Posts the chat shows of a channel. */
const CHAT_FEED_LIMIT = 50

/**
 * The chat's reading state for one data dir.
 *
 * @example
 * ```ts
 * const reader = new ChatReader(dataDir)
 * const { posts } = await reader.feed(client, '#lobby')
 * ```
 */
export class ChatReader {
  /** The order of the feed (`/sort`). */
  sort: FeedSort = 'new'
  private filters: LocalFilters = { threads: [], pseudonyms: [], words: [] }
  private hidden: (post: PostView) => FilterReason | undefined = postFilter(this.filters)
  /** Ids of the posts and replies this chat made. */
  private readonly mine = new Set<string>()
  /** Replies and votes on them since the feed was last shown. */
  private unseen = 0

  constructor (private readonly dataDir: string) {}

  /** The feed of `channel` in the chosen order, filtered (the filters read again from the data dir). */
  async feed (client: ControlClient, channel: string): Promise<ShownFeed> {
    await this.reload()
    this.unseen = 0
    return await shownFeed(async (o) => await client.feed(channel, o), { sort: this.sort, limit: CHAT_FEED_LIMIT, filters: this.filters })
  }

  /** Sets the order (`/sort`); UsageError for an unknown one. */
  setSort (value: string): FeedSort {
    const sort = value.toLowerCase()
    if (!isFeedSort(sort)) throw new UsageError('usage: /sort hot|new|top')
    this.sort = sort
    return sort
  }

  /** Whether the reader's filters hide a post. */
  hides (post: PostView): boolean {
    return this.hidden(post) !== undefined
  }

  /** Mutes the author of `post` within its thread, or the thread itself; kept in the data dir. */
  async mute (post: PostView, what: 'author' | 'thread'): Promise<void> {
    const thread = post.root ?? post.id
    if (what === 'thread') {
      await this.change((f) => f.threads.includes(thread) ? f : { ...f, threads: [...f.threads, thread] })
      return
    }
    const pseudonym = post.pseudonym
    if (pseudonym === undefined || post.root === undefined) throw new UsageError('a vote has no author to mute')
    await this.change((f) => f.pseudonyms.some((m) => m.thread === thread && m.pseudonym === pseudonym) ? f : { ...f, pseudonyms: [...f.pseudonyms, { thread, pseudonym }] })
  }

  /** Remembers the posts and replies the daemon made for the user since it started (also through other commands). */
  async loadOwn (client: ControlClient): Promise<void> {
    for (const id of await client.mine()) this.mine.add(id)
  }

  /** Remembers a post or reply this chat made. */
  own (id: string): void {
    this.mine.add(id)
  }

  /** Whether `post` is a reply or vote on a post this chat made (counted once as unseen). */
  notify (post: PostView): boolean {
    if (post.kind === 'POST' || post.parent === undefined || !this.mine.has(post.parent) || this.mine.has(post.id)) return false
    this.unseen++
    return true
  }

  /** The header's count of replies and votes on the reader's posts since the feed was shown; empty at none. */
  badge (): string {
    return this.unseen === 0 ? '' : ` ${this.unseen} on yours `
  }

  private async reload (): Promise<void> {
    this.filters = await readFilters(this.dataDir)
    this.hidden = postFilter(this.filters)
  }

  private async change (edit: (filters: LocalFilters) => LocalFilters): Promise<void> {
    this.filters = await updateFilters(this.dataDir, edit)
    this.hidden = postFilter(this.filters)
  }
}
