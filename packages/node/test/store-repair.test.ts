/**
 * `murmur repair` (moveAside) against the worst moments: a process killed (SIGKILL) after the copy, after
 * the swap's marker, and between the two renames of the swap; the next open has every kept record. Also
 * two repairs in one second, a half-written copy left behind, and a damaged counter value.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { killedAfter } from './killed-child.js'
import { POST_COUNTERS_SUBLEVEL, counterCutKey, openPostCounters } from '../src/membership/post-counters.js'
import { openDatabase } from '../src/store/backend-node.js'
import { KEPT_SUBLEVELS, REPAIR_MARKER_FILE, REPAIR_NEW_DIRECTORY, moveAside } from '../src/store/move-aside.js'
import type { RepairStep } from '../src/store/move-aside.js'

const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const
const TOPIC = 'murmur/2/#lobby'
/** Where the child script is written: inside the repository, so that it finds classic-level. */

/** Fills every kept sublevel with a few records and the rest of the store with others; returns the kept ones. */
async function fill (dataDir: string): Promise<Record<string, string[]>> {
  const db = await openDatabase(dataDir)
  const kept: Record<string, string[]> = {}
  for (const name of KEPT_SUBLEVELS) {
    kept[name] = []
    if (name === POST_COUNTERS_SUBLEVEL) continue
    const sub = db.sublevel<Uint8Array, Uint8Array>(name, VIEW)
    for (let i = 0; i < 5; i++) {
      await sub.put(Uint8Array.of(i, 1, 2), Uint8Array.of(9, i))
      kept[name].push(`${i},1,2=9,${i}`)
    }
  }
  await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: new TextEncoder().encode(`~other~${i}`), value: new Uint8Array(100) })))
  await db.close()
  const counters = await openDatabase(dataDir)
  const now = Math.floor(Date.now() / 1000)
  const take = await openPostCounters({ db: counters })
  await take.take(TOPIC, now)
  await take.takeVote(TOPIC, now)
  const raw = counters.sublevel<Uint8Array, Uint8Array>(POST_COUNTERS_SUBLEVEL, VIEW)
  for await (const [key, value] of raw.iterator()) kept[POST_COUNTERS_SUBLEVEL]!.push(`${key.join(',')}=${value.join(',')}`)
  await counters.close()
  for (const list of Object.values(kept)) list.sort()
  return kept
}

/** The records of every kept sublevel in the store of `dataDir`, as `fill` lists them (sorted: own-post sublevels are keyed by sealed ids, in no id order). */
async function keptOf (dataDir: string): Promise<Record<string, string[]>> {
  const db = await openDatabase(dataDir)
  const kept: Record<string, string[]> = {}
  for (const name of KEPT_SUBLEVELS) {
    kept[name] = []
    for await (const [key, value] of db.sublevel<Uint8Array, Uint8Array>(name, VIEW).iterator()) kept[name].push(`${key.join(',')}=${value.join(',')}`)
    kept[name].sort()
  }
  await db.close()
  return kept
}

/** Runs a repair in a child process that kills itself (SIGKILL) right after `step`. */
async function repairKilledAfter (dataDir: string, step: RepairStep): Promise<void> {
  await killedAfter('repair-child', `
    import { moveAside } from './move-aside.ts'
    import { openDatabase } from './backend-node.ts'
    await moveAside(process.argv[2], async () => await openDatabase(process.argv[2], { check: false }), {
      onStep: (step) => { if (step === process.argv[3]) process.kill(process.pid, 'SIGKILL') }
    })`, dataDir, step)
}

describe('murmur repair (moveAside)', () => {
  let dataDir: string

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-repair-'))
  })

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  for (const step of ['copied', 'marked', 'moved-old'] as const) {
    it(`keeps every kept record when killed after "${step}"`, async () => {
      const kept = await fill(dataDir)
      expect(kept[POST_COUNTERS_SUBLEVEL]).toHaveLength(3)
      await repairKilledAfter(dataDir, step)
      // the next start
      expect(await keptOf(dataDir)).toEqual(kept)
      const names = await readdir(dataDir)
      expect(names).not.toContain(REPAIR_NEW_DIRECTORY)
      expect(names).not.toContain(REPAIR_MARKER_FILE)
      // killed before the marker: the store untouched, nothing moved; after it: the swap finished
      expect(names.filter((name) => name.startsWith('store.damaged-'))).toHaveLength(step === 'copied' ? 0 : 1)
      if (step !== 'copied') {
        const db = await openDatabase(dataDir)
        let others = 0
        for await (const key of db.keys()) if (new TextDecoder().decode(key).startsWith('~other~')) others++
        await db.close()
        expect(others).toBe(0)
      }
      // and a second repair keeps them all again
      let moved: unknown
      await (await openDatabase(dataDir, { moveAside: (m) => { moved = m } })).close()
      expect(moved).toMatchObject({ cut: [] })
      expect(await keptOf(dataDir)).toEqual(kept)
    })
  }

  it('two repairs in one second move the store to two free names', async () => {
    const kept = await fill(dataDir)
    const now = new Date('2026-11-30T01:45:02Z')
    const open = async (): Promise<Awaited<ReturnType<typeof openDatabase>>> => await openDatabase(dataDir, { check: false })
    await (await moveAside(dataDir, open, { now })).db.close()
    const second = await moveAside(dataDir, open, { now })
    await second.db.close()
    expect(second.moved.aside).toBe(join(dataDir, 'store.damaged-20261130-014502-2'))
    expect((await readdir(dataDir)).sort()).toEqual(['at-rest.key', 'at-rest.sealed', 'store', 'store.damaged-20261130-014502', 'store.damaged-20261130-014502-2', 'store.sealed'])
    expect(await keptOf(dataDir)).toEqual(kept)
  })

  it('a half-written copy without a marker is deleted at the next open, the store untouched', async () => {
    const kept = await fill(dataDir)
    const leftover = new ClassicLevel(join(dataDir, REPAIR_NEW_DIRECTORY))
    await leftover.open()
    await leftover.put('x', 'y')
    await leftover.close()
    expect(await keptOf(dataDir)).toEqual(kept)
    expect((await readdir(dataDir)).sort()).toEqual(['at-rest.key', 'at-rest.sealed', 'store', 'store.sealed'])
  })

  it('a damaged counter value neither stops the next start nor counts as 0: its period is used up', async () => {
    await fill(dataDir)
    const now = Math.floor(Date.now() / 1000)
    let db = await openDatabase(dataDir)
    const raw = db.sublevel<string, Uint8Array>(POST_COUNTERS_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'view' })
    // a value overwritten as a damaged block hands it to an unchecked iterator
    for await (const [key] of raw.iterator()) {
      if (key.startsWith('h/')) await raw.put(key, new TextEncoder().encode('{1'))
    }
    // before the repair already
    const before = await openPostCounters({ db, postsPerEpoch: 3 })
    expect(before.used(TOPIC, now)).toEqual({ epoch: 3, week: 1 })
    await expect(before.take(TOPIC, now)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
    await db.close()
    await (await openDatabase(dataDir, { moveAside: () => {} })).close()
    db = await openDatabase(dataDir)
    const after = await openPostCounters({ db, postsPerEpoch: 3 })
    expect(after.used(TOPIC, now)).toEqual({ epoch: 3, week: 1 })
    await db.close()
  })

  it('counters cut short at a time count that hour and week as used up in every channel', async () => {
    const db = await openDatabase(dataDir)
    const at = 1_700_000_000
    await db.sublevel<string, string>(POST_COUNTERS_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' }).put(counterCutKey(at), 'null')
    const counters = await openPostCounters({ db, clock: () => at, postsPerEpoch: 3, postsPerWeek: 20 })
    expect(counters.used('murmur/2/#any', at + 1)).toEqual({ epoch: 3, week: 20 })
    await expect(counters.takeVote('murmur/2/#any', at + 1)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
    await db.close()
  })
})
