/**
 * Defaults of the Dandelion++ stem. Every value here can be overridden through `StemRouterInit` /
 * `StemInit` (and so through `MurmurInit`); the simulation (`npm run sim:anonymity`) measures them.
 */
import { FORWARD_SLACK, MAX_ENVELOPE_BYTES } from '@murmur/protocol'

/** The stem protocol: one long-lived stream per successor carrying length-prefixed stem frames. */
export const STEM_PROTOCOL = '/murmur/stem/3.0.0'

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
 * Floor of the embargo timer, in ms. Every held stem post, own or relayed, has a timer of
 * `EMBARGO_MIN + Exp(EMBARGO_MEAN)`; when it fires before the post came back through gossip, the node
 * sends the post through a successor it has not tried yet, and publishes it only when none is left. The
 * floor is far above the time a healthy stem plus gossip takes to bring a post back (ten 200 ms hops and
 * a second of gossip), so no timer fires while the stem is still growing: Dandelion++'s Proposition 3
 * (the chance that some timer cuts a k-hop stem short) is 0 for stems of up to 50 such hops. Own and
 * relayed posts share one timer and one rule, so a successor that swallows a post cannot tell them apart
 * by what V does next.
 *
 * @default 10_000
 */
export const EMBARGO_MIN = 10_000

/**
 * Longest a post stays in this node's stem, in ms, from when it entered it here: an embargo timer firing
 * later publishes it here (if still forwardable) instead of handing it to the next untried stem peer.
 * Without it the hold grew with the number of stem peers, about peers × (`EMBARGO_MIN` + `EMBARGO_MEAN`),
 * several minutes with a dozen, eating into what `FORWARD_SLACK` leaves a post to spread. At most one more
 * embargo runs past it, so a post leaves within `MAX_STEM_HOLD` plus one embargo draw. Own and relayed
 * posts alike, so the bound says nothing about who wrote a post.
 *
 * @default 60_000 (FORWARD_SLACK)
 */
export const MAX_STEM_HOLD = FORWARD_SLACK * 1000

/**
 * Mean of the exponential part of the embargo timer, in ms (see {@link EMBARGO_MIN}). Memoryless, so
 * when a black hole swallows a post, which of the nodes holding it re-sends it first is close to
 * uniform over the stem rather than the author.
 *
 * @default 10_000
 */
export const EMBARGO_MEAN = 10_000

/**
 * Times a held stem post may come back to a node (along a cycle of the stem graph, or sent back by a
 * successor) and still be sent on to a stem peer it has not been through; the next copy back ends its
 * stem there (`loop`). Own and relayed posts alike, so a successor bouncing a post sees the same thing
 * either way.
 *
 * @default 1
 */
export const LOOP_LIMIT = 1

/**
 * Whether a post whose stem ends on a loop (see {@link LOOP_LIMIT}) is handed, marked "publish" in its
 * stem frame, to one of the node's stem peers drawn at random (not the peer it just came from, nor the
 * one it avoids), which publishes it at once, own or relayed; the node keeps it under its embargo timer
 * and hands it to another peer if it is not seen in gossip in time. The author of a post holds it
 * longest, so a loop most often closes there (every time in a 6-node channel with no diffuser; 2 % of
 * posts at n = 50): published where the loop closes, such a post named its author to every gossip
 * neighbour timing first copies. Handed on, it names the author only to the one peer handed it, and
 * only as well as the loop did (`bench/anonymity/stem-end.ts`).
 *
 * @default true
 */
export const HAND_OFF = true

/**
 * Most relayed stem posts held at once (each with an embargo timer). When the table is full, the sender
 * address group (an IPv4 address, an IPv6 /48) holding the most loses its oldest held post: that post is
 * forgotten here (no timer, no loop memory) but its stem goes on, and no post is ever published because
 * the table was full. A flood of cheap valid posts, under any number of PeerIds from one address, thus
 * only evicts its own, and cannot shorten anyone else's stems; pushing out one honest post takes as many
 * address groups as the table has room. Own posts are not counted: the outbox bounds them.
 *
 * @default 1024
 */
export const MAX_HELD_POSTS = 1024

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

/** Largest stem frame: flags byte, topic length byte, topic, envelope. */
export const MAX_FRAME_BYTES = 2 + MAX_TOPIC_BYTES + MAX_ENVELOPE_BYTES

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
