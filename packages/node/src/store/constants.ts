import { CREATED_GRANULARITY, EPOCH_SECONDS, MAX_CLOCK_SKEW, MAX_TTL } from '@murmur/protocol'

/** Sub-directory of the node's data directory that holds the LevelDB post database. */
export const STORE_DIRECTORY = 'store'

/** Sublevel path under which the store keeps all of its keys, so the database can be shared. */
export const STORE_SUBLEVEL = 'store'

/**
 * Default number of posts {@link PostStore.feed} returns.
 *
 * @example
 * ```ts
 * const page = await store.feed('#lobby') // at most DEFAULT_FEED_LIMIT (50) posts
 * ```
 */
export const DEFAULT_FEED_LIMIT = 50

/**
 * How long past `max(created, arrival)` a link tag is held, in seconds: the longest ttl plus one
 * rate-limit epoch. A post-slot scope names an epoch, and its posts have `created` in that epoch, so
 * no post of the scope can be accepted (unexpired) later than this; a vote scope names a parent that
 * lives at most the longest ttl. Holding the tag that long keeps a ring member's slot used whatever
 * ttl its post had.
 *
 * @default MAX_TTL + EPOCH_SECONDS (one week and one hour: 608,400 s)
 */
export const TAG_RETENTION = MAX_TTL + EPOCH_SECONDS

/** Hours added to a post's age in the hot formula, so brand-new posts do not divide by ~0. */
export const HOT_AGE_OFFSET_HOURS = 2

/** Exponent of the age term in the hot formula: how fast a post sinks as it ages. */
export const HOT_GRAVITY = 1.5

/** Expired posts removed per atomic batch by a sweep, so writers are never blocked for long. */
export const SWEEP_BATCH_SIZE = 64

/** Posts read per round trip while walking a feed. */
export const FEED_READ_CHUNK = 64

/**
 * Most ids {@link PostStore.idsWithPrefix} gives when no limit is asked: enough to name the posts a
 * short prefix is ambiguous between.
 *
 * @default 10
 */
export const ID_PREFIX_MATCHES = 10

/**
 * Most posts (of every kind) one channel may hold; past it the store evicts (see `quota.ts`).
 * @default 10000
 */
export const CHANNEL_POSTS_QUOTA = 10_000

/**
 * Most envelope bytes one channel may hold; past it the store evicts (see `quota.ts`). With the
 * count quota, 20 joined channels stay under ~650 MB even with every envelope at its 16 KiB limit,
 * and under ~200 MB with typical posts.
 * @default 32 MiB
 */
export const CHANNEL_BYTES_QUOTA = 32 * 1024 * 1024

/** Eviction brings a channel down to this fraction of its quotas, so it runs once per many puts. @default 0.9 */
export const QUOTA_LOW_WATER = 0.9

/** Length of an arrival class, in seconds: posts that arrived in the same hour compete with each other. @default 3600 */
export const ARRIVAL_CLASS_SECONDS = 3600

/**
 * The hot feed ranks the channel's newest this-many POSTs only, so a read does not grow with the
 * channel. A post older than that would need a very high score to rank anyway.
 * @default 1000
 */
export const HOT_CANDIDATES = 1000

/**
 * Envelopes kept per link tag (the counted one and those that lost to it, shadowed): a member who signs
 * more under one tag gets its smallest ids kept and the rest dropped, so conflicts cost a node bounded
 * room. Up to this many per tag, every node reaches the same state whatever the arrival order (see
 * `conflicts.ts`).
 *
 * @default 4
 */
export const CONFLICT_RETAINED = 4

/**
 * Seconds a VOTE's `created` may lie before its parent's: the clocks of the two authors may each be off by
 * MAX_CLOCK_SKEW, and a builder dates a post up to two minutes before it leaves (created rounded down to its
 * CREATED_GRANULARITY grid under up to a minute of jitter). A vote dated earlier is refused ('backdated').
 *
 * @default 2 × MAX_CLOCK_SKEW + 2 × CREATED_GRANULARITY (360 s)
 */
export const VOTE_BEFORE_PARENT = 2 * MAX_CLOCK_SKEW + 2 * CREATED_GRANULARITY
