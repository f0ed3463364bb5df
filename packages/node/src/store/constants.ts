import { EPOCH_SECONDS, MAX_TTL } from '@murmur/protocol'

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
 * A post whose score is at or below this is hidden from feeds (Yik Yak's "removed at -5").
 *
 * @example
 * ```ts
 * const hidden = (await store.feed('#lobby', { includeHidden: true })).filter(p => p.score <= HIDDEN_SCORE)
 * ```
 */
export const HIDDEN_SCORE = -5

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
