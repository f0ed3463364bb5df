/**
 * Parameters of onion-wrapped first hops (issue 19; the model behind each default: docs/ORIGIN-HIDING.md).
 */

/** The protocol onion packets travel on, one packet per stream. */
export const MIX_PROTOCOL = '/murmur/mix/1.0.0'
/** The protocol a node answers with its current mix public key. */
export const MIX_KEY_PROTOCOL = '/murmur/mix-key/1.0.0'
/** Mixes on an own post's path; its last one is the exit, which publishes into gossip. @default 3 */
export const MIX_PATH_LENGTH = 3
/** Mean of the exponential delay each mix holds a packet, in ms (the model's chosen point). @default 800 */
export const MIX_MEAN_DELAY = 800
/** Longest hold a mix honours, and the longest a sender asks for, in ms. @default 10000 */
export const MAX_MIX_HOLD = 10_000
/** Loop cover packets each node sends per minute, as a Poisson process (17.9 KB/node/min modelled). @default 1 */
export const LOOPS_PER_MINUTE = 1
/** Packets a mix holds at once; one more is dropped (ERR_MIX_FULL). @default 256 */
export const MAX_MIX_HELD = 256
/** An own post not seen in gossip this long after it left is sent again through another path, in ms. @default 20000 */
export const ONION_RESEND_AFTER = 20_000
/** Paths an own post tries before it is handed to the fallback (the stem). @default 3 */
export const ONION_MAX_ATTEMPTS = 3
/** How long a mix key is announced for before the mix draws a new one, in ms; it is opened for as long again (then its replay tags go with it). @default 3600000 */
export const MIX_KEY_LIFETIME = 3_600_000
/**
 * Longest a node keeps a mix's key without asking again, in ms, whatever expiry the mix announced: a
 * key replaced early by count (MAX_REPLAY_TAGS) keeps a quarter of its tags for senders still holding
 * it, which then move to the new key within this (16,384 packets in 10 min: 98,304 an hour). @default 600000
 */
export const MIX_KEY_REFRESH = 600_000
/** Replay tags a mix keeps under one key (69 bytes each in V8: 4.5 MB); at 3/4 of them it draws a new key early. @default 65536 */
export const MAX_REPLAY_TAGS = 65_536
/**
 * Largest fraction of a key's replay tags that other address groups leave which packets from one group
 * may spend (`fairShare`): one group holds at most half a key, so it alone never makes the mix replace it. @default 0.5
 */
export const MIX_TAG_SHARE = 0.5
/** Keys a mix holds at once (each opened until a lifetime past its announced expiry): at most this many times MAX_REPLAY_TAGS tags. @default 3 */
export const MAX_MIX_KEYS = 3
/** Time to open a mix stream and write a packet, or to read one, in ms. @default 5000 */
export const MIX_STREAM_TIMEOUT = 5_000
/** Inbound mix streams per connection (one packet each, short-lived). @default 8 */
export const MAX_MIX_INBOUND_STREAMS = 8
/** Connections a mix keeps open at once that it dialed to forward packets (each closed once its packet is written). @default 16 */
export const MAX_MIX_FORWARD_DIALS = 16
/** Of those, the ones only packets from peers this node chose to dial may take (an attacker cannot make itself chosen). @default 4 */
export const MIX_FORWARD_CHOSEN_RESERVE = 4
/**
 * Largest fraction of the forwarding dials other address groups leave free that packets from one group may
 * take (`fairShare`): a lone address takes 6 of the 12 open to all, the next 3 of what is left. @default 0.5
 */
export const MIX_FORWARD_SHARE = 0.5
/**
 * Forwarding dials packets from one address group may have open at once to one address group (an IPv4
 * address, an IPv6 /48, every DNS name together): one sender cannot aim the mix's share at one host. @default 2
 */
export const MAX_MIX_FORWARD_DIALS_PER_GROUP = 2
/**
 * Time to dial a next hop, in ms: TCP, the encrypter's multistream-select and Noise XX (which names the
 * muxer) take 3 round trips, 0.3–0.9 s at 100–300 ms, and a lost SYN adds the 1 s first retransmit
 * (loopback: 40–115 ms on a busy 2-core machine); a next hop that never answers holds a dial this long. @default 2000
 */
export const MIX_FORWARD_DIAL_TIMEOUT = 2_000
/**
 * Time constant, in ms, over which a group's forwarding dials that failed are remembered (weighted by
 * `e^(-age / window)`): a group whose recent dials all failed keeps one at a time. @default 60000
 */
export const MIX_FORWARD_FAILURE_WINDOW = 60_000
