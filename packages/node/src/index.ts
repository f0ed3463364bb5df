/**
 * @packageDocumentation
 *
 * `@murmur/node` is the Murmur node every user runs: the CLI wraps it, apps embed it, the browser page
 * bundles it. It composes js-libp2p (TCP/WebSockets, noise, yamux, Kademlia on `/murmur/kad/2.0.0`,
 * gossipsub without signatures) with `@murmur/protocol`, validates every message before it is stored
 * or relayed, keeps posts until they expire, and finds the other members of a channel through the DHT.
 *
 * @example
 * ```ts
 * import { createMurmur } from '@murmur/node'
 *
 * const node = await createMurmur({ bootstrap: ['/ip4/203.0.113.7/tcp/4001/p2p/12D3KooW...'] })
 * node.addEventListener('post', (evt) => { console.log(evt.detail.channel, evt.detail.body) })
 * await node.join('#lobby')
 * const { id, status } = await node.post('#lobby', 'hello, anyone?')
 * console.log(id, status) // 'sent', or 'queued' until someone else is in #lobby
 * await node.stop()
 * ```
 */
import { MurmurNode } from './murmur.js'
import type { AtRestKeys } from './at-rest/seal.js'
import type { ExtraLibp2pOptions, MurmurLibp2p } from './libp2p.js'
import type { StemInit } from './stem/index.js'
import type { OnionInit, OnionStatus } from './onion/index.js'
import type { SyncInit } from './sync/index.js'
import type { VerifyPool } from './verify/index.js'
import type { NodeMembershipStatus } from './node-membership.js'
import type { DropReason, QueueReason, SendResult } from './outbound.js'
import type { FluffReason } from './stem/types.js'
import type { PostView } from './view.js'
import type { Circles, CirclePostDetail, CircleRosterDetail } from './circle/types.js'
import type { CirclesInit } from './circle/service.js'
import type { StoreUsage } from './store/index.js'
import type { ClockSkewDetail } from './clock-skew.js'
import type { PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { AuthorKey, PostKind } from '@murmur/protocol'
import type { Places } from './location.js'

export type { PostView } from './view.js'
export { FEED_SORTS, TOP_CANDIDATES, compareFeed, isFeedSort, shownFeed, sortFeed, sortedFeed } from './feed-order.js'
export type { FeedRead, FeedSort, ShownFeed, ShownFeedOptions } from './feed-order.js'
export { BadFiltersError, MAX_FILTER_WORDS, MAX_FILTER_WORD_LENGTH, MAX_MUTES, applyFilters, emptyFilters, filterWords, foldText, hidesNothing, parseFilters, postFilter } from './filters.js'
export type { FilterReason, LocalFilters, MutedPseudonym } from './filters.js'
export { CircleError } from './circle/errors.js'
export { PEEK_LEVEL, PLACES_SUBLEVEL, PeekOnlyError, createPlaces, placesKeep } from './location.js'
export type { NearPlace, PeekPlace, Places, PlacesComponents, PlacesInit, PlacesKeep, PlacesState } from './location.js'
export type { CircleErrorCode } from './circle/errors.js'
export type { CirclesInit } from './circle/service.js'
export type { Circles, CircleSummary, CircleMember, CircleInviteResult, CreateCircleOptions, InviteOptions, JoinCircleOptions, JoinScanProgress, CirclePostState, CirclePostView, CirclePostDetail, CircleRosterDetail, CircleWarning } from './circle/types.js'
export type { ClockSkewDetail } from './clock-skew.js'
export type { SendResult, QueueReason, Outbound, DropReason } from './outbound.js'
export type { FluffReason } from './stem/types.js'
export type { MurmurLibp2p, MurmurServices, ExtraLibp2pOptions } from './libp2p.js'
export * from './errors.js'
export { BROWSER_KEY_DATABASE, destroyBrowserAtRestKey } from './at-rest/browser-key.js'
export { STEM_PROTOCOL, FLUFF_PROBABILITY, EPOCH_DURATION, StemStoppedError } from './stem/index.js'
export type { StemInit, Stem } from './stem/index.js'
export type { OnionInit, OnionStatus } from './onion/index.js'
export { SYNC_PROTOCOL, SyncLimitError, SyncStalledError } from './sync/index.js'
export { METRIC_NAMES, STORE_BYTES_STEP } from './metrics.js'
export { createVerifyPool, availableCores, priorityOfPath, MAX_PRIORITY_OVERTAKES, VERIFY_MAX_QUEUE, VerifyQueueFullError, VerifyWorkerCrashedError, VerifyPoolStoppedError } from './verify/index.js'
export type { VerifyPool, VerifyPoolInit, VerifyJobOptions, VerifyPriority, SpawnVerifyWorker, VerifyWorkerHandle } from './verify/index.js'
export { AbortError, LifetimeError, RateLimitError } from '@murmur/protocol'
export { MEMBERSHIP_PRUNE_INTERVAL, MEMBERSHIP_PROGRESS_EVENT_INTERVAL } from './node-membership.js'
export type { NodeMembershipStatus, NodeMembershipEvents } from './node-membership.js'
export type { MembershipStatus, MintProgressDetail } from './membership/index.js'
export type { SyncInit } from './sync/index.js'
export { InvalidPostError, CorruptRecordError, StoreDamagedError, RepairWriteError } from './store/index.js'
export type { StoreUsage } from './store/index.js'

/** Options of {@link createMurmur}; every field is optional. */
export interface MurmurInit {
  /**
   * Multiaddrs to listen on. Tests and single-machine setups pass `['/ip4/127.0.0.1/tcp/0']`.
   *
   * @default ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'] in Node.js, [] in browsers
   */
  listen?: string[]
  /**
   * Multiaddrs (with `/p2p/<id>`) of bootstrap nodes dialed at start.
   *
   * @default []
   */
  bootstrap?: string[]
  /**
   * Discover Murmur nodes on the LAN with mDNS (Node.js only). Off by default: it announces this node
   * to everyone on the LAN.
   *
   * @default false
   */
  mdns?: boolean
  /**
   * Directory for the post store (and the key file of `persistPeerId`). In browsers, the IndexedDB
   * database name. When omitted the store lives in memory and nothing touches the disk.
   *
   * @default undefined
   */
  dataDir?: string
  /**
   * The at-rest keys of `dataDir`, when the embedder has read them already (the CLI does, for its own
   * sealed files): the node then does not read `at-rest.key` again. Ignored in browsers, whose store
   * keeps its own key.
   *
   * @default read from `dataDir` once per start
   * @example
   * ```ts
   * const node = await createMurmur({ dataDir, atRestKeys: await dataDirKeys(dataDir) })
   * ```
   */
  atRestKeys?: AtRestKeys
  /**
   * Proof-of-work difficulty in leading zero bits: one number for every kind, or per kind. A network
   * parameter: a node that requires more bits than its peers mine ignores their cheaper posts; less
   * than the default is refused (InvalidConfigError) unless the node is on a private or test network
   * (`allowPrivateAddresses`, on by itself when every address is loopback or private): public peers
   * reject such posts and cut the node off.
   *
   * @default { POST: 16, REPLY: 16, VOTE: 12 }
   */
  powBits?: number | Partial<Record<PostKind, number>>
  /**
   * Channels joined at start, e.g. `['#lobby', 'geo:u4pruyd']`.
   *
   * @default []
   */
  channels?: string[]
  /**
   * Private circles: how long a newcomer stays out of rings (see {@link CirclesInit}). Every node relays
   * circle frames on the shared topic whatever this says.
   *
   * @default {}
   */
  circles?: CirclesInit
  /**
   * The author identity (ristretto255) that derives per-thread pseudonyms. The CLI loads it from its
   * 0600 key file. It never reaches the network and is never tied to the PeerId.
   *
   * @default a fresh key held in memory for this run
   */
  authorKey?: AuthorKey
  /**
   * The libp2p key. Leave unset for a fresh PeerId at every start, so that the node's network presence
   * is not linkable across runs.
   *
   * @default a fresh Ed25519 key
   */
  peerKey?: PrivateKey
  /**
   * Keep the libp2p key in `<dataDir>/peer.key` (mode 0600) so the PeerId survives restarts. For
   * relays and bootstrap nodes, whose address others configure. Needs `dataDir`; Node.js only.
   *
   * @default false
   */
  persistPeerId?: boolean
  /**
   * Keep private and loopback addresses in DHT records. Needed on a LAN or loopback-only network,
   * harmful on the internet (it would publish LAN addresses).
   *
   * @default true when every bootstrap and listen address is private or loopback (and there is at
   * least one), false otherwise
   */
  allowPrivateAddresses?: boolean
  /**
   * STUN/TURN servers a browser node's WebRTC asks (Node.js ignores them). None by default: a STUN
   * server learns the node's public address and when it connects; browsers on one machine or LAN
   * connect without one.
   *
   * @default []
   */
  iceServers?: RTCIceServer[]
  /**
   * Answer DHT queries (server mode). When unset, a node switches to server mode once it has a public
   * address, except on a private network (see `allowPrivateAddresses`), where it serves from the start.
   * A browser tab is a client unless told otherwise.
   *
   * @default false in browsers; in Node.js allowPrivateAddresses ? true : automatic
   */
  dhtServer?: boolean
  /**
   * Extra libp2p options merged over Murmur's (e.g. more transports, a connection gater, more
   * services). An escape hatch: options that change gossipsub or the DHT can break the network.
   *
   * @default {}
   */
  libp2p?: ExtraLibp2pOptions
  /**
   * Dandelion++ stem parameters (docs/ANONYMITY.md), or `false` to publish own posts straight into
   * gossip — which makes this node the first gossip hop of its own posts. Only for measurements.
   *
   * @default {} (the stem with its documented defaults)
   */
  stem?: StemInit | false
  /**
   * Onion-wrapped first hops (issue 19, docs/ANONYMITY.md): the node is a mix on `/murmur/mix/1.0.0`, and
   * its own channel posts leave wrapped for 3 connected mixes (exponential holds, mean 800 ms; 1 loop cover
   * packet a minute), the exit publishing them into gossip; with fewer than 3 mixes known, or when no path
   * delivers, they leave through the stem. `true` for the documented defaults. Off by default until the
   * model's numbers are measured on a real network (docs/ANONYMITY.md); needs the stem (its fallback).
   *
   * @default false
   */
  onion?: boolean | OnionInit
  /**
   * History-sync limits (docs/PROTOCOL.md §10), or `false` to neither ask nor answer.
   *
   * @default {}
   */
  sync?: SyncInit | false
  /**
   * Where envelopes are verified: a pool of worker threads (Web Workers in browsers), so that a flood of
   * ring-signed posts does not stall this node's event loop. A pool given here is shared (several nodes in
   * one process: pass one to all) and is not stopped with the node; `false` verifies on the main thread.
   *
   * @default a pool of the node's own, one worker per core (createVerifyPool()), stopped with the node
   */
  verify?: VerifyPool | false
  /**
   * Membership (docs/MEMBERSHIP.md): the member directory this node keeps and serves (the stamped member
   * keys that rings are checked against), and this node's own member stamp, minted in the background on
   * the verification pool and renewed weekly. `false`: neither (announcements are ignored, unpenalised).
   *
   * @default {} (the directory; minting when `dataDir` is set)
   */
  membership?: MembershipInit | false
  /**
   * For tests only: this node's wall clock in unix milliseconds. It dates own posts and judges the
   * time of others'; a test offsets it to play a node whose clock is wrong.
   *
   * @default Date.now
   */
  clock?: () => number
}

/** Membership settings of a node ({@link MurmurInit.membership}). */
export interface MembershipInit {
  /**
   * Mint and renew a member stamp of this node's own (about a minute of one core per week at the
   * network's difficulty), kept with its member key in `<dataDir>/membership` (files 0600).
   *
   * @default true when `dataDir` is set: a member key that dies with the process is not worth a stamp
   */
  mint?: boolean
  /**
   * Stamp difficulty in leading zero bits, minted and required of others. Below the network's
   * (STAMP_BITS) only on a private or test network (`allowPrivateAddresses`): other nodes refuse such
   * stamps and cut off whoever sends them.
   *
   * @default STAMP_BITS (10)
   */
  stampBits?: number
}

/** Options of an operation that can be cancelled. */
export interface AbortOptions {
  /** Cancels the operation: it then rejects with AbortError (ERR_ABORTED; `cause`: the signal's reason). */
  signal?: AbortSignal
}

/** Options of {@link Murmur.syncChannel}. */
export interface SyncChannelOptions extends AbortOptions {
  /**
   * Reconcile with up to this many members of the channel.
   *
   * @default 3 (SYNC_PEERS_PER_CHANNEL)
   */
  peers?: number
}

/** Options of {@link Murmur.post}, {@link Murmur.reply} and {@link Murmur.vote}. */
export interface PostOptions extends AbortOptions {
  /**
   * Lifetime in seconds: a post or reply 3600, 86400 or 604800 (an hour, a day, a week), a vote 86400
   * only; any other is refused with LifetimeError (ERR_BAD_LIFETIME) before anything is made. Every
   * node reads a post's ttl, so one of the author's own would link their posts (@murmur/protocol's
   * LIFETIMES). Other nodes' posts may carry any ttl in 3600..604800.
   *
   * @default 86400 (one day)
   */
  ttl?: number
  /**
   * Cancels the post until it is committed (signing, proof-of-work mining, checks): it then rejects with
   * AbortError and nothing is sent or kept. Once recorded and handed to the outbox the post is on its way
   * and can no longer be recalled; the `released` and `dropped` events tell what became of it.
   */
  signal?: AbortSignal
  /** Progress of proof-of-work mining. */
  onProgress?: (progress: { attempts: number, bits: number }) => void
}

/** What became of a post: its id and whether it was sent or queued (see {@link SendResult}). */
export type PostResult = {
  id: string
  /**
   * Members in the ring that signed it: a member's vote or post (fewer than MIN_MEMBER_RING, 16, only while
   * the directory holds fewer members, which a UI should say). Absent: one-time-signed, shown "unverified".
   */
  ring?: number
} & SendResult

/** Options of {@link Murmur.feed}. */
export interface FeedOptions {
  /**
   * `new`: newest first. `hot`: by score decayed with age (see the package README).
   *
   * @default 'new'
   */
  sort?: 'new' | 'hot'
  /**
   * At most this many posts.
   *
   * @default 50
   */
  limit?: number
}

/** Detail of the `queued` event: an own post waits in the outbox. */
export interface QueuedDetail {
  /** The post's id, as `post()` returned it. */
  id: string
  /** Why it could not leave yet. */
  reason: QueueReason
}

/** Detail of the `released` event: an own post left this node. */
export interface ReleasedDetail {
  /** The post's id, as `post()` returned it. */
  id: string
}

/** Detail of the `dropped` event: an own post that waited in the outbox will never be sent. */
export interface DroppedDetail {
  /** The post's id, as `post()` returned it. */
  id: string
  /**
   * `expired`: its ttl ran out before a member of its channel could be reached; `stale`: it waited past its ring
   * epoch (over an hour) and could not be signed again — post it again (a vote may be cast again); `failed`:
   * gossipsub or the stem refused it (`error`).
   */
  reason: DropReason
  /** What refused it, for `failed`. */
  error?: Error
}

/**
 * Why an own post went out without origin hiding: the stem's reasons (`no-stem-peer`: no stem-capable
 * peer connected; `embargo`: it did not come back through gossip in time after it was sent into the stem;
 * `no-route`, `loop`, `diffuser`), or `stem-off` (the node runs with `stem: false`).
 */
export type UnprotectedReason = FluffReason | 'stem-off'

/** Detail of the `unprotected` event. */
export interface UnprotectedDetail {
  /** The post's id, as `post()` returned it. */
  id: string
  /** Why the stem did not hide it. */
  reason: UnprotectedReason
}

/** Detail of the `channel-peers` event. */
export interface ChannelPeersDetail {
  /** The joined channel. */
  channel: string
  /** The connected peers subscribed to it now (what {@link Murmur.channelPeers} returns). */
  peers: PeerId[]
}

/**
 * Events of a Murmur node. The own-post events (`queued`, `released`, `dropped`, `unprotected`) carry
 * only the post's id, which the caller already has from `post()`: never this node's PeerId or keys.
 *
 * @example
 * ```ts
 * node.addEventListener('queued', (evt) => { show(evt.detail.id, `waiting: ${evt.detail.reason}`) })
 * node.addEventListener('released', (evt) => { show(evt.detail.id, 'sent') })
 * node.addEventListener('dropped', (evt) => { show(evt.detail.id, `not sent: ${evt.detail.reason}`) })
 * node.addEventListener('unprotected', (evt) => { warn(evt.detail.id, `sent without origin hiding (${evt.detail.reason})`) })
 * node.addEventListener('channel-peers', (evt) => { status(evt.detail.channel, evt.detail.peers.length) })
 * ```
 */
export interface MurmurEvents {
  /**
   * An own post (post, reply or vote) could not leave at once and waits in the outbox for a reachable
   * member of its channel: `post()` resolved `queued`, or a restart put it back in the outbox.
   */
  queued: CustomEvent<QueuedDetail>
  /**
   * An own post left this node (into the stem, or into gossip without it): at once (`post()` resolved
   * `sent`) or after waiting in the outbox. Whether the stem then hid it: see `unprotected`.
   */
  released: CustomEvent<ReleasedDetail>
  /** An own post that waited in the outbox was given up: it expired there, or the network refused it. */
  dropped: CustomEvent<DroppedDetail>
  /**
   * An own post was published into gossip by this node itself, so its gossip peers can tell it came
   * from here: the stem found no stem peer or lost it, or the node runs without the stem.
   */
  unprotected: CustomEvent<UnprotectedDetail>
  /** The connected peers subscribed to a joined channel changed (also sent once on joining it). */
  'channel-peers': CustomEvent<ChannelPeersDetail>
  /**
   * A post, reply or vote is new here: received from the network and stored (announced a turn after the
   * store write), or made by this node (announced once, when made; stored when its first copy comes back
   * from the network).
   */
  post: CustomEvent<PostView>
  /**
   * This node's clock was found more than 120 s off the network's (`skewed: true`: its posts are
   * refused until it is set right), or back within it (`skewed: false`). See {@link Murmur.clockSkew}.
   */
  'clock-skew': CustomEvent<ClockSkewDetail>
  /**
   * Membership changed, with what {@link Murmur.membership} returns now: the mint progressed or the directory's
   * size changed (at most every MEMBERSHIP_PROGRESS_EVENT_INTERVAL, a burst's last change at its end), the mint
   * failed or started, a stamp was minted, came back from the network, became accepted or expired, the ring
   * a vote hides in grew or shrank, signing became ready or stopped.
   * Never sent with membership off.
   *
   * @example
   * ```ts
   * node.addEventListener('membership', (evt) => { console.log(evt.detail.signing) })
   * ```
   */
  membership: CustomEvent<NodeMembershipStatus>
  /** A post, reply or vote of one of this node's circles is new here (received and opened, or made here). */
  'circle-post': CustomEvent<CirclePostDetail>
  /** The roster or generation of one of this node's circles changed (a join, leave, rotation), or it was created, joined or left. */
  'circle-roster': CustomEvent<CircleRosterDetail>
}

/** A running Murmur node. */
export interface Murmur extends TypedEventTarget<MurmurEvents> {
  /** The node's current network identity (fresh at every start unless persisted). */
  readonly peerId: PeerId
  /** The libp2p node underneath, for diagnostics and advanced use. */
  readonly libp2p: MurmurLibp2p
  /** This node's private circles: create, invite, join, post, read (docs/PROTOCOL.md §6). */
  readonly circles: Circles
  /**
   * Location channels: the cells near a place (coordinates turned into `geo:<cell>` names here, never
   * kept or sent), and far places peeked at read only (post, reply and vote refused: PeekOnlyError).
   */
  readonly places: Places
  /**
   * The onion layer (the `onion` option): whether it runs, the mixes known, own posts in flight through
   * mixes, loops sent and returned, posts delivered as an exit. A fresh snapshot at every read.
   *
   * @example
   * ```ts
   * const { enabled, mixes, pending } = node.onion
   * console.log(enabled ? `onion: ${mixes} mixes, ${pending} posts pending` : 'onion: off')
   * ```
   */
  readonly onion: OnionStatus
  /**
   * Subscribes to a channel and starts finding its members. Every method that takes a channel reads the
   * name as typed, by the protocol's one rule (channelName): `lobby`, `Lobby` and `#LOBBY` are `#lobby`.
   * Throws InvalidChannelError, AbortError.
   */
  join(channel: string, options?: AbortOptions): Promise<void>
  /** Unsubscribes from a channel. Stored posts stay until they expire. */
  leave(channel: string): Promise<void>
  /** Channels currently joined. */
  channels(): string[]
  /**
   * The connected peers subscribed to a channel (those its posts reach through gossip); a
   * `channel-peers` event tells when they change. Throws InvalidChannelError for a bad name.
   *
   * @example
   * ```ts
   * console.log(`${node.channelPeers('#lobby').length} in #lobby`)
   * ```
   */
  channelPeers(channel: string): PeerId[]
  /**
   * Posts to a channel (joining it first if needed); resolves once sent or queued. Ring-signed by this
   * node's member when it holds a stamp (`ring` in the result; at most K = 10 per channel and hour, the
   * next refused with RateLimitError, ERR_RATE_LIMITED, before anything is sent), else one-time-signed
   * under the author's thread pseudonym, shown "unverified", with more proof of work.
   *
   * Throws (matched on `err.name`): NotStartedError, ClockSkewError, InvalidChannelError, LifetimeError (a `ttl` none of
   * the lifetimes, ERR_BAD_LIFETIME), PostValidationError
   * (the protocol's code; ERR_BAD_FIELD for a body nothing of which would show, isBlankText), RateLimitError, OutboxFullError (nothing kept), AbortError (`signal`, before the
   * post is committed), PublishError (gossipsub refused it; `cause`), StemStoppedError (the node stopped
   * while the post waited for a stem peer). {@link reply} and {@link vote} throw the same, and
   * UnknownPostError / InvalidIdError for the post they name.
   */
  post(channel: string, body: string, options?: PostOptions): Promise<PostResult>
  /** Replies to a post or reply held in the store: as {@link post}, a member over the ring it used in the thread, else under the author's pseudonym in it. */
  reply(parentId: string, body: string, options?: PostOptions): Promise<PostResult>
  /**
   * Votes +1 or -1 on a post or reply held in the store, ring-signed by this node's member over a fresh ring
   * (one vote per member per post counts). Throws StampNotReadyError (ERR_STAMP_NOT_READY, `readyAt`) before
   * the node holds a stamp, NoDecoysError (ERR_NO_DECOYS) while its directory knows no other member, and
   * RateLimitError (ERR_RATE_LIMITED, `retryAt`) once the member cast its VOTE_BUDGET (500) upvotes or
   * DOWNVOTE_BUDGET (14) downvotes of the week in the channel, before anything is sent.
   */
  vote(postId: string, vote: 1 | -1, options?: PostOptions): Promise<PostResult>
  /** Unexpired posts of a channel (replies and votes excluded; InvalidChannelError for a bad name); posts the vote rule hides (members' downvotes over upvotes by the channel's margin, once an hour old) are left out. */
  feed(channel: string, options?: FeedOptions): Promise<PostView[]>
  /** A thread: its root post first, then the replies by creation time. Empty when unknown. */
  thread(rootId: string): Promise<PostView[]>
  /** One post, reply or vote by id. */
  get(id: string): Promise<PostView | undefined>
  /**
   * The ids of the unexpired posts and replies this node holds, its own not yet back from the network
   * included, that start with `prefix` (1 to 64 hex characters; InvalidIdError otherwise): ascending, at
   * most `limit` (default 10). A range read of the store's id index, however many posts it holds.
   *
   * @example
   * ```ts
   * const ids = await node.postIdsWithPrefix('9a9e') // one id: what the user meant; several: ask for more
   * ```
   */
  postIdsWithPrefix(prefix: string, options?: { limit?: number }): Promise<string[]>
  /** Addresses other nodes can dial, with `/p2p/<peer id>`. */
  getMultiaddrs(): Multiaddr[]
  /** Number of connected peers. */
  peerCount(): number
  /**
   * What the store holds of public channels: posts of every kind (not those evicted by the quota) and their
   * envelope bytes (not the database on disk); circle posts are left out, as in `murmur_store_posts` (an own
   * circle post is stored when made). Kept in memory: a call never reads the database.
   *
   * @example
   * ```ts
   * const { posts, bytes } = await node.storeUsage()
   * console.log(`${posts} posts, ${Math.round(bytes / 1024)} KiB`)
   * ```
   */
  storeUsage(): Promise<StoreUsage>
  /**
   * Reconciles a joined channel with up to `peers` of its members now (history sync) and resolves to
   * how many posts were fetched. The node also does this by itself on join, restart and new peers.
   * `signal` stops the wait (AbortError); sessions under way end within their own timeouts.
   */
  syncChannel(channel: string, options?: SyncChannelOptions): Promise<number>
  /**
   * Seconds this node's clock is ahead of the network's (negative: behind), estimated from the fresh
   * posts of others; undefined until five have arrived, and while the posts say the clock is off but
   * none arrived in the last ten minutes, or fewer than five since the wall clock jumped. Beyond ±120 s, `post()`, `reply()` and
   * `vote()` throw ClockSkewError (code ERR_CLOCK_SKEW) and a `clock-skew` event says so.
   *
   * @example
   * ```ts
   * const skew = node.clockSkew()
   * if (skew !== undefined && Math.abs(skew) > 120) console.warn(`your clock is ${skew} s off`)
   * ```
   */
  clockSkew(): number | undefined
  /**
   * This node's membership for a status line: the members its directory holds, and when it mints
   * ({@link MembershipInit.mint}) the stamp held and until when, stamps minted ahead, the mint running
   * (progress and ETA) or when the next one starts. Undefined with membership off.
   *
   * @example
   * ```ts
   * const status = node.membership()
   * if (status?.minting?.progress !== undefined) console.log(`stamp: ${Math.round(status.minting.progress.chance * 100)} %, ETA ${status.minting.progress.etaSeconds} s`)
   * ```
   */
  membership(): NodeMembershipStatus | undefined
  /**
   * Stops networking, timers and the store. Idempotent: every call, concurrent or later, resolves once
   * the node has stopped (or rejects with the first part that failed to stop; the others were stopped).
   */
  stop(): Promise<void>
  /** Stops the node, so that `await using node = await createMurmur(…)` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Creates and starts a Murmur node. A start that fails or is aborted (`options.signal`: AbortError)
 * stops whatever it had started (libp2p's listeners, the store) before it rejects.
 *
 * @example
 * ```ts
 * import { createMurmur } from '@murmur/node'
 *
 * await using node = await createMurmur({ listen: ['/ip4/127.0.0.1/tcp/0'], channels: ['#lobby'] }, { signal: AbortSignal.timeout(30_000) })
 * console.log(node.getMultiaddrs().map(String))
 * ```
 */
export async function createMurmur (init: MurmurInit = {}, options: AbortOptions = {}): Promise<Murmur> {
  return MurmurNode.create(init, options)
}
