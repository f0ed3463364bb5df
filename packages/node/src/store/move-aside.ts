/**
 * A damaged store moved aside (Node.js) without ever leaving the data dir without this node's own
 * records: those still readable — its own posts not yet back from the network, its votes, its members'
 * post counters of the hour and week (a slot used twice would be dropped by every relay, and leave
 * through this node alone) and the rings of its threads — are copied into `store.repair-new` while the
 * store stays in place and locked; then a marker file is written and the folders are swapped (store →
 * `store.damaged-<date>`, `store.repair-new` → store). A swap cut short (a crash, Ctrl-C, a power cut) is
 * finished by the next open ({@link finishRepair}); a copy cut short leaves the store untouched and its
 * half-written copy is deleted. Posts and the member directory come back from peers by sync.
 */
import { readFile, rename, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { IN_STEM_SUBLEVEL } from '../in-stem.js'
import { OWN_VOTES_SUBLEVEL } from '../own-votes.js'
import { POST_COUNTERS_SUBLEVEL, USED_UP_COUNT, counterCutKey, readCount } from '../membership/post-counters.js'
import { RING_BOOK_SUBLEVEL } from '../membership/ring-book.js'
import { PLACES_SUBLEVEL } from '../location.js'
import { FORWARDED_RINGS_SUBLEVEL } from './forwarded-rings.js'
import { exists, fsyncFolder, writeDurably } from '../at-rest/durable-file.js'
import { dataDirKeys } from '../at-rest/sealed-file.js'
import { STORE_DIRECTORY } from './constants.js'
import { SealedDatabase } from './sealed-database.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import { RepairWriteError } from './errors.js'
import type { StoreDatabase } from './database.js'

/** The sublevels copied from a store moved aside: what peers cannot give back. */
export const KEPT_SUBLEVELS: readonly string[] = [IN_STEM_SUBLEVEL, OWN_VOTES_SUBLEVEL, POST_COUNTERS_SUBLEVEL, RING_BOOK_SUBLEVEL, PLACES_SUBLEVEL, FORWARDED_RINGS_SUBLEVEL]

/** Where the kept records are copied before the swap. */
export const REPAIR_NEW_DIRECTORY = `${STORE_DIRECTORY}.repair-new`
/** The marker of a swap begun: `{ "aside": "<name>" }`; present, the next open finishes the swap. */
export const REPAIR_MARKER_FILE = `${STORE_DIRECTORY}.repair-swap`

/** Records copied per batch. */
const BATCH = 500
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const

/** What moving a store aside did. */
export interface MovedAside {
  /** Where the old store is now. */
  aside: string
  /** Records copied over, per kept sublevel. */
  kept: Record<string, number>
  /** Kept sublevels whose reading stopped at damage (what followed it is lost). */
  cut: string[]
}

/** The steps of a repair, as {@link MoveAsideInit.onStep} hears them. */
export type RepairStep = 'copied' | 'marked' | 'moved-old'

/** Options of {@link moveAside}. */
export interface MoveAsideInit {
  /** The time of the repair: it dates the moved store, and counters cut short count its hour and week as used up. @default new Date() */
  now?: Date
  /** Called after each step, before the next (a test kills the process there). @default nothing */
  onStep?: (step: RepairStep) => Promise<void> | void
  /** The data dir's at-rest keys, a sealed store is read and written through. @default read from the data dir (dataDirKeys) */
  atRestKeys?: AtRestKeys
}

/** A name for the moved store, dated to the second (UTC), e.g. `store.damaged-20261130-014502`. */
function asideName (now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${STORE_DIRECTORY}.damaged-${stamp}`
}


/** The dated name, or the first of `<name>-2`, `<name>-3` … that is free (two repairs in one second). */
async function freeAsideName (dataDir: string, now: Date): Promise<string> {
  const base = asideName(now)
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`
    if (!await exists(join(dataDir, name))) return name
  }
}

/** Renames, ignoring a source already gone (another process finishing the same swap). */
async function renameIfThere (from: string, to: string): Promise<void> {
  await rename(from, to).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/** The swap itself: every step may be repeated after a crash. */
async function swap (dataDir: string, aside: string, onStep?: MoveAsideInit['onStep']): Promise<void> {
  const location = join(dataDir, STORE_DIRECTORY)
  const fresh = join(dataDir, REPAIR_NEW_DIRECTORY)
  if (await exists(fresh)) {
    if (await exists(location)) {
      await renameIfThere(location, join(dataDir, aside))
      await onStep?.('moved-old')
    }
    await renameIfThere(fresh, location)
  }
  await rm(join(dataDir, REPAIR_MARKER_FILE), { force: true })
}

/**
 * Finishes a repair cut short in `dataDir`: a swap begun (its marker there) is completed; a copy without
 * a marker (the store untouched) is deleted, unless a running repair holds it. Called by every open.
 *
 * @example
 * ```ts
 * await finishRepair('/var/lib/murmur') // before opening <dataDir>/store
 * ```
 */
export async function finishRepair (dataDir: string): Promise<void> {
  const fresh = join(dataDir, REPAIR_NEW_DIRECTORY)
  let text: string | undefined
  try {
    text = await readFile(join(dataDir, REPAIR_MARKER_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text !== undefined) {
    let aside: unknown
    try {
      aside = (JSON.parse(text) as { aside?: unknown } | null)?.aside
    } catch {
      aside = undefined
    }
    // the marker is written whole (renamed into place), so this is a hand edit: any free name will do
    const name = typeof aside === 'string' && aside === basename(aside) && aside.startsWith(`${STORE_DIRECTORY}.damaged-`) ? aside : await freeAsideName(dataDir, new Date())
    await swap(dataDir, name)
    return
  }
  if (!await exists(fresh)) return
  const probe = new ClassicLevel(fresh, { createIfMissing: false })
  try {
    await probe.open()
  } catch (err) {
    // a repair copies into it right now
    if ((err as { cause?: { code?: unknown } }).cause?.code === 'LEVEL_LOCKED') return
  }
  await probe.close().catch(() => {})
  await rm(fresh, { recursive: true, force: true })
}

/**
 * Copies the kept sublevels of `old` into a new database at `fresh`, each write flushed to disk. A read
 * stopped by damage cuts that sublevel short (in `moved.cut`); a counter value that does not decode, or
 * counters cut short, count the repair's hour and week as used up. A write error is thrown. On disk once
 * this resolves.
 */
async function copyKept (raw: ClassicLevel<Uint8Array, Uint8Array>, fresh: string, moved: MovedAside, now: Date, keys: AtRestKeys): Promise<void> {
  // read and written through the seal: the counters' values are checked in plain
  const seal = (db: ClassicLevel<Uint8Array, Uint8Array>): StoreDatabase => new SealedDatabase(db as unknown as StoreDatabase, keys) as unknown as StoreDatabase
  const old = seal(raw)
  const db = seal(new ClassicLevel<Uint8Array, Uint8Array>(fresh, VIEW))
  await db.open()
  await old.open()
  try {
    for (const name of KEPT_SUBLEVELS) {
      const from = old.sublevel<Uint8Array, Uint8Array>(name, VIEW)
      const to = db.sublevel<Uint8Array, Uint8Array>(name, VIEW)
      moved.kept[name] = 0
      const iterator = from.iterator()
      try {
        for (;;) {
          let entries: Array<[Uint8Array, Uint8Array]>
          try {
            entries = await iterator.nextv(BATCH)
          } catch {
            moved.cut.push(name)
            break
          }
          if (entries.length === 0) break
          await to.batch(entries.map(([key, value]) => ({
            type: 'put' as const,
            key,
            // LevelDB's iterators do not verify checksums: a damaged counter must not stop every later start
            value: name === POST_COUNTERS_SUBLEVEL && readCount(value) === undefined ? USED_UP_COUNT : value
          })))
          moved.kept[name] += entries.length
        }
      } finally {
        await iterator.close().catch(() => {})
      }
    }
    if (moved.cut.includes(POST_COUNTERS_SUBLEVEL)) {
      const counters = db.sublevel<string, Uint8Array>(POST_COUNTERS_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'view' })
      await counters.put(counterCutKey(Math.floor(now.getTime() / 1000)), USED_UP_COUNT)
    }
  } finally {
    await db.close()
  }
  // LevelDB does not flush its log to disk on close: the copy must be on disk before the swap is marked
  await fsyncFolder(fresh)
}

/**
 * Moves `<dataDir>/store` aside and keeps what it can of {@link KEPT_SUBLEVELS}, then opens the new store
 * with `open`. The store stays locked from the start until the swap; throws, moving nothing, when it is
 * in use (another process holds its lock, LEVEL_LOCKED) or missing, and throws RepairWriteError
 * (ERR_REPAIR_WRITE), the store untouched, when the copy cannot be written (a full disk).
 *
 * @example
 * ```ts
 * const { db, moved } = await moveAside(dataDir, async () => await openDatabase(dataDir, { check: false }))
 * console.log(`moved to ${moved.aside}; kept`, moved.kept)
 * ```
 */
export async function moveAside (dataDir: string, open: () => Promise<StoreDatabase>, init: MoveAsideInit = {}): Promise<{ db: StoreDatabase, moved: MovedAside }> {
  const now = init.now ?? new Date()
  const location = join(dataDir, STORE_DIRECTORY)
  const fresh = join(dataDir, REPAIR_NEW_DIRECTORY)
  await finishRepair(dataDir)
  // the lock first, held through the copy: a running daemon's store is never moved from under it
  const old = new ClassicLevel<Uint8Array, Uint8Array>(location, { ...VIEW, createIfMissing: false })
  await old.open()
  // always through the seal: a plain store here was planted (an earlier version's was sealed with the key),
  // and what does not open is not kept
  const keys = init.atRestKeys ?? await dataDirKeys(dataDir)
  const moved: MovedAside = { aside: '', kept: {}, cut: [] }
  try {
    await rm(fresh, { recursive: true, force: true })
    try {
      await copyKept(old, fresh, moved, now, keys)
    } catch (err) {
      await rm(fresh, { recursive: true, force: true }).catch(() => {})
      throw new RepairWriteError(`could not write the repaired store (${(err as Error).message}); the store in ${location} is untouched`, { cause: err })
    }
    await init.onStep?.('copied')
    const aside = await freeAsideName(dataDir, now)
    moved.aside = join(dataDir, aside)
    await writeDurably(join(dataDir, REPAIR_MARKER_FILE), new TextEncoder().encode(`${JSON.stringify({ aside })}\n`))
    await init.onStep?.('marked')
  } finally {
    // closed before the folders move (a store open elsewhere could not be renamed on Windows); an open
    // in between finishes the swap itself, the marker being there
    await old.close().catch(() => {})
  }
  await swap(dataDir, basename(moved.aside), init.onStep)
  return { db: await open(), moved }
}
