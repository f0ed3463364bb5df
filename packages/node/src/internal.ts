/**
 * @packageDocumentation
 *
 * `@murmur/node/internal`: the pieces of a Murmur node that the project's benchmarks and tests drive on
 * their own (history sync, the post intake, the store, the stem router, the member gate, metrics). Not a
 * public API: no stability promise, names and shapes change with the node. An app embeds a node through
 * `@murmur/node`.
 *
 * @example
 * ```ts
 * import { createPostStore, openDatabase } from '@murmur/node/internal'
 *
 * const store = createPostStore({ db: await openDatabase(undefined) }) // in memory
 * ```
 */
export { HistorySync } from './sync/index.js'
export type { SyncComponents, SyncInit, SyncReport, SyncHost } from './sync/index.js'
export { PostIntake } from './intake.js'
export type { PostIntakeComponents, Verdict, IntakePath, MemberRefusal, MemberHoldOptions } from './intake.js'
export { createPostStore, openDatabase, hotScore } from './store/index.js'
export type { PostStore, PostStoreInit, StoreDatabase, StoredPost, StoredPostKind, PostEntry, PutResult, FeedOptions as StoreFeedOptions } from './store/index.js'
export { createNodeMetrics } from './metrics.js'
export type { NodeMetrics, NodeMetricsInit, NodeMetricsSources } from './metrics.js'
export { InvalidMessageTracker, SCORE_THRESHOLDS } from './gossip.js'
export { topicCid } from './rendezvous.js'
export { nextStampBoundary } from './node-membership.js'
export { memberGatedValidator } from './member-gate.js'
export { openMemberDirectory } from './membership/index.js'
export { StemRouter } from './stem/router.js'
export * from './at-rest/index.js'
