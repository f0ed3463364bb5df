/**
 * A store written before sealing is sealed while the data dir's at-rest key is made (Node.js; dataDirKeys
 * calls this before the pending key becomes the key), crash-safe: the sealed copy is built beside it
 * (`store.sealing`), marked complete (`store.sealing-done`), swapped in by two renames and marked sealed
 * (`store.sealed`); the key stays pending until then, so the next start after a kill at any step finishes
 * the swap or starts the copy again, and the data dir holds the old store or the new one, never neither.
 * That window is how an earlier version's store is known: it is the store there was before the data dir
 * had a key. Once the key is there, nothing seals a plain store (one found is refused, ERR_PLAIN_STORE).
 */
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { exists, fsyncFolder, fsyncPath, writeDurably } from '../at-rest/durable-file.js'
import { STORE_DIRECTORY } from './constants.js'
import { SealedDatabase } from './sealed-database.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { StoreDatabase } from './database.js'

/** Present: `<dataDir>/store` is sealed. */
export const STORE_SEALED_MARKER = `${STORE_DIRECTORY}.sealed`
/** The sealed copy of a plain store being built. */
export const SEALING_DIRECTORY = `${STORE_DIRECTORY}.sealing`
/** Present: the sealed copy is complete, and the swap is under way. */
export const SEALING_DONE_MARKER = `${STORE_DIRECTORY}.sealing-done`
/** The plain store moved aside during the swap, removed once the sealed one is in place. */
export const PLAIN_ASIDE_DIRECTORY = `${STORE_DIRECTORY}.plain`

const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const

/** Entries copied per batch. */
const COPY_BATCH = 256


/** Options of {@link sealStoreDir}. */
export interface SealStoreInit {
  /** Called after each step, for tests that kill the process there. */
  onStep?: (step: 'copied' | 'marked' | 'swapped') => Promise<void> | void
}

/**
 * Makes `<dataDir>/store` a sealed store: finishes a sealing cut short, or seals a plain store (copying
 * every record, keys mapped and values sealed, see SealedDatabase), or marks a data dir with no store yet.
 * Resolves once `store.sealed` is on disk. Only for a key being made (see the file's comment): called on
 * a data dir that has its key, it would seal a store someone planted.
 *
 * @example
 * ```ts
 * await loadOrCreateAtRestKey(dataDir, { beforeUse: async (key) => { await sealStoreDir(dataDir, await atRestKeys(key)) } })
 * ```
 */
export async function sealStoreDir (dataDir: string, keys: AtRestKeys, init: SealStoreInit = {}): Promise<void> {
  const path = (name: string): string => join(dataDir, name)
  if (await exists(path(STORE_SEALED_MARKER))) {
    await rm(path(SEALING_DIRECTORY), { recursive: true, force: true })
    await rm(path(PLAIN_ASIDE_DIRECTORY), { recursive: true, force: true })
    await rm(path(SEALING_DONE_MARKER), { force: true })
    return
  }
  if (!await exists(path(SEALING_DONE_MARKER))) {
    // a copy cut short is started again
    await rm(path(SEALING_DIRECTORY), { recursive: true, force: true })
    if (!await exists(path(STORE_DIRECTORY))) {
      await writeDurably(path(STORE_SEALED_MARKER), new Uint8Array(0))
      return
    }
    await copySealed(path(STORE_DIRECTORY), path(SEALING_DIRECTORY), keys)
    await init.onStep?.('copied')
    await writeDurably(path(SEALING_DONE_MARKER), new Uint8Array(0))
    await init.onStep?.('marked')
  }
  if (await exists(path(SEALING_DIRECTORY))) {
    if (await exists(path(STORE_DIRECTORY))) await rename(path(STORE_DIRECTORY), path(PLAIN_ASIDE_DIRECTORY))
    await rename(path(SEALING_DIRECTORY), path(STORE_DIRECTORY))
    await fsyncPath(dataDir)
    await init.onStep?.('swapped')
  }
  await writeDurably(path(STORE_SEALED_MARKER), new Uint8Array(0))
  await rm(path(SEALING_DONE_MARKER), { force: true })
  await rm(path(PLAIN_ASIDE_DIRECTORY), { recursive: true, force: true })
}

/** Copies the plain store at `from` into a sealed one at `to`, on disk once this resolves. */
async function copySealed (from: string, to: string, keys: AtRestKeys): Promise<void> {
  const plain = new ClassicLevel<Uint8Array, Uint8Array>(from, { ...VIEW, createIfMissing: false })
  await plain.open()
  try {
    const sealed = new SealedDatabase(new ClassicLevel<Uint8Array, Uint8Array>(to, VIEW) as unknown as StoreDatabase, keys)
    await sealed.open()
    try {
      const iterator = plain.iterator()
      try {
        for (;;) {
          const entries = await iterator.nextv(COPY_BATCH)
          if (entries.length === 0) break
          await sealed.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })))
        }
      } finally {
        await iterator.close()
      }
    } finally {
      await sealed.close()
    }
  } finally {
    await plain.close()
  }
  // LevelDB does not flush its log on close: the copy is on disk before it is marked complete
  await fsyncFolder(to)
}
