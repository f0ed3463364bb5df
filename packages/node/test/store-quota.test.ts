import { afterEach, describe, expect, it } from 'vitest'
import { createPostStore } from '../src/store/index.js'
import { DAY, T0, allKeys, collect, countReads, hexIds, memoryDb, post, reply, vote } from './store-fixtures.js'
import type { PostStore, PostStoreInit, StoredPost } from '../src/store/index.js'

/**
 * Issue 12, Medium 9: storage spam. Proof of work is cheap to a GPU, so a channel needs a quota, and
 * the eviction rule must not let a flood push the honest posts out.
 */
const HOUR = 3600
const QUOTA = 100

/** Live posts of every kind in #lobby: POSTs from the feed, plus the given replies and votes still stored. */
async function liveCount (store: PostStore, now: number, others: StoredPost[] = []): Promise<number> {
  const posts = await store.feed('#lobby', { now, limit: 100_000, includeHidden: true })
  let rest = 0
  for (const p of others) if (await store.get(p.id, now) !== undefined) rest++
  return posts.length + rest
}

describe('channel quota (Medium 9)', () => {
  const stores: PostStore[] = []
  afterEach(async () => { await Promise.all(stores.splice(0).map(async s => s.close())) })

  function open (init: Omit<PostStoreInit, 'db'> = {}, db = memoryDb()): PostStore {
    const store = createPostStore({ db, channelPosts: QUOTA, ...init })
    stores.push(store)
    return store
  }

  it('a flood in a later hour stays within quota and evicts only its own posts', async () => {
    const store = open()
    const honest = Array.from({ length: 30 }, (_, i) => post({ created: T0 + i }))
    const engagement = [...honest.slice(0, 5).map(p => vote(p, 1, { created: T0 + 40 })), reply(honest[5] as StoredPost, { created: T0 + 41 })]
    for (const p of [...honest, ...engagement]) expect(await store.put(p, T0 + 60)).toBe('stored')

    const flood = Array.from({ length: 400 }, (_, i) => post({ created: T0 + HOUR + i, body: `flood ${i}` }))
    for (const [i, p] of flood.entries()) {
      const now = T0 + HOUR + i
      expect(await store.put(p, now)).toBe('stored')
      expect(await liveCount(store, now, engagement)).toBeLessThanOrEqual(QUOTA)
    }
    const now = T0 + HOUR + 400
    for (const p of [...honest, ...engagement]) expect(await store.get(p.id, now), p.body).toBeDefined()
    expect(await liveCount(store, now, engagement)).toBeGreaterThan(QUOTA * 0.8)
  })

  it('a flood in the same hour does not evict engaged or ring-signed posts', async () => {
    const store = open()
    const engaged = Array.from({ length: 10 }, (_, i) => post({ created: T0 + i }))
    const votes = engaged.map(p => vote(p, 1, { created: T0 + 20 }))
    const ring = Array.from({ length: 10 }, (_, i) => post({ created: T0 + 30 + i, scope: new Uint8Array([1, i]), tag: new Uint8Array(32).fill(i + 1) }))
    for (const p of [...engaged, ...votes, ...ring]) expect(await store.put(p, T0 + 50)).toBe('stored')
    for (let i = 0; i < 500; i++) await store.put(post({ created: T0 + 100 + i }), T0 + 100 + i)
    const now = T0 + 700
    for (const p of [...engaged, ...votes, ...ring]) expect(await store.get(p.id, now)).toBeDefined()
    expect(await liveCount(store, now, votes)).toBeLessThanOrEqual(QUOTA)
  })

  it('a backdated flood is evicted before fresh posts of its hour', async () => {
    const store = open()
    const fresh = Array.from({ length: 20 }, (_, i) => post({ created: T0 + HOUR + i }))
    for (const p of fresh) await store.put(p, T0 + HOUR + 30)
    // created days ago but unexpired, as a sync push could carry them
    for (let i = 0; i < 300; i++) await store.put(post({ created: T0 - 5 * DAY + i, expires: T0 + 2 * DAY }), T0 + HOUR + 40 + i)
    for (const p of fresh) expect(await store.get(p.id, T0 + HOUR + 400)).toBeDefined()
    expect(await liveCount(store, T0 + HOUR + 400)).toBeLessThanOrEqual(QUOTA)
  })

  /** Honest posts kept after a flood: the honest ones as `honest(hour)` gives them, 4 an hour from 4 peers, and `flood(hour)` posts an hour from one peer, spread through each hour. */
  async function flooded (hours: number, honest: (hour: number) => boolean, flood: (hour: number) => number, honestFrom: (i: number) => string | undefined): Promise<{ kept: number, total: number }> {
    const store = open()
    const kept: StoredPost[] = []
    for (let hour = 0; hour < hours; hour++) {
      const arrivals: Array<{ at: number, p: StoredPost, honest: boolean }> = []
      if (honest(hour)) for (let i = 0; i < 4; i++) arrivals.push({ at: T0 + hour * HOUR + i * 900 + 7, p: post({ created: T0 + hour * HOUR + i * 900, expires: T0 + 7 * DAY, from: honestFrom(i) }), honest: true })
      const n = flood(hour)
      for (let i = 0; i < n; i++) arrivals.push({ at: T0 + hour * HOUR + Math.floor(i * HOUR / n), p: post({ created: T0 + hour * HOUR + Math.floor(i * HOUR / n), expires: T0 + 7 * DAY, from: 'ip4/10.66.0.1' }), honest: false })
      for (const { at, p, honest } of arrivals.sort((a, b) => a.at - b.at)) {
        expect(await store.put(p, at)).toBe('stored')
        if (honest) kept.push(p)
      }
    }
    const now = T0 + hours * HOUR
    expect(await liveCount(store, now)).toBeLessThanOrEqual(QUOTA)
    let live = 0
    for (const p of kept) if (await store.get(p.id, now) !== undefined) live++
    return { kept: live, total: kept.length }
  }

  it('a flood from one peer spread through every hour (60 an hour for 24 h) leaves the honest posts of other peers', async () => {
    const mesh = (i: number): string => `ip4/192.0.2.${i}`
    const { kept, total } = await flooded(24, () => true, () => 60, mesh)
    expect(total).toBe(96)
    // 96 honest posts are about the whole quota (90 after eviction): the flood is levelled to one peer's share
    expect(kept / total).toBeGreaterThanOrEqual(0.7)
  })

  it('a flood from one peer after the honest posts (20 an hour for 36 h, 72 h) does not push them out', async () => {
    const mesh = (i: number): string => `ip4/192.0.2.${i}`
    for (const hours of [36 + 12, 72 + 12]) {
      const { kept, total } = await flooded(hours, (hour) => hour < 12, (hour) => hour < 12 ? 0 : 20, mesh)
      expect(total).toBe(48)
      expect(kept).toBe(48)
    }
    // honest posts of no known sender (sync, say) are one sender: what arrived before the flood still stays
    const { kept } = await flooded(72 + 12, (hour) => hour < 12, (hour) => hour < 12 ? 0 : 20, () => undefined)
    expect(kept).toBeGreaterThanOrEqual(44)
  })

  it('keeps the byte quota too', async () => {
    const envelopeBytes = post().envelope.byteLength
    const store = open({ channelPosts: 10_000, channelBytes: 50 * envelopeBytes })
    for (let i = 0; i < 200; i++) await store.put(post({ created: T0 + i }), T0 + i)
    expect(await liveCount(store, T0 + 200)).toBeLessThanOrEqual(50)
  })

  it('remembers evicted posts as held until they expire, so sync does not fetch them again', async () => {
    const db = memoryDb()
    const store = open({}, db)
    const first = Array.from({ length: QUOTA }, (_, i) => post({ created: T0 + i, expires: T0 + DAY }))
    for (const p of first) await store.put(p, T0 + HOUR)
    const later = Array.from({ length: 50 }, (_, i) => post({ created: T0 + HOUR + i, expires: T0 + DAY }))
    for (const p of later) await store.put(p, T0 + 2 * HOUR)
    const evicted: StoredPost[] = []
    for (const p of [...first, ...later]) if (await store.get(p.id, T0 + 2 * HOUR) === undefined) evicted.push(p)
    expect(evicted.length).toBeGreaterThan(0)
    for (const p of evicted) {
      expect(await store.has(p.id)).toBe(true)
      expect(await store.put(p, T0 + 2 * HOUR)).toBe('duplicate')
    }
    // still in the reconciled set, so a peer's sync does not push them back
    const ids = new Set(hexIds(await collect(store.ids('#lobby', T0 + 2 * HOUR))))
    for (const p of evicted) expect(ids.has(hexIds([p])[0] as string)).toBe(true)
    expect(await store.sweep(T0 + DAY)).toBe(first.length + later.length)
    expect(await allKeys(db)).toEqual([])
  })

  it('remembers at most a quota of evicted posts, so what sync reconciles stays bounded through a long flood', async () => {
    const db = memoryDb()
    const store = open({ channelPosts: 50 }, db)
    for (let i = 0; i < 1_000; i++) await store.put(post({ created: T0 + i }), T0 + i * 30)
    const now = T0 + 30_000
    expect(await liveCount(store, now)).toBeLessThanOrEqual(50)
    expect((await collect(store.ids('#lobby', now))).length).toBeLessThanOrEqual(2 * 50)
    await store.sweep(T0 + 2 * DAY)
    expect(await allKeys(db)).toEqual([])
  })

  it('reads of the feeds do not grow with the channel', async () => {
    const rows: Array<{ hot: number, fresh: number }> = []
    for (const size of [300, 1_500]) {
      const db = memoryDb()
      const store = open({ channelPosts: 10_000, hotCandidates: 200 }, db)
      for (let i = 0; i < size; i++) await store.put(post({ created: T0 + i }), T0 + i)
      const reads = countReads(db)
      expect(await store.feed('#lobby', { sort: 'hot', limit: 20, now: T0 + size })).toHaveLength(20)
      const hot = reads.entries + reads.lookups
      expect(await store.feed('#lobby', { sort: 'new', limit: 20, now: T0 + size })).toHaveLength(20)
      rows.push({ hot, fresh: reads.entries + reads.lookups - hot })
    }
    // the same rows for 300 and 1,500 posts: at most hotCandidates entries and their tallies, and 20 posts
    expect(rows[0]).toEqual(rows[1])
    expect(rows[1]?.hot).toBeLessThanOrEqual(200 + 200 + 20)
  })
})
