/**
 * What the node's own user reads: the post store, with the node's own posts that have not come back from
 * the network yet merged in. Those are kept out of the store until their first copy comes back (see
 * `in-stem.ts`), yet their author must see them at once, in the feed and in their thread, and see their
 * own votes and replies counted. An own post that came back is charged to the peer that brought it, so a
 * flood from that peer's addresses may evict it from the store (own and relayed posts must fare alike
 * there, see `PostIntake.receive`); its author still reads it, from what this run remembers of it.
 */
import { compareBytes, equalBytes, toHex } from '@murmur/protocol'
import { DEFAULT_FEED_LIMIT, ID_PREFIX_MATCHES, hotScore, threadRoot } from './store/index.js'
import type { FeedOptions, PostEntry, PostStore, StoredPost } from './store/index.js'

/** What {@link LocalReads} needs from the node. */
export interface LocalReadsComponents {
  store: Pick<PostStore, 'get' | 'feed' | 'thread' | 'idsWithPrefix'>
  /** The node's own posts not yet back from the network, none of them in the store. */
  pending(): StoredPost[]
  /**
   * The node's own posts that came back from the network, stored or evicted since: those the store no
   * longer holds are read from here (their tallies are not counted again: they were, while stored).
   * @default none
   */
  returned?(): StoredPost[]
}

/** The pending own posts of one read, each REPLY's thread resolved. */
type Pending = StoredPost[]

/**
 * The store's reads with pending own posts merged in: such a post is listed with the store's posts, and
 * a pending own vote or reply counts in its parent's tallies (as it will once stored).
 *
 * @example
 * ```ts
 * const reads = new LocalReads({ store, pending: () => ownNotYetBack })
 * await reads.feed('#lobby', { sort: 'new', limit: 50 }) // the store's feed and this node's own new posts
 * ```
 */
export class LocalReads {
  private readonly components: LocalReadsComponents

  constructor (components: LocalReadsComponents) {
    this.components = components
  }

  /** The post `id`, stored, pending or an own post evicted since it came back, with pending own votes and replies counted. */
  async get (id: Uint8Array): Promise<PostEntry | undefined> {
    const pending = await this.pending()
    const entry = await this.components.store.get(id) ?? pending.find((post) => equalBytes(post.id, id)) ?? await this.returnedPost(id)
    return entry === undefined ? undefined : counted(entry, pending)
  }

  /** A channel's feed as {@link PostStore.feed} gives it, with pending own POSTs of the channel in their place. */
  async feed (channel: string, opts: FeedOptions = {}): Promise<PostEntry[]> {
    const stored = await this.components.store.feed(channel, opts)
    const pending = await this.pending()
    const now = opts.now ?? Math.floor(Date.now() / 1000)
    const before = opts.before ?? Infinity
    const listed = (post: StoredPost): boolean => post.kind === 'POST' && post.channel === channel && post.created < before && post.expires > now
    const mine = [...pending.filter(listed), ...await this.evicted((this.components.returned?.() ?? []).filter(listed))]
    if (pending.length === 0 && mine.length === 0) return stored
    // the store applied the vote rule (what it hides comes only with includeHidden, marked); own posts
    // are not judged here: a pending one is too young to hide, an evicted one has no tallies left
    const entries = [...stored, ...mine].map((entry) => counted(entry, pending))
    const newest = (a: PostEntry, b: PostEntry): number => b.created - a.created || compareBytes(b.id, a.id)
    // the store's hot rank: voteVerdict's rank, max(0, score)
    const hot = (entry: PostEntry): number => hotScore(Math.max(0, entry.score), entry.created, now)
    entries.sort(opts.sort === 'hot' ? (a, b) => hot(b) - hot(a) || newest(a, b) : newest)
    return entries.slice(0, opts.limit ?? DEFAULT_FEED_LIMIT)
  }

  /** A thread as {@link PostStore.thread} gives it, with a pending own root and pending own replies in their place. */
  async thread (rootId: Uint8Array): Promise<PostEntry[]> {
    const stored = await this.components.store.thread(rootId)
    const pending = await this.pending()
    const returned = await this.resolve(this.components.returned?.() ?? [])
    if (pending.length === 0 && returned.length === 0) return stored
    const held = new Set(stored.map((entry) => toHex(entry.id)))
    const mine = [...pending, ...returned.filter((post) => !held.has(toHex(post.id)))]
    const root = stored[0] !== undefined && equalBytes(stored[0].id, rootId) && stored[0].kind === 'POST'
      ? [stored.shift()!]
      : mine.filter((post) => post.kind === 'POST' && equalBytes(post.id, rootId)).slice(0, 1)
    const replies = [...stored, ...mine.filter((post) => post.kind === 'REPLY' && equalBytes(threadRoot(post), rootId))]
      .sort((a, b) => a.created - b.created || compareBytes(a.id, b.id))
    return [...root, ...replies].map((entry) => counted(entry, pending))
  }

  /**
   * The ids (hex) of the posts and replies a reader can name whose id starts with `prefix` (lower-case
   * hex): stored ones through the store's id index, and own ones not in the store (pending, or evicted
   * since they came back). Ascending, at most `limit`.
   */
  async idsWithPrefix (prefix: string, limit: number = ID_PREFIX_MATCHES): Promise<string[]> {
    const found = new Set((await this.components.store.idsWithPrefix(prefix, { limit })).map(toHex))
    const now = Math.floor(Date.now() / 1000)
    for (const post of [...this.components.pending(), ...this.components.returned?.() ?? []]) {
      const id = toHex(post.id)
      if (post.kind !== 'VOTE' && post.expires > now && id.startsWith(prefix)) found.add(id)
    }
    return [...found].sort().slice(0, limit)
  }

  /** The pending own posts, each REPLY filed in its thread as the store would file it. */
  private async pending (): Promise<Pending> {
    return this.resolve(this.components.pending())
  }

  /** The own post `id` that came back from the network, if it did (read when the store lost it), its thread resolved. */
  private async returnedPost (id: Uint8Array): Promise<StoredPost | undefined> {
    const returned = this.components.returned?.() ?? []
    if (!returned.some((post) => equalBytes(post.id, id))) return undefined
    return (await this.resolve(returned)).find((post) => equalBytes(post.id, id))
  }

  /** Those of `posts` the store does not hold (an own post evicted since it came back). */
  private async evicted (posts: StoredPost[]): Promise<StoredPost[]> {
    const gone: StoredPost[] = []
    for (const post of posts) if (await this.components.store.get(post.id) === undefined) gone.push(post)
    return gone
  }

  /** `pending` with each REPLY filed in its thread as the store would file it. */
  private async resolve (pending: StoredPost[]): Promise<Pending> {
    const byId = new Map<string, StoredPost>()
    for (const post of pending) byId.set(toHex(post.id), post)
    const rootOf = async (post: StoredPost): Promise<Uint8Array> => {
      const parent = byId.get(toHex(post.parent!)) ?? await this.components.store.get(post.parent!)
      if (parent === undefined) return post.parent!
      if (parent.kind !== 'REPLY') return parent.id
      return parent.root ?? await rootOf(parent)
    }
    return Promise.all(pending.map(async (post) => post.kind === 'REPLY' ? { ...post, root: await rootOf(post) } : post))
  }
}

/**
 * An entry with the pending own votes on it and replies under it counted: a vote only when it is a
 * member's (tagged), the only kind the store counts once it is back.
 */
function counted (entry: StoredPost | PostEntry, pending: Pending): PostEntry {
  let score = 'score' in entry ? entry.score : 0
  let replyCount = 'replyCount' in entry ? entry.replyCount : 0
  for (const post of pending) {
    if (post.kind === 'VOTE' && post.tag !== undefined && equalBytes(post.parent!, entry.id)) score += post.vote
    // a thread root counts every reply of its thread, a reply its direct replies
    const under = entry.kind === 'POST' ? threadRoot(post) : post.parent
    if (post.kind === 'REPLY' && under !== undefined && equalBytes(under, entry.id)) replyCount++
  }
  return { ...entry, score, replyCount }
}
