/**
 * @packageDocumentation
 *
 * The persistent, expiring post store of a Murmur node (DESIGN.md §8): posts by id, by channel and
 * time, by thread; vote and reply tallies; link tags held per scope (past their posts, see
 * `TAG_RETENTION`); an expiry index so sweeping touches only what expired; a per-channel quota whose
 * eviction a flood cannot turn against older posts (see `quota.ts`). Every write is one atomic
 * abstract-level batch.
 *
 * @example
 * ```ts
 * import { createPostStore, openDatabase } from '@murmur/node/internal'
 *
 * const store = createPostStore({ db: await openDatabase(undefined) })
 * await store.put(post)
 * const hot = await store.feed('#lobby', { sort: 'hot', limit: 20 })
 * await store.sweep()
 * await store.close()
 * ```
 */

import { LevelPostStore } from './post-store.js'
import type { PostStore, PostStoreInit } from './types.js'

export { openDatabase } from '#store-backend'
export { hotScore } from './hot.js'
export { DEFAULT_FEED_LIMIT, ID_PREFIX_MATCHES } from './constants.js'
export { InvalidPostError, CorruptRecordError, StoreDamagedError, RepairWriteError } from './errors.js'
export { threadRoot } from './write-plan.js'
export { UNKNOWN_SENDER } from './arrival.js'
export type { StoreDatabase } from './database.js'
export type { StoredPost, StoredPostKind, PutResult, FeedOptions, PostEntry, PostStore, PostStoreInit, StoreUsage } from './types.js'

/**
 * Create a post store over an open abstract-level database. The store keeps its keys in its own
 * `store` sublevels, serialises its writes, and closes the database when it is closed.
 *
 * @example
 * ```ts
 * import { MemoryLevel } from 'memory-level'
 * import { createPostStore } from '@murmur/node/internal'
 *
 * const store = createPostStore({ db: new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }) })
 * const result = await store.put({
 *   id, channel: '#lobby', kind: 'POST', body: 'hello', vote: 0,
 *   created: 1_700_000_000, expires: 1_700_086_400, envelope
 * }, 1_700_000_000)
 * // result === 'stored'; a second put of the same id gives 'duplicate'
 * ```
 */
export function createPostStore (init: PostStoreInit): PostStore {
  return new LevelPostStore(init)
}
