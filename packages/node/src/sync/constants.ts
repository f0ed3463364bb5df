/**
 * Defaults of history sync (`/murmur/sync/2.1.0`). Every one can be overridden through `SyncInit`.
 */

/** The stream protocol of history sync. */
export const SYNC_PROTOCOL = '/murmur/sync/2.1.0'

/** Envelope bytes a responder puts in one reply before queueing the rest. @default 1 MiB */
export const SYNC_REPLY_BYTES = 1024 * 1024

/** Most envelopes in one reply (the decoder's limit is 2048). @default 1024 */
export const SYNC_REPLY_ENVELOPES = 1024

/** Time allowed for one whole session, in ms. @default 60000 */
export const SYNC_SESSION_TIMEOUT = 60_000

/** Concurrent sessions one peer may hold open with us (as responder). @default 2 */
export const SYNC_SESSIONS_PER_PEER = 2

/** Sessions one peer may open with us per minute (as responder). @default 20 */
export const SYNC_REQUESTS_PER_MINUTE = 20

/** Round trips one session may take before it is abandoned (a SyncLimitError, not retried). @default 64 */
export const SYNC_MAX_ROUND_TRIPS = 64

/**
 * Ranges a responder's replies may hold in one session, in all, besides one per item the initiator holds
 * in the channel; past them the initiator ends the session (a SyncLimitError, not retried). An honest
 * session of two disjoint sets of 20,000 posts takes 7,725, of 60,000 31,578 (0.5 per item), of 20,000
 * and half of them 5,064; a lying responder answered 63 rounds of 4,095 ranges, 90 ms of the initiator's
 * main thread each (fourteenth read of issue 12, Medium 1). Spread over 20,000 posts held, 4,095 ranges
 * cost it 68 ms and a reply of 244 KB: 28,192 ranges, 7 rounds, about 0.5 s. @default 8192
 */
export const SYNC_SESSION_RANGES = 8192

/**
 * Sessions this node runs as initiator at once, over all peers; more wait their turn (`InitiatorSlots`).
 * Any peer that subscribes to a channel gets one, and PeerIds are free to make. @default 8
 */
export const SYNC_MAX_INITIATING = 8

/**
 * Of `SYNC_MAX_INITIATING`, the sessions run at once with the peers of one address group (an IPv4 address,
 * an IPv6 /48, a relay's peers): eight sybils on one host got fifteen sessions, a whole core, and honest
 * gossip took 0.9 s instead of 58 ms (fourteenth read of issue 12, Medium 1). @default 2
 */
export const SYNC_INITIATING_PER_GROUP = 2

/**
 * Sessions of one address group waiting for an initiator slot, one per peer; past it a newcomer takes the
 * place of the last one (a peer that stalled lately, else the one served most lately) if it goes before
 * it, or is dropped until the next trigger. @default 32
 */
export const SYNC_INITIATING_QUEUE = 32

/** After syncing a channel with a peer, wait this long before syncing it with that peer again, in ms. @default 60000 */
export const SYNC_COOLDOWN = 60_000

/** Peers a node syncs one channel with when it joins or restarts. @default 3 */
export const SYNC_PEERS_PER_CHANNEL = 3

/** A peer that sent an invalid post during sync is not asked again for this long, in ms. @default 600000 */
export const SYNC_DEMOTION = 10 * 60_000

/**
 * Anti-entropy: every interval (±25 % jitter) a node syncs each joined channel with one random member,
 * so posts that gossip missed (partitions, restarts of others) spread without anyone asking. In ms.
 * @default 60000
 */
export const SYNC_INTERVAL = 60_000

/**
 * A session that failed for another reason than a stall or a limit (a busy or briefly unreachable peer) is
 * retried once after this long (plus up to as much again, random), in ms. @default 2000
 */
export const SYNC_RETRY_DELAY = 2_000

/**
 * Sessions this node answers at once, over all peers (peer ids are free to make). A stream takes one
 * of these slots only once its first message has arrived, so idle streams hold none.
 * @default 16
 */
export const SYNC_MAX_RESPONDING = 16

/**
 * When every responder slot is taken, an address group (an IPv4 address, an IPv6 /48; a relayed peer
 * counts as its relay's) that has held slots for this many ms more than a newcomer group holding none,
 * counted over all its sessions of about the last minute (`SLOT_USE_WINDOW`), yields its longest-held
 * slot to it. A group over its fair share (`SYNC_MAX_RESPONDING` / active groups) yields its
 * longest-held slot at once. A sync session usually ends well within this.
 * @default 10000
 */
export const SYNC_RESPONDING_HOLD_CAP = 10_000

/**
 * Sessions a responder answers besides `SYNC_MAX_RESPONDING`, only for peers it dialed itself (a sybil
 * cannot make it dial one at will), one per address group, when the shared slots refuse them.
 * @default 2
 */
export const SYNC_DIALED_RESERVE = 2

/** A responder cuts a stream whose first message has not arrived within this many ms. @default 5000 */
export const SYNC_FIRST_MESSAGE_TIMEOUT = 5_000

/**
 * Either end cuts a session whose next message has not arrived within this many ms (the initiator
 * validates up to a reply's worth of envelopes between messages). @default 20000
 */
export const SYNC_IDLE_TIMEOUT = 20_000

/** Ids one session may ask a peer for, in all (a lying peer cannot make the list grow without bound). @default 100000 */
export const SYNC_MAX_WANTED = 100_000

/**
 * A peer that stalled a session this node began (no whole message within `SYNC_IDLE_TIMEOUT`, or past
 * `SYNC_SESSION_TIMEOUT`) is drawn for anti-entropy only after every other peer for this long, in ms,
 * and its failed session is not retried: one chosen peer answering slowly or never no longer holds
 * every round. @default 600000
 */
export const SYNC_STALLED_FOR = 10 * 60_000
