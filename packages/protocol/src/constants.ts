/**
 * Network parameters of Murmur protocol v2. Every value here is part of the normative spec
 * (docs/PROTOCOL.md); nodes that disagree on them cannot validate each other's posts.
 */

/** Largest envelope accepted, checked before decoding. @default 16384 */
export const MAX_ENVELOPE_BYTES = 16 * 1024
/** Largest channel name in UTF-8 bytes. @default 64 */
export const MAX_CHANNEL_BYTES = 64
/** Largest post body in UTF-8 bytes. @default 2048 */
export const MAX_BODY_BYTES = 2048
/**
 * Shortest lifetime of a post in seconds (one hour, the shortest lifetime offered). A post is passed on only
 * while more than MAX_CLOCK_SKEW + FORWARD_SLACK of it is left (forwardableAt), so a lifetime of a few
 * minutes could barely, or never, be forwarded (protocol v2, eighth read of issue 12; it was 60).
 * @default 3600
 */
export const MIN_TTL = 3600
/** Longest lifetime of a post in seconds (one week). @default 604800 */
export const MAX_TTL = 604_800
/** Lifetime used when a builder is not given one (one day). @default 86400 */
export const DEFAULT_TTL = 86_400
/** Largest ring in a ring signature. @default 64 */
export const MAX_RING_SIZE = 64
/** K: ring-signed posts per member per channel per epoch (slots 0..K-1). @default 10 */
export const POSTS_PER_EPOCH = 10
/**
 * Upvotes one member may cast per channel per week (WEEK_SECONDS, of the vote's `created`): the second link
 * tag of a ring-signed upvote, `voteBudgetScope(topic, week, slot)` with `slot < VOTE_BUDGET` (downvotes
 * have their own, DOWNVOTE_BUDGET). Weekly, not
 * hourly: a budget of the hour a vote claims is refilled by backdating (history sync carries votes dated in
 * any past hour back to their parent, each hour with its own fresh budget), a week's is not (a member holds
 * at most this week's and last week's, whatever dates it claims). 500 is about 70 votes a day, every day:
 * more than a person reading a busy channel casts; an identity that downvotes every post of a channel
 * busier than that needs more stamps.
 *
 * @default 500
 */
export const VOTE_BUDGET = 500
/**
 * Downvotes one member may cast per channel per week: the second link tag of a ring-signed downvote is
 * `downvoteBudgetScope(topic, week, slot)` with `slot < DOWNVOTE_BUDGET`, in place of the vote budget's
 * (which then counts upvotes only). A minority can then strike only DOWNVOTE_BUDGET posts a week per
 * identity, so one of 10 or 20 % of the members, which hides most honest posts under any margin it
 * outnumbers, hides a few percent; honest members rarely reach it (bench/votes-sim.ts: about 0.8
 * downvotes a day on average, 1 % of their downvotes refused at 14).
 *
 * @default 14
 */
export const DOWNVOTE_BUDGET = 14
/** Length of a rate-limit epoch in seconds: epoch = floor(created / EPOCH_SECONDS). @default 3600 */
export const EPOCH_SECONDS = 3600
/** W: ring-signed posts per member per channel per week (week slots 0..W-1), whatever their epochs. @default 256 */
export const POSTS_PER_WEEK = 256
/** Length of a rate-limit week in seconds: week = floor(created / WEEK_SECONDS). @default 604800 */
export const WEEK_SECONDS = 604_800
/** `created` is a multiple of this many seconds, so it does not time a post to the second. @default 60 */
export const CREATED_GRANULARITY = 60
/** Sizes in bytes an encoded Post is padded to: the smallest that fits (docs/PROTOCOL.md §2). @default [256, 512, 1024, 2560] */
export const POST_SIZE_BUCKETS: readonly number[] = Object.freeze([256, 512, 1024, 2560])
/**
 * M: log2 of the native SHA-256 compressions that cost as much CPU as verifying one ring member, per kind
 * (a VOTE carries two limit tags since its budget tag, as POST and REPLY do, so one value for all), with
 * room for two-way multi-buffer hashing: the ring term of the proof of work is sized from it, so that an
 * attacker hashing natively pays at least what a verifier pays to reject its envelope. Calibrated on
 * one-compression SHA-NI throughput (35–50 ns of CPU a hash) against 0.69–1.1 ms of CPU per verified member
 * with two tags (docs/PROTOCOL.md §3; 15 for a VOTE of one tag, 0.40–0.66 ms, before it had a budget tag).
 * @default { POST: 15.5, REPLY: 15.5, VOTE: 15.5 }
 */
export const RING_POW_MEMBER_BITS: Readonly<Record<'POST' | 'REPLY' | 'VOTE', number>> = Object.freeze({ POST: 15.5, REPLY: 15.5, VOTE: 15.5 })
/**
 * P: the difference between two honest nodes' clocks the protocol tolerates, in seconds. A node accepts a
 * post `created` up to 2·P ahead of its clock and passes one on only while it is at most P ahead and has
 * more than P + FORWARD_SLACK to live (acceptableAt, forwardableAt): whatever a node passes on, a node whose
 * clock is within P of its own accepts.
 * @default 120
 */
export const MAX_CLOCK_SKEW = 120
/**
 * Seconds between a node's decision to pass a post on and the next node's judging it: transit, the
 * receiver's verification queue, a history-sync round, a stem hop's wait. Added to the expiry margin of
 * forwardableAt. @default 60
 */
export const FORWARD_SLACK = 60
/** Byte length of a Post's random salt. @default 16 */
export const SALT_BYTES = 16
/** Byte length of post ids, keys, scalars and points. */
export const ID_BYTES = 32
/** Proof-of-work difficulty in leading zero bits, per post kind. @default { POST: 16, REPLY: 16, VOTE: 12 } */
export const DEFAULT_POW_BITS: Readonly<Record<'POST' | 'REPLY' | 'VOTE', number>> = Object.freeze({ POST: 16, REPLY: 16, VOTE: 12 })
/**
 * Bits a one-time-signed POST or REPLY (unverified: no member stamp behind it) needs on top of its kind's
 * base: the ring term of a member's post over the smallest ring a member signs with
 * (`ringPowBits('POST', MIN_MEMBER_RING)` = 4 for 16 members), so a post without a stamp never costs less
 * than a member's. One-time VOTEs count for nothing and need none. A node's lower test base lowers the
 * total by as much (docs/PROTOCOL.md §3).
 * @default 4
 */
export const UNVERIFIED_EXTRA_BITS = 4
/** Prefix of every gossipsub topic of protocol v2. */
export const TOPIC_PREFIX = 'murmur/2/'
