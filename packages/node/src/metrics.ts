/**
 * Murmur's own metrics, registered with `libp2p.metrics` when the app configured one (a Prometheus
 * registry, say). Nothing is registered, and nothing costs anything, without it.
 *
 * None of them may tell a scraper when this node's own user posts: there is no own-outbox or
 * own-stem figure. Posts waiting to leave (the outbox's own posts, the stem's own and relayed
 * posts) are one gauge, and an own post counts as validated exactly as a relayed one does, so an
 * own post moves the figures as a relayed stem post does (validated +1, waiting +1).
 *
 * The store's size counts the posts of public channels only ({@link publicStoreUsage}). An own post of a
 * public channel enters the store when its first copy comes back from the network (or, published here,
 * once it is out), as a relayed stem post does: the count moves at the same moment for both. An own
 * circle post is stored for its author when it is made, before it leaves (a relayed one when it arrives),
 * so counting circles would move the figure at the moment the user posts in one, and would tell a scraper
 * that this node reads a circle at all.
 */
import { isCircleChannel } from '@murmur/protocol'
import type { Metrics } from '@libp2p/interface'
import type { ValidationResult } from '@murmur/protocol'
import type { StoreUsage } from './store/index.js'

/** Where the gauges read their values; each is read only when scraped, and left out when not given. */
export interface NodeMetricsSources {
  /** Posts waiting to leave: the outbox's (waiting for subscribers) and the stem's held posts, own and relayed together. */
  waiting?: () => number
  /** History sync sessions open now, as initiator and as responder. */
  syncSessions?: () => number
  /** What the store holds of public channels ({@link publicStoreUsage}); read twice a scrape, so it must cost no scan. */
  storeUsage?: () => Promise<StoreUsage>
}

/** Init of {@link createNodeMetrics}. */
export interface NodeMetricsInit extends NodeMetricsSources {
  /** The node's `libp2p.metrics`; without one nothing is registered. */
  metrics?: Metrics
}

/** What the node reports to its metrics as posts are checked. */
export interface NodeMetrics {
  /**
   * A post was checked: every first sight from gossip or the stem, and each own post before it is
   * sent (the latter is what keeps an own post indistinguishable from a relayed one).
   */
  checked(result: ValidationResult): void
}

/** Metric names, so that tests and docs name the same series. */
export const METRIC_NAMES = {
  validated: 'murmur_posts_validated_total',
  rejected: 'murmur_posts_rejected_total',
  waiting: 'murmur_posts_waiting',
  syncSessions: 'murmur_sync_sessions',
  storePosts: 'murmur_store_posts',
  storeBytes: 'murmur_store_bytes'
} as const

/**
 * Resolution of `murmur_store_bytes`: each stored post would move an exact figure by its own envelope's size,
 * in which the length of its proof-of-work nonce shows; nothing a scrape is for needs it finer.
 *
 * @default 1 MiB
 */
export const STORE_BYTES_STEP = 1024 * 1024

const NO_METRICS: NodeMetrics = { checked: () => {} }

/**
 * Registers Murmur's metrics with `init.metrics`; a no-op {@link NodeMetrics} when there is none.
 *
 * @example
 * ```ts
 * const metrics = createNodeMetrics({ metrics: libp2p.metrics, waiting: () => outbox.queued + stem.heldCount })
 * metrics.checked(await validateEnvelope(bytes))
 * ```
 */
export function createNodeMetrics (init: NodeMetricsInit): NodeMetrics {
  const { metrics } = init
  if (metrics === undefined) return NO_METRICS
  const validated = metrics.registerCounter(METRIC_NAMES.validated, { help: 'posts that passed validation, own and relayed' })
  const rejected = metrics.registerCounterGroup(METRIC_NAMES.rejected, { label: 'code', help: 'posts refused by validation, by error code' })
  if (init.waiting !== undefined) {
    metrics.registerMetric(METRIC_NAMES.waiting, { help: 'posts waiting to leave (outbox and stem, own and relayed together)', calculate: init.waiting })
  }
  if (init.syncSessions !== undefined) {
    metrics.registerMetric(METRIC_NAMES.syncSessions, { help: 'history sync sessions open now', calculate: init.syncSessions })
  }
  const { storeUsage } = init
  if (storeUsage !== undefined) {
    metrics.registerMetric(METRIC_NAMES.storePosts, { help: 'posts of public channels held in the store, of every kind', calculate: async () => (await storeUsage()).posts })
    metrics.registerMetric(METRIC_NAMES.storeBytes, {
      help: 'envelope bytes of the posts of public channels held in the store, in whole MiB',
      calculate: async () => Math.floor((await storeUsage()).bytes / STORE_BYTES_STEP) * STORE_BYTES_STEP
    })
  }
  return {
    checked (result) {
      if (result.ok) validated.increment()
      // codes are protocol's fixed ErrorCode set, so the label cannot grow without bound
      else rejected.increment({ [result.code]: true })
    }
  }
}

/**
 * What a store holds of public channels, from its usage by channel: circle channels are left out (see
 * the rule above: an own circle post is stored before it leaves).
 *
 * @example
 * ```ts
 * const { posts, bytes } = publicStoreUsage(await store.usage())
 * ```
 */
export function publicStoreUsage (byChannel: ReadonlyMap<string, StoreUsage>): StoreUsage {
  const total = { posts: 0, bytes: 0 }
  for (const [channel, usage] of byChannel) {
    if (isCircleChannel(channel)) continue
    total.posts += usage.posts
    total.bytes += usage.bytes
  }
  return total
}
