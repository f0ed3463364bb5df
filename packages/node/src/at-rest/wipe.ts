/**
 * Wiping a data dir (Node.js), as a crypto-erase: the at-rest key is overwritten and unlinked first, so
 * that what flash storage keeps of the other files, or what an interrupted wipe leaves, is ciphertext
 * nobody can open; then every file and folder a Murmur node keeps there is removed, the marker that the
 * data dir was sealed last (a data dir cut short mid-wipe refuses to start, ERR_AT_REST_KEY_MISSING, and
 * says to run the wipe again). A directory holding anything else is refused before anything is touched.
 */
import { readdir, rm, rmdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { PEER_KEY_FILE } from '../constants.js'
import { STORE_DIRECTORY } from '../store/constants.js'
import { TEMP_SUFFIX, exists, fsyncIfThere } from './durable-file.js'
import { AtRestError } from './errors.js'
import { AT_REST_KEY_FILE, AT_REST_MARKER_FILE, AT_REST_PENDING_FILE, destroyAtRestKey } from './key-file.js'

/** What the node keeps in a data dir, besides the store's own `store.*` names. */
const NODE_ENTRIES: readonly string[] = [AT_REST_KEY_FILE, AT_REST_PENDING_FILE, AT_REST_MARKER_FILE, STORE_DIRECTORY, PEER_KEY_FILE, 'membership', 'circles']

/** Options of {@link wipeDataDir}. */
export interface WipeInit {
  /**
   * Other names an application keeps in the data dir (the CLI's identity, settings, control API files):
   * removed too, and not taken for a sign of a foreign directory.
   *
   * @default []
   */
  names?: readonly string[]
  /**
   * How long to wait, in ms, for another process to close the store before giving up with
   * `ERR_DATA_DIR_IN_USE`: a daemon that is stopping (its control API closed already, as a second wipe
   * at the same moment finds it) holds the store until it has closed it.
   *
   * @default 0
   */
  storeWait?: number
}

/** How often a store held by another process is tried again, in ms (no event says that the lock is gone). */
const STORE_POLL = 50

/** What a wipe did. */
export interface WipeResult {
  /** Whether there was an at-rest key to destroy. */
  keyDestroyed: boolean
  /**
   * Whether the data dir was sealed but its key was gone already when this wipe listed it: another wipe
   * under way destroyed it, or one was cut short (not "a data dir of an earlier version").
   */
  keyAlreadyDestroyed: boolean
  /** The entries of the data dir removed (names, sorted). */
  removed: string[]
  /** Whether the data dir itself is gone (it was left empty). */
  dirRemoved: boolean
}

/** Whether `name` is one a node (or the app, `extra`) writes in a data dir, temp files of writes cut short included. */
function isDataDirEntry (name: string, extra: readonly string[]): boolean {
  const base = name.endsWith(TEMP_SUFFIX) ? name.replace(/\.[0-9a-f]{12}\.tmp$/, '') : name
  return NODE_ENTRIES.includes(base) || extra.includes(base) || base.startsWith(`${STORE_DIRECTORY}.`)
}

/**
 * The entries of `dataDir` if it is a Murmur data dir: a directory holding nothing but what a node (or the
 * app, `names`) keeps there, and at least one of those. Throws AtRestError `ERR_NOT_A_DATA_DIR` otherwise,
 * naming what does not belong, so that `--data-dir ~` removes nothing. Undefined when there is no such directory.
 *
 * @example
 * ```ts
 * await dataDirEntries(join(homedir(), 'Documents')) // throws ERR_NOT_A_DATA_DIR
 * ```
 */
export async function dataDirEntries (dataDir: string, init: WipeInit = {}): Promise<string[] | undefined> {
  let entries: string[]
  try {
    if (!(await stat(dataDir)).isDirectory()) throw new AtRestError('ERR_NOT_A_DATA_DIR', `${dataDir} is not a directory, and so no Murmur data dir: nothing was removed`)
    entries = await readdir(dataDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const extra = init.names ?? []
  const foreign = entries.filter((name) => !isDataDirEntry(name, extra))
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).map((name) => JSON.stringify(name)).join(', ')
    throw new AtRestError('ERR_NOT_A_DATA_DIR', `${dataDir} is not a Murmur data dir: it holds ${shown}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ''}, which Murmur never writes; nothing was removed (check --data-dir)`)
  }
  return entries
}

/**
 * Throws AtRestError `ERR_DATA_DIR_IN_USE` when another process has the store of `dataDir` open (LevelDB's
 * lock) still after `wait` ms.
 */
async function checkStoreFree (dataDir: string, wait: number): Promise<void> {
  const deadline = Date.now() + wait
  for (;;) {
    const store = new ClassicLevel(join(dataDir, STORE_DIRECTORY), { createIfMissing: false })
    try {
      await store.open()
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code !== 'LEVEL_LOCKED') return // no store, or one that does not open: nothing holds it
      if (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, STORE_POLL))
        continue
      }
      // told as it is now: the key may have been destroyed by this wipe's caller, or by another wipe
      const done = await exists(join(dataDir, AT_REST_KEY_FILE)) ? 'nothing was removed' : 'the at-rest key is destroyed (what is left cannot be read any more), but nothing else was removed'
      throw new AtRestError('ERR_DATA_DIR_IN_USE', `the store in ${dataDir} is open in another process (a chat, a relay, or a daemon that did not stop): ${done}; quit it and wipe again`, { cause: err })
    }
    await store.close()
    return
  }
}

/**
 * Wipes a data dir no process uses any more (stop its daemon first): destroys the at-rest key, then
 * removes every entry, the sealed marker last, then the directory when it is left empty. Safe beside
 * another wipe of the same data dir (what it removed first is skipped, the directory gone is done). Throws
 * AtRestError, removing nothing, when the directory holds anything else (`ERR_NOT_A_DATA_DIR`); when its
 * store is open in another process (`ERR_DATA_DIR_IN_USE`), having destroyed the key and nothing else (a
 * panic wipe waits for nobody to make the rest unreadable).
 *
 * @example
 * ```ts
 * const { removed } = await wipeDataDir(dataDir, { names: ['identity.json', 'api.json'] })
 * ```
 */
export async function wipeDataDir (dataDir: string, init: WipeInit = {}): Promise<WipeResult> {
  const entries = await dataDirEntries(dataDir, init)
  if (entries === undefined) return { keyDestroyed: false, keyAlreadyDestroyed: false, removed: [], dirRemoved: false }
  const keyDestroyed = await destroyAtRestKey(dataDir)
  const keyAlreadyDestroyed = !keyDestroyed && entries.includes(AT_REST_MARKER_FILE)
  if (entries.includes(STORE_DIRECTORY)) await checkStoreFree(dataDir, init.storeWait ?? 0)
  const rest = entries.filter((name) => ![AT_REST_KEY_FILE, AT_REST_PENDING_FILE, AT_REST_MARKER_FILE].includes(name))
  for (const name of rest) await rm(join(dataDir, name), { recursive: true, force: true })
  await fsyncIfThere(dataDir)
  // last: a wipe cut short before here leaves a data dir that refuses to start, and says to wipe again
  await rm(join(dataDir, AT_REST_MARKER_FILE), { force: true })
  let dirRemoved = false
  try {
    await rmdir(dataDir)
    dirRemoved = true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // removed by another wipe at the same moment: gone all the same
    if (code === 'ENOENT') dirRemoved = true
    // something appeared meanwhile (a process still running): it stays, and the caller sees the dir
    else if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
  }
  return { keyDestroyed, keyAlreadyDestroyed, removed: entries.sort(), dirRemoved }
}
