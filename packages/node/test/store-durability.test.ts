import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import { createPostStore, openDatabase } from '../src/store/index.js'
import { BACKENDS, DAY, FaultyLevel, T0, allKeys, collect, countReads, hexIds, idOf, openStore, post, reply, tempDir, vote } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

describe('post store durability', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('persists posts, tallies, tags and expiry across close and reopen (classic-level)', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const scope = new Uint8Array([4, 5, 6])
    const root = post({ created: T0, expires: T0 + DAY })
    const short = post({ created: T0 + 1, expires: T0 + 60, scope, tag: idOf(1, 0x44) })
    const r = reply(root, { root: root.id, created: T0 + 2 })
    const votes = [vote(root, 1), vote(root, 1), vote(root, -1, { expires: T0 + 60 })]

    const first = createPostStore({ db: await openDatabase(dir) })
    for (const p of [root, short, r, ...votes]) expect(await first.put(p, T0)).toBe('stored')
    await first.close()
    expect(existsSync(join(dir, 'store'))).toBe(true)

    const second = createPostStore({ db: await openDatabase(dir) })
    cleanups.push(async () => { await second.close() })
    expect(await second.get(root.id, T0)).toEqual({ ...root, score: 1, replyCount: 1 })
    expect(await second.get(short.id, T0)).toEqual({ ...short, score: 0, replyCount: 0 })
    expect(await second.hasTag(scope, idOf(1, 0x44))).toBe(true)
    expect(await second.put(root, T0)).toBe('duplicate')
    expect(hexIds(await second.feed('#lobby', { now: T0 }))).toEqual(hexIds([short, root]))
    expect(hexIds(await second.thread(root.id, T0))).toEqual(hexIds([root, r]))
    expect(await collect(second.ids('#lobby', T0))).toHaveLength(6)

    expect(await second.sweep(T0 + 60)).toBe(2)
    // a tag is held past its post (issue 12, Medium 6)
    expect(await second.hasTag(scope, idOf(1, 0x44))).toBe(true)
    expect((await second.get(root.id, T0 + 60))?.score).toBe(2)
  })

  it('opens an in-memory database without a data directory', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    cleanups.push(async () => { await store.close() })
    const p = post()
    expect(await store.put(p, T0)).toBe('stored')
    expect((await store.get(p.id, T0))?.envelope).toEqual(p.envelope)
  })

  it('commits each put as exactly one batch and nothing else', async () => {
    const db = new FaultyLevel()
    const store = createPostStore({ db })
    cleanups.push(async () => { await store.close() })
    const root = post({ scope: new Uint8Array([1]), tag: idOf(1, 1) })
    await store.put(root, T0)
    await store.put(reply(root), T0)
    await store.put(vote(root, 1), T0)
    expect(await store.put(root, T0)).toBe('duplicate')
    // the POST: record, channel, feed, tag, tag expiry, its links, the claim on its tag, expiry; the
    // reply: record, channel, thread, expiry, the root's tally; the (member's) vote: record, channel,
    // tag, tag expiry, its links, its claim, expiry, the root's tally; and each its arrival entry,
    // arrival class and the channel's usage (total and class)
    expect(db.writes).toEqual(['batch:12', 'batch:9', 'batch:12'])
  })

  it('leaves nothing behind when the batch of a put fails, and keeps working', async () => {
    const db = new FaultyLevel()
    const store = createPostStore({ db })
    cleanups.push(async () => { await store.close() })
    const root = post()
    expect(await store.put(root, T0)).toBe('stored')
    const before = await allKeys(db)

    const scope = new Uint8Array([7])
    const failing = [reply(root, { scope, tag: idOf(3, 3) }), vote(root, -1), post()]
    for (const p of failing) {
      db.failures = 1
      await expect(store.put(p, T0)).rejects.toThrow('simulated disk failure')
      expect(await allKeys(db)).toEqual(before)
      expect(await store.has(p.id)).toBe(false)
    }
    expect(await store.hasTag(scope, idOf(3, 3))).toBe(false)
    expect(await store.get(root.id, T0)).toMatchObject({ score: 0, replyCount: 0 })

    for (const p of failing) expect(await store.put(p, T0)).toBe('stored')
    expect(await store.get(root.id, T0)).toMatchObject({ score: -1, replyCount: 1 })
  })

  it('leaves every post whole when the batch of a sweep fails', async () => {
    const db = new FaultyLevel()
    const store = createPostStore({ db })
    cleanups.push(async () => { await store.close() })
    const root = post()
    const scope = new Uint8Array([8])
    const expiring = [vote(root, 1, { expires: T0 + 10, scope, tag: idOf(9, 9) }), reply(root, { expires: T0 + 10 })]
    for (const p of [root, ...expiring]) await store.put(p, T0)
    const before = await allKeys(db)

    db.failures = 1
    await expect(store.sweep(T0 + 10)).rejects.toThrow('simulated disk failure')
    expect(await allKeys(db)).toEqual(before)
    expect(await store.get(root.id, T0)).toMatchObject({ score: 1, replyCount: 1 })
    expect(await store.hasTag(scope, idOf(9, 9))).toBe(true)

    expect(await store.sweep(T0 + 10)).toBe(2)
    expect(await store.get(root.id, T0 + 10)).toMatchObject({ score: 0, replyCount: 0 })
  })

  it('sweeps through the expiry index without scanning live posts', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const store = createPostStore({ db })
    cleanups.push(async () => { await store.close() })
    for (let i = 0; i < 2000; i++) await store.put(post({ created: T0 + i }), T0)
    const doomed = Array.from({ length: 5 }, (_, i) => post({ created: T0, expires: T0 + 100 + i }))
    for (const p of doomed) await store.put(p, T0)

    const reads = countReads(db)
    expect(await store.sweep(T0 + 99)).toBe(0)
    expect(reads).toEqual({ entries: 0, lookups: 0 })
    expect(await store.sweep(T0 + 200)).toBe(5)
    expect(reads.entries).toBe(5)
    // per post its record and arrival class, and once the channel's usage (total and class)
    expect(reads.lookups).toBeLessThanOrEqual(5 * 2 + 2)
  })

  describe.each(BACKENDS)('concurrency on $name', (backend) => {
    let store: PostStore

    async function open (): Promise<void> {
      const opened = await openStore(backend)
      store = opened.store
      cleanups.push(opened.close)
    }

    it('tallies many concurrent votes and replies exactly', async () => {
      await open()
      const target = post()
      // the first half of each kind expires at T0 + 5
      const expiresOf = (i: number, half: number): number => i < half ? T0 + 5 : T0 + DAY
      const ups = Array.from({ length: 180 }, (_, i) => vote(target, 1, { expires: expiresOf(i, 90) }))
      const downs = Array.from({ length: 70 }, (_, i) => vote(target, -1, { expires: expiresOf(i, 35) }))
      const replies = Array.from({ length: 50 }, (_, i) => reply(target, { expires: expiresOf(i, 25) }))
      const results = await Promise.all([target, ...ups, ...downs, ...replies].map(async p => store.put(p, T0)))
      expect(results.every(r => r === 'stored')).toBe(true)
      expect(await store.get(target.id, T0)).toMatchObject({ score: 180 - 70, replyCount: 50 })

      // while half of them are swept, more votes arrive and readers read
      const late = Array.from({ length: 40 }, () => vote(target, 1, { created: T0 + 10 }))
      const [swept, ...rest] = await Promise.all([
        store.sweep(T0 + 10),
        ...late.map(async p => store.put(p, T0 + 10)),
        store.feed('#lobby', { now: T0 + 10 }),
        store.get(target.id, T0 + 10)
      ])
      expect(swept).toBe(90 + 35 + 25)
      expect(rest.slice(0, late.length).every(r => r === 'stored')).toBe(true)
      expect(await store.get(target.id, T0 + 10)).toMatchObject({ score: 90 - 35 + 40, replyCount: 25 })
    })

    it('stores exactly one of many concurrent puts of the same id or the same tag', async () => {
      await open()
      const p = post()
      const sameId = await Promise.all(Array.from({ length: 20 }, async () => store.put({ ...p }, T0)))
      expect(sameId.filter(r => r === 'stored')).toHaveLength(1)
      expect(sameId.filter(r => r === 'duplicate')).toHaveLength(19)

      const scope = new Uint8Array([3, 1, 4])
      const tag = idOf(42, 0x42)
      const rivals: StoredPost[] = Array.from({ length: 20 }, () => vote(p, 1, { scope, tag }))
      // the largest id first, so each later put is a smaller rival that takes the tag over
      const sameTag = await Promise.all([...rivals].reverse().map(async r => store.put(r, T0)))
      expect(sameTag.every(r => r === 'stored' || r === 'duplicate-tag')).toBe(true)
      // one vote counted, the smallest id's, whatever the order the puts ran in
      const served = []
      for (const r of rivals) if (await store.get(r.id, T0) !== undefined) served.push(r)
      expect(hexIds(served)).toEqual(hexIds(rivals.slice(0, 1)))
      expect((await store.get(p.id, T0))?.score).toBe(1)
    })
  })
})
