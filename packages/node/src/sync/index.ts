/**
 * History sync: a node that joins a channel, restarts, or meets a new peer in a channel reconciles the
 * channel's unexpired post ids with that peer (range-based set reconciliation) and fetches only what it
 * lacks, validating each envelope exactly like gossip. Wire format: docs/PROTOCOL.md §10.
 */
export { HistorySync } from './history-sync.js'
export { SyncLimitError, SyncStalledError } from './errors.js'
export { addressGroup } from './admission.js'
export { postItemOf } from './requested.js'
export { drawSyncPeers } from './sync-peers.js'
export type { SyncPeerView } from './sync-peers.js'
export type { SyncItemOf } from './requested.js'
export type { SyncComponents, SyncHost, SyncInit } from './history-sync.js'
export type { SyncReport } from './initiator.js'
export * from './constants.js'
