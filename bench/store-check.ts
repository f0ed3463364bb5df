/**
 * What the store's check at open costs (packages/node/src/store/table-check.ts: every live table's block
 * checksums, read before LevelDB opens the store) on a store of 10,000 posts, against opening without it
 * and against a full read through the database (which misses damage inside values); and that it finds 400
 * overwritten bytes wherever they land. `--quick`: 1,000 posts.
 */
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createPostStore, openDatabase } from '@murmur/node/internal'
import { ready } from '@murmur/protocol'
import { medianFigure, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'

// libsodium's WASM before the first key or hash (@murmur/protocol awaits nothing at import)
await ready()

const quick = process.argv.includes('--quick')
const POSTS = quick ? 1_000 : 10_000
const RUNS = 5
const PLACES = 10

/** A store of `POSTS` posts of realistic size (a 900-byte envelope, a 400-character body), closed. */
async function build (dir: string): Promise<void> {
  const db = await openDatabase(dir, { check: false })
  const store = createPostStore({ db })
  const now = Math.floor(Date.now() / 1000)
  for (let n = 0; n < POSTS; n++) {
    await store.put({ id: randomBytes(32), channel: '#lobby', kind: 'POST', body: `post ${n} ${randomBytes(300).toString('base64')}`, vote: 0, created: now - 60, expires: now + 86_400, authorKey: randomBytes(32), envelope: randomBytes(900) }, now)
  }
  await store.close()
  // written into tables, as a store is after a restart
  await (await openDatabase(dir, { check: false })).close()
}

async function timeOpen (dir: string, check: boolean): Promise<number> {
  const started = performance.now()
  const db = await openDatabase(dir, { check })
  const ms = performance.now() - started
  await db.close()
  return ms
}

async function timeFullRead (dir: string): Promise<number> {
  const db = await openDatabase(dir, { check: false })
  const started = performance.now()
  const iterator = db.iterator()
  while ((await iterator.nextv(1000)).length > 0);
  await iterator.close()
  const ms = performance.now() - started
  await db.close()
  return ms
}

/** Copies the store, overwrites 400 bytes at `fraction` of table `index`, and says whether the check refuses it. */
async function found (dir: string, index: number, fraction: number): Promise<boolean> {
  const copy = `${dir}-damaged`
  await rm(copy, { recursive: true, force: true })
  await cp(dir, copy, { recursive: true })
  const location = join(copy, 'store')
  const tables = (await readdir(location)).filter((name) => name.endsWith('.ldb')).sort()
  const table = join(location, tables[index % tables.length]!)
  const handle = await open(table, 'r+')
  await handle.write(Buffer.alloc(400, 0x41), 0, 400, Math.floor(fraction * ((await stat(table)).size - 400)))
  await handle.close()
  try {
    await (await openDatabase(copy)).close()
    return false
  } catch (err) {
    if ((err as Error).name !== 'StoreDamagedError') throw err
    return true
  } finally {
    await rm(copy, { recursive: true, force: true })
  }
}

const dir = await mkdtemp(join(tmpdir(), 'murmur-store-check-'))
try {
  await build(dir)
  const bytes = (await Promise.all((await readdir(join(dir, 'store'))).map(async (name) => (await stat(join(dir, 'store', name))).size))).reduce((a, b) => a + b, 0)
  const checked: number[] = []
  const unchecked: number[] = []
  const read: number[] = []
  for (let run = 0; run < RUNS; run++) {
    checked.push(await timeOpen(dir, true))
    unchecked.push(await timeOpen(dir, false))
    read.push(await timeFullRead(dir))
  }
  let caught = 0
  for (let place = 0; place < PLACES; place++) {
    if (await found(dir, place, (place + 0.5) / PLACES)) caught++
  }
  const figures: Figure[] = [
    medianFigure({ figure: `store_open_checked_ms_${POSTS}_posts`, unit: 'ms' }, checked),
    medianFigure({ figure: `store_open_unchecked_ms_${POSTS}_posts`, unit: 'ms' }, unchecked),
    medianFigure({ figure: `store_full_read_ms_${POSTS}_posts`, unit: 'ms', note: 'misses bytes overwritten inside values: LevelDB reads without verifying checksums' }, read),
    { figure: 'store_bytes', value: bytes, unit: 'bytes' },
    { figure: 'damage_found_fraction', value: caught / PLACES, unit: 'fraction', target: '1: found wherever the 400 bytes land' }
  ]
  writeResults(quick ? 'store-check-quick' : 'store-check', figures)
} finally {
  await rm(dir, { recursive: true, force: true })
}
