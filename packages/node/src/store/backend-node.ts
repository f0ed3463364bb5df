import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { STORE_DIRECTORY } from './constants.js'
import type { StoreDatabase } from './database.js'

/**
 * Open the node's post database (Node.js build, selected through the `#store-backend` import):
 * LevelDB (classic-level) in `<dataDir>/store` when a data directory is given, else an in-memory
 * database that vanishes with the process. Resolves once the database is open, so a locked or
 * unreadable directory fails here rather than on the first write.
 *
 * @example
 * ```ts
 * import { createPostStore, openDatabase } from '@murmur/node'
 *
 * const store = createPostStore({ db: await openDatabase('/var/lib/murmur') })
 * ```
 */
export async function openDatabase (dataDir: string | undefined): Promise<StoreDatabase> {
  const options = { keyEncoding: 'view', valueEncoding: 'view' } as const
  const db = dataDir === undefined
    ? new MemoryLevel<Uint8Array, Uint8Array>({ ...options, storeEncoding: 'view' })
    : new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, STORE_DIRECTORY), options)
  await db.open()
  return db
}
