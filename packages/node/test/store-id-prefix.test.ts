/**
 * Typed id prefixes resolved through the store's id index (issue 16, item 8): the ids of live posts
 * and replies that start with a prefix, read without walking a channel (the daemon scanned up to
 * 10,000 posts of every channel, and their threads, for each prefix).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalReads } from '../src/local-reads.js'
import { createPostStore } from '../src/store/index.js'
import { DAY, T0, countReads, memoryDb, oneTimeVote, post, reply } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

/** A 32-byte id from 64 hex digits, or a shorter hex start padded with `fill`. */
function hexId (start: string, fill = 'a'): Uint8Array {
  return Uint8Array.from(Buffer.from(start.padEnd(64, fill), 'hex'))
}

const hex = (ids: Uint8Array[]): string[] => ids.map((id) => Buffer.from(id).toString('hex'))

describe('PostStore.idsWithPrefix', () => {
  let store: PostStore

  beforeEach(() => { store = createPostStore({ db: memoryDb() }) })
  afterEach(async () => { await store.close() })

  it('gives the live posts and replies whose id starts with the prefix, ascending; not votes, not expired posts', async () => {
    const root = post({ id: hexId('9a9e02') })
    const answer = reply(root, { id: hexId('9a9e01') })
    await store.put(root, T0)
    await store.put(answer, T0)
    await store.put(oneTimeVote(root, 1, { id: hexId('9a9e03') }), T0)
    await store.put(post({ id: hexId('9a9e04'), created: T0, expires: T0 + 120 }), T0)
    await store.put(post({ id: hexId('9a9f00') }), T0)
    await store.put(post({ id: hexId('9a9d', 'f') }), T0)
    const now = T0 + 600 // the 9a9e04 post has expired
    expect(hex(await store.idsWithPrefix('9a9e', { now }))).toEqual([hex([answer.id])[0], hex([root.id])[0]])
    // an odd number of digits ends in the middle of a byte
    expect(hex(await store.idsWithPrefix('9a9e0', { now }))).toHaveLength(2)
    expect(hex(await store.idsWithPrefix('9a9f', { now }))).toEqual(['9a9f00'.padEnd(64, 'a')])
    expect(hex(await store.idsWithPrefix('9a9', { now }))).toHaveLength(4)
    expect(await store.idsWithPrefix('9a9e1', { now })).toEqual([])
    // the whole id, and the limit
    expect(hex(await store.idsWithPrefix(hex([root.id])[0] ?? '', { now }))).toEqual(hex([root.id]))
    expect(hex(await store.idsWithPrefix('9a9e', { now, limit: 1 }))).toEqual(hex([answer.id]))
    expect(await store.idsWithPrefix('9a9e', { now: T0 + 2 * DAY })).toEqual([])
  })

  it('takes a prefix of f digits up to the end of the id space', async () => {
    const last = post({ id: hexId('ff', 'f') })
    await store.put(last, T0)
    expect(hex(await store.idsWithPrefix('f', { now: T0 }))).toEqual(hex([last.id]))
    expect(hex(await store.idsWithPrefix('f'.repeat(64), { now: T0 }))).toEqual(hex([last.id]))
  })

  it('refuses what is not 1 to 64 lower-case hex digits', async () => {
    for (const bad of ['', 'g0', '9A9E', 'a'.repeat(65), ' 9a9e']) {
      await expect(store.idsWithPrefix(bad), bad).rejects.toMatchObject({ name: 'InvalidPostError' })
    }
  })

  it('reads the ids that start with the prefix, not the channel', async () => {
    const db = memoryDb()
    const big = createPostStore({ db })
    try {
      for (let i = 0; i < 600; i++) await big.put(post({ id: hexId(i.toString(16).padStart(4, '0')), created: T0 }), T0)
      const reads = countReads(db)
      expect(hex(await big.idsWithPrefix('0100', { now: T0 }))).toEqual([hexId('0100')].map((id) => Buffer.from(id).toString('hex')))
      expect(reads.entries).toBeLessThanOrEqual(2)
    } finally {
      await big.close()
    }
  })
})

describe('LocalReads.idsWithPrefix', () => {
  it('adds the own posts not in the store, pending or evicted since they came back', async () => {
    const store = createPostStore({ db: memoryDb() })
    try {
      const now = Math.floor(Date.now() / 1000)
      const stored = post({ id: hexId('c0de02'), created: now })
      await store.put(stored, now)
      const pending: StoredPost[] = [post({ id: hexId('c0de01'), created: now }), oneTimeVote(stored, 1, { id: hexId('c0de00'), created: now })]
      const returned: StoredPost[] = [post({ id: hexId('c0de03'), created: now }), stored]
      const reads = new LocalReads({ store, pending: () => pending, returned: () => returned })
      expect(await reads.idsWithPrefix('c0de')).toEqual(['c0de01', 'c0de02', 'c0de03'].map((s) => s.padEnd(64, 'a')))
      expect(await reads.idsWithPrefix('c0de', 2)).toEqual(['c0de01', 'c0de02'].map((s) => s.padEnd(64, 'a')))
    } finally {
      await store.close()
    }
  })
})
