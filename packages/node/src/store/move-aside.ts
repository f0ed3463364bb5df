/**
 * A damaged store moved aside (Node.js): the database directory renamed to a dated name, a fresh one
 * opened in its place, and this node's own records that are still readable copied over — its own posts
 * not yet back from the network, its votes, its members' post counters of the hour and week (a slot used
 * twice would be dropped by every relay, and leave through this node alone) and the rings of its threads.
 * Posts and the member directory come back from peers by sync.
 */
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { IN_STEM_SUBLEVEL } from '../in-stem.js'
import { OWN_VOTES_SUBLEVEL } from '../own-votes.js'
import { POST_COUNTERS_SUBLEVEL } from '../membership/post-counters.js'
import { RING_BOOK_SUBLEVEL } from '../membership/ring-book.js'
import { STORE_DIRECTORY } from './constants.js'
import type { StoreDatabase } from './database.js'

/** The sublevels copied from a store moved aside: what peers cannot give back. */
export const KEPT_SUBLEVELS: readonly string[] = [IN_STEM_SUBLEVEL, OWN_VOTES_SUBLEVEL, POST_COUNTERS_SUBLEVEL, RING_BOOK_SUBLEVEL]

/** Records copied per batch. */
const BATCH = 500

/** What moving a store aside did. */
export interface MovedAside {
  /** Where the old store is now. */
  aside: string
  /** Records copied over, per kept sublevel. */
  kept: Record<string, number>
  /** Kept sublevels whose reading stopped at damage (what followed it is lost). */
  cut: string[]
}

/** A name for the moved store, dated to the second (UTC), e.g. `store.damaged-20261130-014502`. */
function asideName (now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${STORE_DIRECTORY}.damaged-${stamp}`
}

/**
 * Moves `<dataDir>/store` aside and copies what it can of {@link KEPT_SUBLEVELS} into `fresh` once opened
 * (`open` opens the fresh database at the old place). Throws, moving nothing, when the store is in use
 * (another process holds its lock).
 */
export async function moveAside (dataDir: string, open: () => Promise<StoreDatabase>, now = new Date()): Promise<{ db: StoreDatabase, moved: MovedAside }> {
  const location = join(dataDir, STORE_DIRECTORY)
  // taking the lock first: a running daemon's store is never moved from under it
  const probe = new ClassicLevel(location, { createIfMissing: false })
  await probe.open()
  await probe.close()
  const aside = join(dataDir, asideName(now))
  await rename(location, aside)
  const old = new ClassicLevel<Uint8Array, Uint8Array>(aside, { keyEncoding: 'view', valueEncoding: 'view' })
  const db = await open()
  const moved: MovedAside = { aside, kept: {}, cut: [] }
  try {
    await old.open()
    for (const name of KEPT_SUBLEVELS) {
      const from = old.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
      const to = db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
      moved.kept[name] = 0
      const iterator = from.iterator()
      try {
        for (;;) {
          const entries = await iterator.nextv(BATCH)
          if (entries.length === 0) break
          await to.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })))
          moved.kept[name] += entries.length
        }
      } catch {
        moved.cut.push(name)
      } finally {
        await iterator.close().catch(() => {})
      }
    }
  } catch {
    // the old store does not even open: nothing of it is kept
    moved.cut.push(...KEPT_SUBLEVELS.filter((name) => !moved.cut.includes(name)))
  } finally {
    await old.close().catch(() => {})
  }
  return { db, moved }
}
