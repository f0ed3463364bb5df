/**
 * The JSON shapes of the local control API, shared by the daemon and its client (see docs/API.md).
 */
import type { PostResult, PostView } from '@murmur/node'

export type { PostResult, PostView }

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
}

/** One entry of `GET /v1/peers`. */
export interface PeerResponse {
  peerId: string
  /** Address of the open connection. */
  addr: string
  direction: 'inbound' | 'outbound'
  /** Joined channels the peer is subscribed to. */
  channels: string[]
}

/** Body of `POST /v1/posts`. */
export interface PostRequest { channel: string, body: string, ttl?: number }
/** Body of `POST /v1/replies`. */
export interface ReplyRequest { parent: string, body: string, ttl?: number }
/** Body of `POST /v1/votes`. */
export interface VoteRequest { post: string, vote: 1 | -1, ttl?: number }
/** Body of `POST /v1/join` and `POST /v1/leave`. */
export interface ChannelRequest { channel: string }

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
