import { BrowserLevel } from 'browser-level'
import { MemoryLevel } from 'memory-level'
import { loadOrCreateBrowserAtRestKey } from '../at-rest/browser-key.js'
import { atRestKeys } from '../at-rest/seal.js'
import { openSealedDatabase } from './sealed-database.js'
import { isSealedStore, sealBrowserStore } from './sealing-browser.js'
import type { StoreDatabase } from './database.js'

/**
 * Open the node's post database (browser build, selected through the `#store-backend` import's
 * `browser` condition): IndexedDB (browser-level) named after `dataDir`, sealed under the page's at-rest
 * key (its own IndexedDB database, see at-rest/browser-key.ts; a plain store of an earlier version is
 * sealed first, see sealing-browser.ts), when one is given, else an in-memory database that vanishes with
 * the page. Resolves once the database is open. The member key and stamps, circle keys and location state
 * live in its sublevels, so they are sealed with it.
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
  const raw = db as unknown as StoreDatabase
  try {
    const keys = await atRestKeys(await loadOrCreateBrowserAtRestKey(dataDir, await isSealedStore(raw)))
    await sealBrowserStore(raw, keys)
    return await openSealedDatabase(raw, keys)
  } catch (err) {
    await db.close()
    throw err
  }
}
