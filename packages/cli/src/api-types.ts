/**
 * The JSON shapes of the local control API, shared by the daemon and its client (see docs/API.md).
 */
import type { CircleInviteResult, CircleMember, CirclePostView, CircleSummary, CircleWarning, OnionStatus, PostResult, PostView } from '@murmur/node'

export type { CircleInviteResult, CircleMember, CirclePostView, CircleSummary, CircleWarning, PostResult, PostView }

/** A channel this node has joined and how many connected peers are subscribed to it. */
export interface ChannelStatus {
  channel: string
  peers: number
}

/** This node's clock against the network's, estimated from the fresh posts of others. */
export interface ClockStatus {
  /** Seconds this node's clock is ahead of the network's (negative: behind); null until a few posts of others arrived. */
  offset: number | null
  /** Whether the offset is beyond the 120 s the network accepts: this node's posts are refused until its clock is set right. */
  skewed: boolean
}

/** The member stamp being minted now (docs/MEMBERSHIP.md): a lottery of 2^bits expected evaluations. */
export interface MintingStatus {
  /** The week the stamp is for. */
  week: number
  /** Argon2id evaluations done for it so far (across restarts). */
  evaluations: number
  /** Expected evaluations of a whole mint (2^bits); null before the first evaluation. */
  expected: number | null
  /** evaluations / expected, at most 1 (a mint may end sooner or go on longer); 0 before the first evaluation. */
  progress: number
  /** Expected seconds left (minting is memoryless: expected × time per evaluation); null before the first evaluation. */
  etaSeconds: number | null
}

/** This node's membership: its own stamp and mint, and the member directory it holds. */
export interface MembershipStatusResponse {
  /** Whether this node mints a member stamp of its own (false with `--no-mint`). */
  minter: boolean
  /** Members with a stamp accepted now in this node's directory (its own included). */
  members: number
  /** This node's stamp accepted now that lasts longest; null: not a member (yet). */
  stamp: { week: number, expires: number } | null
  /** Weeks of stamps already minted for later. */
  ahead: number[]
  /** The mint running now; null when none runs. */
  minting: MintingStatus | null
  /** When the next mint starts (unix seconds), while none runs; null otherwise. */
  nextMintAt: number | null
  /**
   * Members a vote or post of this node hides among now: 16 (MIN_MEMBER_RING), fewer while the directory
   * holds fewer, 0 while it holds no other member; null when the node does not report it.
   */
  ring: number | null
  /**
   * Whether this node's member signs its votes and posts now (its stamp is out there and another member is
   * known): until then votes are refused and posts go out unverified; null when the node does not report it.
   */
  signing: boolean | null
}

/** `GET /v1/status`, and the `status` event of `GET /v1/events`. */
export interface StatusResponse {
  /** Version of the `murmur` command running the node. */
  version: string
  /** Process id of the node's process. */
  pid: number
  /** The node's network identity (fresh at every start). */
  peerId: string
  /** Addresses other nodes can dial. */
  multiaddrs: string[]
  /** Connected peers. */
  peers: number
  channels: ChannelStatus[]
  /** Seconds since the node started. */
  uptime: number
  clock: ClockStatus
  /** Membership (stamp, minting progress and ETA, directory size); null with membership off. */
  membership: MembershipStatusResponse | null
  /** The onion layer (`--onion`): on or off, mixes known, own posts pending, loops sent and back, posts delivered as an exit. */
  onion: OnionStatus
}

/** One entry of `GET /v1/peers`. */
export interface PeerResponse {
  peerId: string
  /** Address of the first open connection. */
  addr: string
  /** Direction of that connection. */
  direction: 'inbound' | 'outbound'
  /** Open connections to the peer (two when both dialed at once). */
  connections: number
  /** Joined channels the peer is subscribed to. */
  channels: string[]
}

/** Body of `POST /v1/posts`; `channel` may be `circle:NAME`, one of this node's circles by its local name. */
export interface PostRequest { channel: string, body: string, ttl?: number }
/** Body of `POST /v1/replies`; `circle`: the local name of the parent's circle (found by the daemon when left out). */
export interface ReplyRequest { parent: string, body: string, ttl?: number, circle?: string }
/** Body of `POST /v1/votes`; `circle`: the local name of the post's circle (found by the daemon when left out). */
export interface VoteRequest { post: string, vote: 1 | -1, ttl?: number, circle?: string }
/** Body of `POST /v1/join` and `POST /v1/leave`. */
export interface ChannelRequest { channel: string }

/** What a posting route answers: the node's PostResult, and for a circle's post, reply or vote its circle's local name. */
export type PostingResult = PostResult & { circle?: string }

/** `GET /v1/circles`: the circles this node is a member of. */
export interface CirclesResponse { circles: CircleSummary[] }
/** Body of `POST /v1/circles`: create a circle owned by this node. */
export interface CreateCircleRequest {
  /** Local name (never sent anywhere). */
  name: string
  /** Minimum ring size of its posts, 2..64. @default 5 */
  minRing?: number
}
/** `POST /v1/circles`, `POST /v1/circles/join` and `POST /v1/circles/remove`: the circle as it is now. */
export interface CircleResponse { circle: CircleSummary }
/** Body of `POST /v1/circles/invite`. */
export interface CircleInviteRequest {
  circle: string
  /** Seconds the invite stays usable. @default 604800 (7 days) */
  expiresIn?: number
  /** Bootstrap hints (multiaddrs) to put in the invite, at most 4. @default none */
  hints?: string[]
}
/** `POST /v1/circles/invite`: the invite string (whoever holds it reads the circle) and what it carries. */
export interface CircleInviteResponse extends CircleInviteResult {
  circle: string
  hints: string[]
}
/** Body of `POST /v1/circles/join`. */
export interface JoinCircleRequest {
  invite: string
  /** Local name. @default the invite's name */
  name?: string
  /** The name shown to the other members. @default none */
  memberName?: string
  /** Dial the invite's bootstrap hints, alongside the node's own peers (refused while it has none). @default false */
  dialHints?: boolean
}
/** `POST /v1/circles/join`: the circle, the invite's hints and which of them were dialed. */
export interface JoinCircleResponse extends CircleResponse {
  hints: string[]
  dialed: string[]
}
/**
 * Body of `POST /v1/circles/leave` (`circle`) and `POST /v1/circles/remove` (`circle`, and `member`, a ring key
 * or unique prefix, or `members`, 1..64 of them removed in one rotation).
 */
export interface CircleMemberRequest { circle: string, member?: string, members?: string[] }
/** `GET /v1/circles/members?circle=NAME`. */
export interface CircleMembersResponse { circle: string, members: CircleMember[] }

/** Progress of proof-of-work mining, streamed while a post is built. */
export interface MiningProgress {
  attempts: number
  bits: number
}

/** Body of every error response, and the `error` event of a streamed post. */
export interface ErrorResponse {
  error: {
    /** Name of the error class, e.g. `UnknownPostError`. */
    name: string
    /** Stable code, e.g. `ERR_UNKNOWN_POST`, `ERR_BODY_TOO_LONG`, `ERR_UNAUTHORIZED`. */
    code: string
    message: string
    /** With `ERR_STAMP_NOT_READY`: when this node's member stamp is expected (unix seconds), when known. */
    readyAt?: number
    /** With `ERR_RATE_LIMITED`: when the next slot opens (unix seconds: the next hour, or week). */
    retryAt?: number
    /** With `ERR_PEEK_ONLY`: the channel only peeked at (the node's message names no command; the CLI adds `murmur join`). */
    channel?: string
  }
}

/** The `error` event that ends a streamed post: the error and the HTTP status a plain request would get. */
export interface ErrorEvent extends ErrorResponse {
  status: number
}

/** The event stream of `GET /v1/events`. */
export type ApiEvent =
  | { type: 'post', post: PostView }
  | { type: 'status', status: StatusResponse }
