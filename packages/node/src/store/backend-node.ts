import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { STORE_DIRECTORY } from './constants.js'
import { StoreDamagedError } from './errors.js'
import { finishRepair, moveAside } from './move-aside.js'
import { checkTables, liveTables } from './table-check.js'
import { dataDirKeys } from '../at-rest/sealed-file.js'
import { openSealedDatabase } from './sealed-database.js'
import type { StoreDatabase } from './database.js'
import type { MovedAside } from './move-aside.js'
import type { AtRestKeys } from '../at-rest/seal.js'

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Check every table's block checksums first (see table-check.ts), refusing a damaged store. @default true */
  check?: boolean
  /**
   * Move the store there is aside to a dated name first (`murmur repair`) and open a fresh one, keeping
   * this node's own records that are still readable; called with what was done. @default keep the store
   */
  moveAside?: (moved: MovedAside) => void
  /**
   * The data dir's at-rest keys, when the caller read them already (once per start or command, see
   * dataDirKeys); a repair hands them on to the copy and to the open after it.
   *
   * @default read from the data dir (dataDirKeys)
   */
  atRestKeys?: AtRestKeys
}

/**
 * Open the node's post database (Node.js build, selected through the `#store-backend` import):
 * LevelDB (classic-level) in `<dataDir>/store`, sealed under the data dir's at-rest key (values sealed,
 * channel names hashed, see sealed-database.ts; a plain store of an earlier version is sealed when the
 * data dir's key is made, see sealing-migration.ts, and one found later is refused: AtRestError
 * ERR_PLAIN_STORE), when a data directory is given, else an in-memory database that vanishes with the
 * process. Resolves once the database is open, so a locked or
 * unreadable directory fails here rather than on the first write; a store with damaged tables throws
 * StoreDamagedError (`ERR_STORE_DAMAGED`) instead of failing reads later.
 *
 * @example
 * ```ts
 * import { createPostStore, openDatabase } from '@murmur/node/internal'
 *
 * const store = createPostStore({ db: await openDatabase('/var/lib/murmur') })
 * ```
 */
export async function openDatabase (dataDir: string | undefined, options: OpenDatabaseOptions = {}): Promise<StoreDatabase> {
  const encodings = { keyEncoding: 'view', valueEncoding: 'view' } as const
  if (dataDir === undefined) {
    const memory = new MemoryLevel<Uint8Array, Uint8Array>({ ...encodings, storeEncoding: 'view' })
    await memory.open()
    return memory
  }
  const location = join(dataDir, STORE_DIRECTORY)
  // a repair cut short is finished (or undone) before anything reads the store
  await finishRepair(dataDir)
  const keys = options.atRestKeys ?? await dataDirKeys(dataDir)
  const report = options.moveAside
  if (report !== undefined) {
    const { db, moved } = await moveAside(dataDir, async () => openDatabase(dataDir, { check: false, atRestKeys: keys }), { atRestKeys: keys })
    report(moved)
    return db
  }
  // before the open: a compaction it starts rewrites damaged blocks under fresh checksums (LevelDB does
  // not verify them while compacting), and the damage could no longer be seen
  const damaged = options.check === false ? [] : await checkTables(location)
  const db = new ClassicLevel<Uint8Array, Uint8Array>(location, encodings)
  await db.open()
  if (damaged.length > 0) {
    // a table not live is a leftover of an interrupted compaction, which the open just deleted
    const live = liveTables(db.getProperty('leveldb.sstables'))
    const hurt = damaged.filter((damage) => live.has(Number.parseInt(damage.file, 10)))
    if (hurt.length > 0) {
      await db.close()
      throw new StoreDamagedError(location, hurt)
    }
  }
  return await openSealedDatabase(db as unknown as StoreDatabase, keys)
}
