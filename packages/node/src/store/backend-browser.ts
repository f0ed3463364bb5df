import { BrowserLevel } from 'browser-level'
import { MemoryLevel } from 'memory-level'
import type { StoreDatabase } from './database.js'

/**
 * Open the node's post database (browser build, selected through the `#store-backend` import's
 * `browser` condition): IndexedDB (browser-level) named after `dataDir` when one is given, else an
 * in-memory database that vanishes with the page. Resolves once the database is open.
 *
 * @example
 * ```ts
 * import { createPostStore, openDatabase } from '@murmur/node/internal'
 *
 * const store = createPostStore({ db: await openDatabase('murmur') })
 * ```
 */
export async function openDatabase (dataDir: string | undefined): Promise<StoreDatabase> {
  const options = { keyEncoding: 'view', valueEncoding: 'view' } as const
  if (dataDir === undefined) {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ ...options, storeEncoding: 'view' })
    await db.open()
    return db
  }
  const db = new BrowserLevel<Uint8Array, Uint8Array>(dataDir, options)
  await db.open()
  // IndexedDB stores bytes only, so browser-level declares a narrower storage format than
  // StoreDatabase; abstract-level transcodes string keys to bytes for it, and the store itself
  // only ever uses 'view' keys and values, so the wider type is sound at run time.
  return db as unknown as StoreDatabase
}
