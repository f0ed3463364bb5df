/**
 * PostStore.usage: what each channel holds, posts and envelope bytes, equal at every step to a count of the
 * stored records (replies, votes, a tag conflict's loser, quota eviction, sweeps, withdrawals), the same on a
 * store reopened on the same database, read once with one seek per channel and then from memory.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodePost } from '../src/store/codec.js'
import { STORE_SUBLEVEL } from '../src/store/constants.js'
import { createPostStore, openDatabase } from '../src/store/index.js'
import { BACKENDS, DAY, T0, countReads, memoryDb, post, reply, tempDir, vote } from './store-fixtures.js'
import type { PostStore, StoreDatabase, StoreUsage } from '../src/store/index.js'

/** What the records of the store's `posts` index add up to, by channel: the ground truth. */
async function counted (db: StoreDatabase): Promise<Map<string, StoreUsage>> {
  const posts = db.sublevel<Uint8Array, Uint8Array>([STORE_SUBLEVEL, 'posts'], { keyEncoding: 'view', valueEncoding: 'view' })
  const totals = new Map<string, StoreUsage>()
  for await (const [id, value] of posts.iterator()) {
    const { channel, envelope } = decodePost(id, value)
    const total = totals.get(channel) ?? { posts: 0, bytes: 0 }
    totals.set(channel, { posts: total.posts + 1, bytes: total.bytes + envelope.byteLength })
  }
  return totals
}

describe('PostStore.usage', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  describe.each(BACKENDS)('on $name', (backend) => {
    it('equals the stored records at every step, and a store opened again on the database reads the same', async () => {
      const { db, cleanup } = await backend.open()
      cleanups.push(cleanup)
      const store = createPostStore({ db, channelPosts: 10 })
      cleanups.push(async () => { await store.close() })
      const check = async (): Promise<void> => {
        const usage = await store.usage()
        expect(usage).toEqual(await counted(db))
        // a second store on the same database reads the totals from disk: what a restart finds
        expect(await createPostStore({ db }).usage()).toEqual(usage)
      }
      expect(await store.usage()).toEqual(new Map())

      const root = post({ channel: '#a' })
      await store.put(root, T0)
      await store.put(reply(root), T0)
      const up = vote(root, 1)
      await store.put(up, T0)
      await check()
      // a second vote under the same tag (a larger id) is shadowed: retained, not counted
      expect(await store.put(vote(root, -1, { tag: up.tag }), T0)).toBe('duplicate-tag')
      await check()
      expect((await store.usage()).get('#a')).toEqual({ posts: 3, bytes: 900 })

      // over the quota of 10: eviction takes the flood's latest arrivals
      for (let i = 0; i < 14; i++) await store.put(post({ channel: '#b', from: 'ip4/198.51.100.0' }), T0)
      await check()
      expect((await store.usage()).get('#b')?.posts).toBeLessThanOrEqual(10)

      const brief = post({ channel: '#c', expires: T0 + 60 })
      await store.put(brief, T0)
      await check()
      expect(await store.sweep(T0 + 60)).toBe(1)
      await check()
      expect((await store.usage()).has('#c')).toBe(false)

      expect(await store.withdraw(up.id, T0)).toBe(true)
      await check()
    })
  })

  it('a store reopened on its directory reads the same usage', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const first = createPostStore({ db: await openDatabase(join(dir, 'db')) })
    for (let i = 0; i < 30; i++) await first.put(post({ channel: i % 3 === 0 ? '#x' : '#y', from: `ip4/203.0.113.${i}` }), T0)
    const before = await first.usage()
    expect([...before.values()].reduce((n, u) => n + u.posts, 0)).toBe(30)
    await first.close()

    const again = createPostStore({ db: await openDatabase(join(dir, 'db')) })
    cleanups.push(async () => { await again.close() })
    expect(await again.usage()).toEqual(before)
  })

  it('reads one entry per channel the first time, however many senders and posts, and nothing after', async () => {
    const db = memoryDb()
    const store = createPostStore({ db })
    cleanups.push(async () => { await store.close() })
    // 200 senders in 2 channels: 400 arrival classes besides the 2 totals
    for (let i = 0; i < 200; i++) {
      await store.put(post({ channel: '#one', from: `ip4/10.0.${i}.1` }), T0)
      await store.put(post({ channel: '#two', from: `ip4/10.1.${i}.1` }), T0)
    }
    const reads = countReads(db)
    expect((await store.usage()).get('#one')?.posts).toBe(200)
    expect(reads).toEqual({ entries: 2, lookups: 0 })
    await store.put(post({ channel: '#one' }), T0)
    const after = { ...reads }
    expect((await store.usage()).get('#one')?.posts).toBe(201)
    expect(reads).toEqual(after)
  })
})

describe('PostStore.withdraw', () => {
  let store: PostStore
  let db: StoreDatabase
  const open = (): PostStore => {
    db = memoryDb()
    store = createPostStore({ db })
    return store
  }
  afterEach(async () => { await store.close() })

  /** Every entry of the store's database, as hex, sorted: what "as if it had never arrived" is compared on. */
  const entries = async (of: StoreDatabase): Promise<string[]> =>
    (await of.iterator({ keyEncoding: 'view', valueEncoding: 'view' }).all()).map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`).sort()

  it('takes a post back as if it had never arrived: its reply waits under its id as under any missing post', async () => {
    open()
    const root = post()
    const answer = reply(root)
    await store.put(root, T0)
    await store.put(answer, T0)
    expect(await store.withdraw(root.id, T0)).toBe(true)

    const otherDb = memoryDb()
    const other = createPostStore({ db: otherDb })
    await other.put(answer, T0)
    expect(await entries(db)).toEqual(await entries(otherDb))
    await other.close()
    expect(await store.has(root.id)).toBe(false)
    expect(await store.feed('#lobby', { now: T0 })).toEqual([])
    expect((await store.thread(root.id, T0)).map((p) => p.body)).toEqual([answer.body])
    expect((await store.usage()).get('#lobby')).toEqual({ posts: 1, bytes: answer.envelope.byteLength })
    expect(await store.withdraw(root.id, T0)).toBe(false)
  })

  it('releases the tags of a ring-signed post, and a sweep then leaves nothing of it', async () => {
    open()
    const root = post()
    const own = vote(root, 1)
    await store.put(own, T0)
    const before = await entries(db)
    expect(await store.withdraw(own.id, T0)).toBe(true)
    expect(await store.hasTag(own.scope!, own.tag!)).toBe(false)
    expect(await store.has(own.id)).toBe(false)
    expect(await store.usage()).toEqual(new Map())
    expect((await entries(db)).length).toBeLessThan(before.length)
    // only the tag's expiry entry is left, which the sweep past its time drops
    await store.sweep(T0 + 30 * DAY)
    expect(await entries(db)).toEqual([])
  })

  it('an envelope of the member that lost its tag to the withdrawn one counts again', async () => {
    open()
    const root = post()
    await store.put(root, T0)
    const first = vote(root, 1)
    const second = vote(root, -1, { tag: first.tag })
    await store.put(first, T0)
    expect(await store.put(second, T0)).toBe('duplicate-tag')
    expect((await store.get(root.id, T0))?.score).toBe(1)

    expect(await store.withdraw(first.id, T0)).toBe(true)
    expect((await store.get(root.id, T0))?.score).toBe(-1)
    expect(await store.get(second.id, T0)).toBeDefined()
    expect(await store.hasTag(second.scope!, second.tag!)).toBe(true)
    expect((await store.usage()).get('#lobby')?.posts).toBe(2)
  })

  it('a withdrawn reply\'s own replies wait under its id again; the thread and counts follow', async () => {
    open()
    const root = post()
    const middle = reply(root)
    const last = reply(middle, { root: root.id })
    for (const p of [root, middle, last]) await store.put(p, T0)
    expect((await store.get(root.id, T0))?.replyCount).toBe(2)

    expect(await store.withdraw(middle.id, T0)).toBe(true)
    expect((await store.thread(root.id, T0)).map((p) => p.body)).toEqual([root.body])
    expect((await store.thread(middle.id, T0)).map((p) => p.body)).toEqual([last.body])
    expect((await store.get(root.id, T0))?.replyCount).toBe(0)
    // the missing reply coming after all files the waiting one under the root again
    expect(await store.put(middle, T0)).toBe('stored')
    expect((await store.thread(root.id, T0)).map((p) => p.body)).toEqual([root.body, middle.body, last.body])
    expect((await store.get(root.id, T0))?.replyCount).toBe(2)
  })

  it('refuses a malformed id with InvalidPostError and says false for an unknown one', async () => {
    open()
    await expect(store.withdraw(new Uint8Array(3), T0)).rejects.toMatchObject({ name: 'InvalidPostError' })
    expect(await store.withdraw(post().id, T0)).toBe(false)
  })
})
