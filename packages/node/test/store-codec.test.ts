import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodePost, decodeTally, encodePost, encodeTally } from '../src/store/codec.js'
import { createPostStore, hotScore } from '../src/store/index.js'
import { channelPrefix, tagKey, timeKey, timeRange } from '../src/store/keys.js'
import { T0, allKeys, idOf, post } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const time = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })

const storedPost: fc.Arbitrary<StoredPost> = fc.record({
  id: bytes32,
  channel: fc.string({ unit: 'grapheme', maxLength: 64 }),
  kind: fc.constantFrom('POST', 'REPLY', 'VOTE'),
  body: fc.string({ unit: 'grapheme', maxLength: 300 }),
  vote: fc.constantFrom(-1, 0, 1),
  created: time,
  expires: time,
  envelope: fc.uint8Array({ maxLength: 4096 }),
  parent: fc.option(bytes32, { nil: undefined }),
  root: fc.option(bytes32, { nil: undefined }),
  authorKey: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  scope: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
  tag: fc.option(bytes32, { nil: undefined })
}, { requiredKeys: ['id', 'channel', 'kind', 'body', 'vote', 'created', 'expires', 'envelope'] })

function compare (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

describe('store value codec', () => {
  it('round-trips any post exactly', () => {
    fc.assert(fc.property(storedPost, (p) => {
      const decoded = decodePost(p.id, encodePost(p))
      const expected: Record<string, unknown> = { ...p }
      for (const key of Object.keys(expected)) if (expected[key] === undefined) delete expected[key]
      expect(decoded).toEqual(expected)
      expect(decoded.envelope).not.toBe(p.envelope)
    }), { numRuns: 300 })
  })

  it('rejects damaged records with CorruptRecordError', () => {
    const good = encodePost(post({ body: 'hello' }))
    const id = idOf(1)
    const damaged: Uint8Array[] = [
      good.subarray(0, good.byteLength - 1), // truncated field
      good.subarray(0, 10), // truncated header
      Uint8Array.from([...good, 0]), // trailing byte
      Uint8Array.from([2, ...good.subarray(1)]), // unknown version
      Uint8Array.from([good[0] ?? 0, 7, ...good.subarray(2)]), // unknown kind
      Uint8Array.from([good[0] ?? 0, good[1] ?? 0, 0x80, ...good.subarray(3)]) // unknown flag
    ]
    const badUtf8 = Uint8Array.from(good)
    badUtf8.set([0xff], 23 + 4) // first byte of the channel
    damaged.push(badUtf8)
    for (const bytes of damaged) {
      expect(() => decodePost(id, bytes)).toThrow(expect.objectContaining({ name: 'CorruptRecordError', code: 'ERR_CORRUPT_RECORD' }))
    }
  })

  it('round-trips tallies, negative scores included', () => {
    const tally = { score: -7, votes: 11, replies: 3 }
    expect(decodeTally(idOf(1), encodeTally(tally))).toEqual(tally)
    expect(() => decodeTally(idOf(1), new Uint8Array(5))).toThrow(expect.objectContaining({ name: 'CorruptRecordError' }))
  })
})

describe('store keys', () => {
  it('orders time keys by time, then id', () => {
    const prefix = channelPrefix('#lobby')
    fc.assert(fc.property(time, time, bytes32, bytes32, (a, b, ia, ib) => {
      const order = Math.sign(compare(timeKey(prefix, a, ia), timeKey(prefix, b, ib)))
      expect(order).toBe(a !== b ? Math.sign(a - b) : Math.sign(compare(ia, ib)))
    }), { numRuns: 500 })
  })

  it('keeps each channel (and scope) in its own key range', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), time, bytes32, (a, b, t, id) => {
      fc.pre(a !== b)
      const key = timeKey(channelPrefix(b), t, id)
      const range = timeRange(channelPrefix(a))
      const inside = compare(key, range.gte) >= 0 && compare(key, range.lte ?? new Uint8Array()) <= 0
      expect(inside).toBe(false)
    }), { numRuns: 500 })
    expect(compare(tagKey(new Uint8Array([1]), idOf(1)), tagKey(new Uint8Array([1, 0]), idOf(1)))).not.toBe(0)
  })

  it('bounds a time range strictly below `before`', () => {
    const prefix = channelPrefix('#x')
    const range = timeRange(prefix, 100)
    expect(compare(timeKey(prefix, 99, new Uint8Array(32).fill(0xff)), range.lt ?? new Uint8Array())).toBeLessThan(0)
    expect(compare(timeKey(prefix, 100, new Uint8Array(32)), range.lt ?? new Uint8Array())).toBeGreaterThanOrEqual(0)
  })
})

describe('hotScore', () => {
  it('follows (score + 1) / (ageHours + 2) ^ 1.5', () => {
    expect(hotScore(0, T0, T0)).toBeCloseTo(1 / 2 ** 1.5, 12)
    expect(hotScore(10, T0, T0 + 3600)).toBeCloseTo(11 / 3 ** 1.5, 12)
    expect(hotScore(5, T0, T0 + 86_400)).toBeCloseTo(6 / 26 ** 1.5, 12)
    expect(hotScore(-3, T0, T0 + 7200)).toBeCloseTo(-2 / 4 ** 1.5, 12)
  })

  it('treats posts from a little in the future as brand new', () => {
    expect(hotScore(2, T0 + 60, T0)).toBe(hotScore(2, T0, T0))
  })
})

describe('store input checks', () => {
  let store: PostStore
  let db: MemoryLevel<Uint8Array, Uint8Array>

  beforeEach(() => {
    db = new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' })
    store = createPostStore({ db })
  })

  afterEach(async () => {
    await store.close()
  })

  const invalid: Array<[string, Partial<StoredPost>]> = [
    ['a short id', { id: new Uint8Array(31) }],
    ['a POST with a parent', { parent: idOf(1) }],
    ['a REPLY without a parent', { kind: 'REPLY' }],
    ['a VOTE with a short parent', { kind: 'VOTE', vote: 1, parent: new Uint8Array(3) }],
    ['a VOTE of 2', { kind: 'VOTE', vote: 2, parent: idOf(1) }],
    ['a POST with a vote', { vote: 1 }],
    ['a VOTE with a root', { kind: 'VOTE', vote: 1, parent: idOf(1), root: idOf(2) }],
    ['a fractional time', { created: T0 + 0.5 }],
    ['a negative time', { created: -1, expires: 10 }],
    ['expiry before creation', { expires: T0 - 1 }],
    ['a lone surrogate', { body: 'broken \uD800 text' }],
    ['a scope without tag', { scope: new Uint8Array([1]) }],
    ['a short tag', { scope: new Uint8Array([1]), tag: new Uint8Array(16) }],
    ['an oversized scope', { scope: new Uint8Array(70_000), tag: idOf(1) }],
    ['an unknown kind', { kind: 'SHOUT' as StoredPost['kind'] }]
  ]

  it.each(invalid)('rejects %s with InvalidPostError and writes nothing', async (_, overrides) => {
    await expect(store.put(post(overrides), T0)).rejects.toMatchObject({ name: 'InvalidPostError', code: 'ERR_INVALID_POST' })
    expect(await allKeys(db)).toEqual([])
  })

  it('rejects bad lookups and feed options with InvalidPostError', async () => {
    const expectInvalid = async (p: Promise<unknown>): Promise<void> => {
      await expect(p).rejects.toMatchObject({ name: 'InvalidPostError' })
    }
    await expectInvalid(store.get(new Uint8Array(5)))
    await expectInvalid(store.has(new Uint8Array(33)))
    await expectInvalid(store.hasTag(new Uint8Array(1), new Uint8Array(2)))
    await expectInvalid(store.thread(new Uint8Array(0)))
    await expectInvalid(store.feed('#lobby', { limit: -1 }))
    await expectInvalid(store.feed('#lobby', { limit: 1.5 }))
    await expectInvalid(store.feed('#lobby', { sort: 'top' as 'hot' }))
    await expectInvalid(store.feed('#lobby', { now: -5 }))
    await expectInvalid(store.sweep(Number.NaN))
  })
})
