/**
 * The public shape of a node's private circles (docs/PROTOCOL.md §6): what `node.circles` offers to the
 * CLI, the daemon, the chat and apps. The implementation lives next to it in this folder.
 */
import type { CircleWarning } from '@murmur/protocol'
import type { FeedOptions, PostOptions, PostResult } from '../index.js'
import type { PostView } from '../view.js'

export type { CircleWarning } from '@murmur/protocol'

/** A circle as this node holds it. */
export interface CircleSummary {
  /** The circle's local name (unique on this node; never sent anywhere). */
  name: string
  /** The generation of its keys: 0 at creation, +1 at each rotation. */
  generation: number
  /** Members on this node's roster of the generation, itself included. */
  members: number
  /** The circle's minimum ring size (from its invite): posts over fewer members are refused. */
  minRing: number
  /** Whether this node created the circle (only the owner may remove members). */
  owner: boolean
  /** Whether a post now would be signed over at least `minRing` eligible members. */
  canPost: boolean
  /** What a member should know before posting (ring below the minimum, newcomers, one inviter...). */
  warnings: CircleWarning[]
  /** Set when the owner rotated the circle without this member: it keeps what it read and reads nothing after. */
  removed?: true
  /** Set when this node's record of the circle cannot be read (`ERR_CIRCLE_DAMAGED` is logged): leave it and join again. */
  damaged?: true
}

/** A member on this node's roster of a circle. */
export interface CircleMember {
  /** The member's ring key, 64 hex digits. */
  key: string
  /** The name it joined with, when it gave one. */
  name?: string
  /** Unix seconds of its join record (the owner's: the circle's creation). */
  joinedAt: number
  /** Ring key (hex) of the member whose invite it joined with, when the invite was attributable. */
  inviter?: string
  /** Whether this is this node's own member key. */
  self: boolean
  /** Whether it is past the newcomer delay, so that rings may include it. */
  eligible: boolean
}

/** What {@link Circles.invite} returns. */
export interface CircleInviteResult {
  /** The invite string, `MURMUR:CIRCLE:...`, to hand to the newcomer out of band. */
  invite: string
  /** Unix seconds after which joins signed with this invite are refused. */
  expires: number
}

/** Options of {@link Circles.create}. */
export interface CreateCircleOptions {
  /**
   * Minimum ring size of the circle's posts (at least MIN_CIRCLE_RING, 2).
   *
   * @default DEFAULT_CIRCLE_MIN_RING (5)
   */
  minRing?: number
  /** Cancels the creation (AbortError); nothing is kept. */
  signal?: AbortSignal
}

/** Options of {@link Circles.invite}. */
export interface InviteOptions {
  /**
   * Seconds the invite stays usable.
   *
   * @default 604800 (7 days)
   */
  expiresIn?: number
  /**
   * Multiaddr strings put in the invite as bootstrap hints. The joining node shows them to its user and
   * never dials them by itself.
   *
   * @default []
   */
  hints?: string[]
}

/** How far a newcomer's scan of the frames kept before it joined got (`JoinCircleOptions.onProgress`). */
export interface JoinScanProgress {
  /** Frames tried so far. */
  tried: number
  /** Frames kept when the scan began. */
  total: number
}

/** Options of {@link Circles.join}. */
export interface JoinCircleOptions {
  /**
   * The local name of the circle on this node.
   *
   * @default the name in the invite
   */
  name?: string
  /**
   * The name this member shows to the other members in its join record (at most MAX_MEMBER_NAME_BYTES).
   *
   * @default '' (none)
   */
  memberName?: string
  /** Cancels the join (AbortError); nothing is kept. */
  signal?: AbortSignal
  /**
   * How far the scan of the frames this node kept before it joined got: called after each slice of
   * JOIN_SCAN_SLICE_MS of trying and at the end (a store full of frames takes seconds). The join resolves
   * after the scan.
   *
   * @default nothing
   */
  onProgress?(progress: JoinScanProgress): void
}

/**
 * Where a circle post stands for this member (docs/PROTOCOL.md §6.7). `shared`: a post of a generation the
 * circle holds, read by its members. `forked`: this member's own post made on a generation that lost to
 * another rotation of the same generation, made at the same time: the members who followed the winner
 * never read it, so a UI shows it as not delivered and offers to post it again ({@link Circles.repost}).
 * Other members' posts on a losing generation are never shown (its members may differ from the winner's).
 */
export type CirclePostState = 'shared' | 'forked'

/** A circle's post, reply or vote as an app sees it: a {@link PostView} with the circle's local name. */
export interface CirclePostView extends PostView {
  /** The circle's local name. */
  circle: string
  /** Whether the circle's members read it (`shared`) or it was lost in a fork (`forked`). */
  state: CirclePostState
}

/** Detail of the `circle-post` event. */
export interface CirclePostDetail {
  /** The circle's local name. */
  circle: string
  /** The post, reply or vote (`member: true`: a member of the circle wrote it). */
  post: CirclePostView
}

/** Detail of the `circle-roster` event: the roster (or generation) of a circle changed. */
export interface CircleRosterDetail {
  /** The circle's local name. */
  circle: string
}

/**
 * The private circles of a node (`node.circles`). `circle` is always the circle's local name (CircleError
 * ERR_CIRCLE_UNKNOWN when this node holds none of that name); `member` is a ring key in hex or a unique
 * prefix of one.
 *
 * @example
 * ```ts
 * const circle = await node.circles.create('friends')
 * const { invite } = await node.circles.invite('friends')
 * // on another node: await other.circles.join(invite)
 * await node.circles.post('friends', 'hello, circle')
 * ```
 */
export interface Circles {
  /** Creates a circle owned by this node, with itself as its first member. */
  create(name: string, options?: CreateCircleOptions): Promise<CircleSummary>
  /** Makes an invite: publishes an INVITE record in the circle and returns the invite string. */
  invite(circle: string, options?: InviteOptions): Promise<CircleInviteResult>
  /** Joins a circle from an invite string: announces a fresh member key (JOIN, sealed on the circle). */
  join(invite: string, options?: JoinCircleOptions): Promise<CircleSummary>
  /** Leaves a circle: announces LEAVE and forgets its keys (posts read stay in the store until they expire). */
  leave(circle: string): Promise<void>
  /**
   * Removes a member, or several at once (owner only): rotates the circle to a new secret sent to the
   * other members only (ClockSkewError while this node's clock disagrees with its peers'). Members follow
   * at most CIRCLE_ROTATIONS_PER_HOUR rotations an hour and CIRCLE_ROTATIONS_PER_DAY a day: past that
   * CircleError `ERR_CIRCLE_RATE`, its message saying from when (remove several members in one call).
   */
  remove(circle: string, member: string | string[]): Promise<CircleSummary>
  /** The members on this node's roster of a circle. */
  members(circle: string): Promise<CircleMember[]>
  /** The circles this node holds. */
  list(): CircleSummary[]
  /** Posts in a circle, ring-signed over its members; refused below the circle's minimum ring (CircleError ERR_CIRCLE_RING). */
  post(circle: string, body: string, options?: PostOptions): Promise<PostResult>
  /** Replies to a post of the circle. */
  reply(circle: string, parentId: string, body: string, options?: PostOptions): Promise<PostResult>
  /** Votes on a post of the circle (one vote per member per post counts). */
  vote(circle: string, postId: string, vote: 1 | -1, options?: PostOptions): Promise<PostResult>
  /**
   * Posts again, on the current generation, this member's own post or reply shown `forked` (made on a
   * generation that lost a fork, §6.7); the forked copy is withdrawn from this node's store. CircleError
   * ERR_CIRCLE_POST when `postId` is no forked post of this member's.
   */
  repost(circle: string, postId: string, options?: PostOptions): Promise<PostResult>
  /** Unexpired posts of a circle, newest first (or `hot`), with this member's own `forked` posts. */
  feed(circle: string, options?: FeedOptions): Promise<CirclePostView[]>
  /** A circle's thread: its root post first, then the replies by creation time. */
  thread(circle: string, rootId: string): Promise<CirclePostView[]>
}
