/**
 * Defaults and fixed names of the `murmur` command, in one place.
 */

/** Channel used by `murmur chat` (and `npm start`) when none is given. */
export const DEFAULT_CHANNEL = '#lobby'

/** File in the data dir holding the author identity (mode 0600). */
export const IDENTITY_FILE = 'identity.json'

/** File in the data dir holding where the control API listens and its bearer token (mode 0600) while a daemon runs. */
export const API_FILE = 'api.json'

/** File in the data dir holding the channels the daemon has joined, sealed (mode 0600). */
export const JOINED_CHANNELS_FILE = 'channels.json'

/** The control API's Unix-domain socket in the data dir (mode 0600) while a daemon runs. */
export const API_SOCKET = 'api.sock'

/** The only interface the control API binds to when it cannot use a Unix-domain socket (Windows). */
export const API_HOST = '127.0.0.1'

/** Path prefix of every control API route. */
export const API_PREFIX = '/v1'

/** Largest request body the control API reads, in bytes: a post body (at most 2048 bytes) JSON-escaped six times over still fits. */
export const MAX_REQUEST_BYTES = 16 * 1024

/** Most bytes of a request body too large that the control API reads and discards before its 413, so that the client sees the answer; past it the connection is cut. */
export const MAX_DISCARDED_BYTES = 2 * 1024 * 1024

/**
 * Most connections the control API holds open at once that have sent a request or stayed silent 100 ms
 * (event streams included); fresh ones are held apart up to `MAX_FRESH_CONNECTIONS` (512, in
 * daemon/connections.ts). A newcomer is refused only when the cap is full of requests that showed the token.
 */
export const MAX_API_CONNECTIONS = 64

/** Time a connection to the control API gets to send a request's headers, and its whole request, in ms. */
export const API_HEADERS_TIMEOUT = 5_000
/** @see API_HEADERS_TIMEOUT */
export const API_REQUEST_TIMEOUT = 10_000

/** Time the client gives the process on the control API's port to prove that it holds the token, in ms. */
export const API_PROOF_TIMEOUT = 5_000

/**
 * Prefix of the message whose HMAC-SHA256 under the token proves that the daemon holds the token:
 * `HMAC(token, API_PROOF_CONTEXT + nonce)` (see docs/API.md).
 */
export const API_PROOF_CONTEXT = 'murmur-api-proof:'

/** Interval of the SSE keep-alive comment, in ms. */
export const SSE_KEEPALIVE_INTERVAL = 15_000

/** Shortest interval between two proof-of-work progress events sent to a client, in ms. */
export const PROGRESS_INTERVAL = 250

/** Peer and subscription changes arriving within this many ms are reported as one status change. */
export const STATUS_DEBOUNCE = 150

/** How often the local rendezvous looks for other Murmur processes of this user, in ms. */
export const RENDEZVOUS_INTERVAL = 10_000

/** Time allowed for dialing a node found through the local rendezvous, in ms. */
export const RENDEZVOUS_DIAL_TIMEOUT = 5_000

/** Fewest hex characters of a post id prefix the commands and the chat accept (`murmur vote 9a9e up`). */
export const MIN_ID_PREFIX = 4

/** Most ids a prefix lookup answers with: enough to list the candidates of an ambiguous prefix. */
export const MAX_PREFIX_MATCHES = 10

/** Posts of each joined channel, newest first, among which the daemon looks up an id prefix (the store's own per-channel quota). */
export const PREFIX_SCAN_POSTS = 10_000

/** Default number of posts `murmur feed` prints. */
export const FEED_LIMIT = 20

/** Exit codes of the `murmur` command. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The request was understood but failed (unknown post, network trouble, daemon error). */
  FAILURE: 1,
  /** Bad arguments or input: unknown command, bad channel name, body too long, bad post id. */
  USAGE: 2,
  /** No daemon runs for this data dir. */
  NO_DAEMON: 3,
  /** This device's clock is too far off the network's: posts would be refused everywhere. */
  CLOCK_SKEW: 4,
  /** A vote before this node holds a member stamp: it would count for nothing (the line says when the stamp is expected). */
  NOT_MEMBER: 5,
  /** A vote on a post this node voted on already: neither repeated nor changed; nothing sent. */
  ALREADY_VOTED: 6,
  /** A post id prefix that more than one post starts with: the message lists them; give more of the id. */
  AMBIGUOUS_ID: 7,
  /** Interrupted with Ctrl-C (e.g. while mining proof of work). */
  INTERRUPTED: 130
} as const
