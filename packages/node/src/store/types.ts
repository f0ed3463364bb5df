import type { StoreDatabase } from './database.js'
import type { ComponentLogger } from '@libp2p/interface'

/**
 * The kind of a stored post, as in the wire format's `Post.Kind`.
 *
 * @example
 * ```ts
 * const kind: StoredPostKind = 'REPLY'
 * ```
 */
export type StoredPostKind = 'POST' | 'REPLY' | 'VOTE'

/**
 * A validated post as the node hands it to the store. Byte fields are copied on the way in and out,
 * so callers may reuse or mutate their buffers.
 *
 * @example
 * ```ts
 * const vote: StoredPost = {
 *   id, channel: '#lobby', kind: 'VOTE', parent: postId, body: '', vote: 1,
 *   created, expires: created + ttl, authorKey, envelope: bytes
 * }
 * ```
 */
export interface StoredPost {
  /** 32-byte post id (the signed digest) */
  id: Uint8Array
  /** channel name, e.g. `#lobby` */
  channel: string
  /** POST starts a thread, REPLY answers `parent`, VOTE scores `parent` */
  kind: StoredPostKind
  /** 32-byte id of the post replied to or voted on; required for REPLY and VOTE, absent for POST */
  parent?: Uint8Array
  /**
   * 32-byte id of a REPLY's thread root, resolved by the store when it stores the reply (a `root`
   * passed to {@link PostStore.put} is not trusted): the root of the stored reply it answers, else
   * its `parent` — until that parent arrives and takes the reply into its own thread. Absent for
   * POST and VOTE.
   */
  root?: Uint8Array
  /** UTF-8 text; empty for VOTE */
  body: string
  /** +1 or -1 for VOTE, 0 otherwise */
  vote: number
  /** creation time, unix seconds */
  created: number
  /** `created + ttl`, unix seconds: the post is expired from this second on */
  expires: number
  /**
   * the per-thread pseudonym: a one-time post's Ed25519 public key (derived per thread), a ring-signed
   * POST's or REPLY's thread tag (the same for one member's posts in one thread). The store checks nothing
   * about it: a reply whose `thread` lies gets a tag that matches nobody's
   */
  authorKey?: Uint8Array
  /** ring-signed posts only: the link tag's scope bytes */
  scope?: Uint8Array
  /** ring-signed posts only: the 32-byte link tag */
  tag?: Uint8Array
  /**
   * ring-signed posts only: every link tag the post carries, primary (`scope`, `tag`) first. Each is
   * checked and held by {@link PostStore.put}; when absent, (`scope`, `tag`) is the only one. Not
   * kept in the record: reads return the primary pair only.
   */
  links?: Array<{ scope: Uint8Array, tag: Uint8Array }>
  /**
   * The address group (as sync's `addressGroup` gives it) of the peer that first delivered the post,
   * for the channel quota: eviction takes from the sender that delivered the most. `UNKNOWN_SENDER`
   * for a post from the network whose deliverer's group is not known; absent only for the node's own
   * posts that never went into the stem (one that did is charged as a relayed post is: to the peer that
   * brought it back, or to the successor that kept it, see `PostIntake`). Not kept in the record.
   */
  from?: string
  /** the raw envelope bytes exactly as received (served again by history sync) */
  envelope: Uint8Array
}

/**
 * Outcome of {@link PostStore.put}: `stored`, or why the post does not count — the id is already held
 * (`duplicate`), a ring-signed post lost the conflict over one of its link tags to a smaller id
 * (`duplicate-tag`: retained, shadowed, to count if that one goes; or dropped past `CONFLICT_RETAINED`),
 * the post has already expired (`expired`), or it is a REPLY or VOTE whose stored parent is in
 * another channel (`wrong-channel`: nothing ties a parent's channel to the reply's signature, so a
 * relay that lacks the parent forwards it in good faith; the node ignores it without penalty), or a VOTE
 * dated more than VOTE_BEFORE_PARENT before its stored parent (`backdated`; a vote stored before its parent
 * arrived is removed in the parent's batch when it turns out to be backdated).
 *
 * @example
 * ```ts
 * const result: PutResult = await store.put(post)
 * if (result === 'duplicate-tag') log('ring member already voted on this post')
 * ```
 */
export type PutResult = 'stored' | 'duplicate' | 'duplicate-tag' | 'expired' | 'wrong-channel' | 'backdated'

/**
 * How {@link PostStore.feed} orders and filters a channel's posts.
 *
 * @example
 * ```ts
 * const opts: FeedOptions = { sort: 'hot', limit: 20 }
 * const hot = await store.feed('#lobby', opts)
 * ```
 */
export interface FeedOptions {
  /**
   * `new`: newest first; `hot`: by {@link hotScore} of the vote rule's rank (`max(0, score)`), highest first
   *
   * @default 'new'
   */
  sort?: 'new' | 'hot'
  /**
   * at most this many posts
   *
   * @default 50
   */
  limit?: number
  /**
   * the current time, unix seconds
   *
   * @default Math.floor(Date.now() / 1000)
   */
  now?: number
  /**
   * also return the posts the vote rule hides (`voteVerdict` of @murmur/protocol: members' downvotes
   * outnumber their upvotes by the channel's margin, on a post at least `HIDE_AFTER_SECONDS` old); each
   * entry says whether it is hidden
   *
   * @default false
   */
  includeHidden?: boolean
  /** only posts created strictly before this time, unix seconds (for paging through `new`) */
  before?: number
}

/**
 * A stored post with its live tallies.
 *
 * @example
 * ```ts
 * const entry: PostEntry | undefined = await store.get(id)
 * if (entry !== undefined) console.log(entry.body, entry.score, entry.replyCount)
 * ```
 */
export interface PostEntry extends StoredPost {
  /**
   * members' upvotes minus downvotes among the unexpired votes naming this post as parent: ring-signed
   * votes only, one per member (tag conflicts resolved); one-time-signed votes count for nothing
   */
  score: number
  /**
   * unexpired REPLYs under this post: every reply of the thread for a thread root, the direct
   * replies for a reply
   */
  replyCount: number
  /** `true` on a post the vote rule hides now, which {@link PostStore.feed} returns only when asked ({@link FeedOptions.includeHidden}) */
  hidden?: boolean
}

/**
 * What a store (or one channel of it) holds: the posts it counts, of every kind (not those evicted by the
 * quota nor those shadowed by a tag conflict), and their envelope bytes (not the database's size on disk,
 * which indexes and compaction add to).
 *
 * @example
 * ```ts
 * const lobby: StoreUsage | undefined = (await store.usage()).get('#lobby')
 * console.log(`${lobby?.posts ?? 0} posts, ${lobby?.bytes ?? 0} bytes`)
 * ```
 */
export interface StoreUsage {
  posts: number
  bytes: number
}

/**
 * The persistent, expiring post store of a Murmur node.
 *
 * @example
 * ```ts
 * const store: PostStore = createPostStore({ db: await openDatabase(dataDir) })
 * if (await store.put(post) === 'stored') console.log(await store.thread(post.root ?? post.id))
 * ```
 */
export interface PostStore {
  /**
   * Store a post in one atomic batch: the post by id, the channel and time indexes, the thread
   * index, the tally updates (a VOTE adds its vote to the parent's score, a REPLY counts towards its
   * parent and thread root), the link tag seen in its scope and the expiry index. A crash never
   * leaves half of it. Concurrent calls are serialised, so tallies are exact.
   *
   * A REPLY is filed under its thread root as far as the stored posts tell: the first post of its
   * thread when that is stored, else its first missing ancestor, under which it waits. Waiting
   * replies join the thread once in the batch that completes their chain, so a thread ends up the
   * same whatever order its posts arrive in, and arrival in any order costs O(1) amortised store
   * operations per post (plus the waiting tree once), not one re-filing per arrival.
   *
   * A REPLY or VOTE must stay in its parent's channel: one whose stored parent is in another
   * channel is refused (`wrong-channel`), and those stored before their parent arrived are removed
   * in the parent's batch when it turns out to be elsewhere.
   *
   * Link tags (`links`, or `scope` and `tag`) are checked all. Envelopes that share a tag (one member's
   * up- and downvote, two posts in one slot) are resolved by the rule every node applies
   * (`resolveTagConflicts`): in ascending id order, each counts unless a tag of it is held by a counted
   * envelope with a smaller id. A later, smaller envelope therefore takes a counted one out (its score,
   * indexes, reply counts and quota follow), and the losers are retained, shadowed, so that the counted
   * set ends the same whatever the arrival order, by gossip or sync (see `conflicts.ts`). A counted
   * post's tags are held until `max(created, now) + TAG_RETENTION` — past the post itself, so neither a
   * short ttl nor expiry frees its ring member's slot while a post of that scope could still be accepted;
   * a tag held by a post gone with a smaller id refuses the newcomer outright.
   */
  put(post: StoredPost, now?: number): Promise<PutResult>
  /**
   * Another address group (`from`, as in {@link StoredPost.from}) delivered the stored post `id` too.
   * Unless that is the group the post is charged to (or `UNKNOWN_SENDER`), the post becomes shared:
   * the quota evicts it only after every post its group alone delivered (see `enforceQuota`), so a
   * flooder that relays honest posts first cannot take them down with its flood. Resolves to whether
   * the post was marked now (false: not stored, the same group, or shared already).
   */
  corroborate(id: Uint8Array, from: string): Promise<boolean>
  /** The post with this id, or `undefined` when unknown or expired (an expired post is deleted now). */
  get(id: Uint8Array, now?: number): Promise<PostEntry | undefined>
  /** Whether a post with this id is stored, shadowed by a tag conflict, or was evicted by the channel quota (each counts until the post expires and is swept). */
  has(id: Uint8Array): Promise<boolean>
  /** Whether this link tag is held in this scope (its post may be gone: tags outlive posts). */
  hasTag(scope: Uint8Array, tag: Uint8Array): Promise<boolean>
  /**
   * Whether a post with a smaller id than `id` holds one of these link tags, so that `id` would not
   * count ({@link PostStore.put} says `duplicate-tag`): for a caller that must judge a post without
   * storing it (a stem hop). The post itself coming back, or a held post that `id` would take out, is
   * no conflict.
   */
  hasTagConflict(id: Uint8Array, links: Array<{ scope: Uint8Array, tag: Uint8Array }>): Promise<boolean>
  /** A channel's unexpired POSTs (no replies or votes), hiding those the vote rule hides unless asked. */
  feed(channel: string, opts?: FeedOptions): Promise<PostEntry[]>
  /**
   * The thread root (when stored and unexpired) followed by its unexpired REPLYs in (created, id)
   * order; for a root not stored (or a REPLY), the replies waiting under it, however deep.
   */
  thread(rootId: Uint8Array, now?: number): Promise<PostEntry[]>
  /**
   * The ids of the unexpired POSTs and REPLYs whose hex form starts with `prefix` (1 to 64 lower-case hex
   * digits; InvalidPostError otherwise), ascending, at most `limit` (default 10): how a typed id prefix is
   * resolved, reading the ids that start so and nothing else.
   */
  idsWithPrefix(prefix: string, opts?: { limit?: number, now?: number }): Promise<Uint8Array[]>
  /** Unexpired (created, id) pairs of every kind in a channel, ascending by (created, id), for history sync. */
  ids(channel: string, now?: number): AsyncIterable<{ created: number, id: Uint8Array }>
  /** Delete every expired post with its index entries and tally, undoing its vote, and release the tags whose hold ended; resolves to how many posts. */
  sweep(now?: number): Promise<number>
  /**
   * What each channel holding posts holds now, by channel name. The first call reads the channels' totals
   * (one seek per channel); later ones cost no database access, the totals being kept from each write.
   */
  usage(): Promise<Map<string, StoreUsage>>
  /**
   * Take back a post of this node that never left it (an own circle post given up before it was sent: no
   * other node holds it), as if it had never arrived: its tallies, indexes and quota follow, and its link
   * tags are released (nobody else saw them; an envelope of this member that lost them to it counts again).
   * Replies filed under it stay, waiting under its id as under any missing post (a REPLY's own replies
   * go back to waiting under it). Never for a post from the network, whose tags must stay held. Resolves
   * to whether the post was held (counted, or shadowed by a tag conflict); an evicted one stays remembered.
   */
  withdraw(id: Uint8Array, now?: number): Promise<boolean>
  /** Wait for queued writes, then close the database. */
  close(): Promise<void>
}

/**
 * Options for {@link createPostStore}.
 *
 * @example
 * ```ts
 * const init: PostStoreInit = { db: await openDatabase(undefined) }
 * const store = createPostStore(init)
 * ```
 */
export interface PostStoreInit {
  /** The database to keep posts in; see `openDatabase` for the usual choice. The store closes it on {@link PostStore.close}. */
  db: StoreDatabase
  /**
   * Most posts (of every kind) one channel may hold; past it the store evicts by the rule of
   * `enforceQuota` (from the sender that delivered the most: the posts it alone delivered first, then
   * its latest arrivals first, engaged and ring-signed posts last).
   *
   * @default 10000
   */
  channelPosts?: number
  /**
   * Most envelope bytes one channel may hold (see `channelPosts`).
   *
   * @default 33554432 (32 MiB)
   */
  channelBytes?: number
  /**
   * The hot feed ranks this many of the channel's newest POSTs.
   *
   * @default 1000
   */
  hotCandidates?: number
  /**
   * Where the store logs (as 'murmur:store'): a node passes its libp2p logger, so an app's logger is honoured.
   *
   * @default defaultLogger() of @libp2p/logger (DEBUG=murmur:*)
   */
  logger?: ComponentLogger
}
