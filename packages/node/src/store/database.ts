import type { AbstractLevel } from 'abstract-level'

/**
 * The database a {@link PostStore} keeps its data in: any abstract-level v3 database whose default
 * key and value types are `Uint8Array` (the store opens its own `'view'`-encoded sublevels, so the
 * database's own encodings do not matter beyond the type).
 *
 * @example
 * ```ts
 * import { MemoryLevel } from 'memory-level'
 * import type { StoreDatabase } from '@murmur/node/internal'
 *
 * const db: StoreDatabase = new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' })
 * ```
 */
export type StoreDatabase = AbstractLevel<string | Uint8Array, Uint8Array, Uint8Array>
