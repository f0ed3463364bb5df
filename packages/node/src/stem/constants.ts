/**
 * Defaults of the Dandelion++ stem. Every value here can be overridden through `StemRouterInit` /
 * `StemInit` (and so through `MurmurInit`); the simulation (`npm run sim:anonymity`) measures them.
 */
import { MAX_ENVELOPE_BYTES } from '@murmur/protocol'

/** The stem protocol: one long-lived stream per successor carrying length-prefixed stem frames. */
export const STEM_PROTOCOL = '/murmur/stem/1.0.0'

/**
 * Probability q that a node is a *diffuser* for an epoch (it fluffs every stem post it relays);
 * otherwise it is a relay for the whole epoch. Dandelion++ picks the role per epoch, which makes the
 * per-hop fluff probability q while keeping routes fixed within an epoch. The paper advises q ≤ 0.2;
 * with q = 0.2 an adversary that knows where stems end learns much more than with q = 0.1.
 *
 * @default 0.1
 */
export const FLUFF_PROBABILITY = 0.1

/**
 * Stem successors picked per epoch (the "2 outbound relays" of Dandelion++ that make its 4-regular
 * anonymity graph).
 *
 * @default 2
 */
export const STEM_SUCCESSORS = 2

/**
 * Shortest epoch, in ms: successors, the inbound-edge mapping and the diffuser role are kept this long.
 *
 * @default 600_000 (10 minutes, as in BIP 156, Monero and Grin)
 */
export const EPOCH_DURATION = 600_000

/**
 * Each epoch lasts `EPOCH_DURATION` plus a uniform random extra in [0, EPOCH_JITTER) ms, so nodes do not
 * rotate in lockstep.
 *
 * @default 60_000
 */
export const EPOCH_JITTER = 60_000

/**
 * An epoch whose successors were filled in as peers connected (rather than drawn from a full set of
 * candidates at rotation) ends this many ms later at most, so a fresh node does not keep its first
 * connections (often bootstrap nodes) as successors for a whole epoch.
 *
 * @default 60_000
 */
export const PROVISIONAL_EPOCH = 60_000

/**
 * Stem hop latency, in ms, assumed for the embargo timer: one-way internet latency (≈ 50–150 ms between
 * random peers) plus full validation (PoW, Ed25519 or ring signature; a few ms, ~20 ms for a 64-key
 * ring) plus queueing; 200 ms is the conservative end.
 *
 * @default 200
 */
export const HOP_LATENCY = 200

/**
 * Hops k a stem should be able to travel before any node on it fluffs through its embargo timer.
 * With q = 0.1 stems are geometric with mean 1/q = 10 hops.
 *
 * @default 10
 */
export const EMBARGO_HOPS = 10

/**
 * Allowed probability ε that some embargo timer fires before the stem has made `EMBARGO_HOPS` hops.
 *
 * @default 0.1
 */
export const EMBARGO_EPSILON = 0.1

/**
 * An own post's timer is `OWN_EMBARGO_MIN + Exp(OWN_EMBARGO_MEAN)` ms instead of the relays' embargo. When
 * it fires the author does not fluff (that would make it the first gossip hop of its own post) but sends
 * the post again through a successor it has not tried; it fluffs only when none is left. The floor is
 * far above the time a stem plus gossip takes to bring the post back (a few seconds), so a healthy stem
 * never triggers it.
 *
 * @default 10_000
 */
export const OWN_EMBARGO_MIN = 10_000

/** @default 10_000 (see {@link OWN_EMBARGO_MIN}) */
export const OWN_EMBARGO_MEAN = 10_000

/**
 * Times the author re-sends an own post into the stem (through the successors it dialed, tried or not)
 * when the post has not come back through gossip. Then each untried successor that dialed it gets one
 * try, and only then does the author publish the post itself (and log that). An own post is never
 * ended by the author on a cycle: it goes back to a successor that already had it, which treats the copy
 * as a loop and ends the stem there.
 *
 * @default 3
 */
export const OWN_RESENDS = 3

/**
 * Most stem posts held at once (each with an embargo timer). A post arriving when the table is full is
 * fluffed at once instead of held.
 *
 * @default 1024
 */
export const MAX_HELD_POSTS = 1024

/**
 * Most held stem posts that came from one inbound peer. Past it that peer's posts are fluffed at once, so
 * a peer flooding cheap valid posts cannot fill the table and shorten every other node's stems.
 *
 * @default 256
 */
export const MAX_HELD_PER_PEER = 256

/**
 * Ids of posts that left the stem (fluffed by us or seen through gossip) are remembered this long, in ms,
 * so a late stem copy is dropped instead of starting a second stem.
 *
 * @default 1_800_000 (30 minutes)
 */
export const REMEMBER_DONE = 1_800_000

/** Most post ids remembered as done; the oldest are forgotten first. */
export const MAX_REMEMBERED = 16_384

/**
 * With no stem-capable peer, an own post waits a uniform random delay in
 * [NO_PEER_DELAY_MIN, NO_PEER_DELAY_MAX) ms (a stem peer may connect meanwhile) and is then fluffed.
 *
 * @default 500
 */
export const NO_PEER_DELAY_MIN = 500

/** @default 2_000 (see {@link NO_PEER_DELAY_MIN}) */
export const NO_PEER_DELAY_MAX = 2_000

/** Longest topic a stem frame carries (its length is one byte). */
export const MAX_TOPIC_BYTES = 255

/** Largest stem frame: topic length byte, topic, envelope. */
export const MAX_FRAME_BYTES = 1 + MAX_TOPIC_BYTES + MAX_ENVELOPE_BYTES

/**
 * Inbound stem streams accepted per connection: a peer keeps one open to us.
 *
 * @default 2
 */
export const MAX_INBOUND_STREAMS = 2

/**
 * Outbound stem streams per connection: we keep one open per successor.
 *
 * @default 2
 */
export const MAX_OUTBOUND_STREAMS = 2

/**
 * Time allowed to open a stem stream to a successor, in ms; past it the post takes another route.
 *
 * @default 5_000
 */
export const STEM_DIAL_TIMEOUT = 5_000
