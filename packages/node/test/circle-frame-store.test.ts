/**
 * The frames a node keeps for history sync of the shared circle topic: by id, for a week after arrival,
 * within a byte budget in which a flood gives up its own newest frames first (by hour of arrival, then by
 * sender group), whoever relayed it.
 */
import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { frameId, openFrameStore } from '../src/circle/frame-store.js'
import type { StoreDatabase } from '../src/store/index.js'

const frame = (fill: number, size = 1024): Uint8Array => new Uint8Array(size).fill(fill)

async function database (): Promise<StoreDatabase> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  return db
}

describe('circle frame store', () => {
  it('keeps a frame once, serves it by id and as a sync item at created 0, and drops it after its week', async () => {
    const db = await database()
    let now = 1_000_000
    const store = await openFrameStore({ db, now: () => now, ttl: 100 })
    expect(await store.put(frame(1), 'g1')).toBe('stored')
    expect(await store.put(frame(1), 'g2')).toBe('duplicate')
    expect(store.has(frameId(frame(1)))).toBe(true)
    expect(await store.get(frameId(frame(1)))).toEqual(frame(1))
    expect(store.items()).toEqual([{ id: frameId(frame(1)), created: 0 }])
    // a restart loads the index
    const reopened = await openFrameStore({ db, now: () => now, ttl: 100 })
    expect(reopened.has(frameId(frame(1)))).toBe(true)
    now += 100
    expect(await reopened.sweep()).toBe(1)
    expect(reopened.items()).toEqual([])
    expect(await reopened.get(frameId(frame(1)))).toBeUndefined()
  })

  it('a flood from one sender group gives up its own newest frames (a newcomer first), not the others\'', async () => {
    const store = await openFrameStore({ db: await database(), now: () => 1_000, maxBytes: 4 * 1024 })
    await store.put(frame(1), 'honest')
    await store.put(frame(2), 'honest')
    for (let i = 10; i < 20; i++) await store.put(frame(i), 'flooder')
    expect(store.bytes).toBeLessThanOrEqual(4 * 1024)
    expect(store.has(frameId(frame(1)))).toBe(true)
    expect(store.has(frameId(frame(2)))).toBe(true)
    // the flood's first two frames; each later one is the newest of the group holding the most: not kept
    expect(store.has(frameId(frame(10)))).toBe(true)
    expect(store.has(frameId(frame(11)))).toBe(true)
    expect(await store.put(frame(20), 'flooder')).toBe('full')
    expect(store.has(frameId(frame(19)))).toBe(false)
    const kept: Uint8Array[] = []
    for await (const held of store.frames()) kept.push(held)
    expect(kept).toHaveLength(4)
  })

  // seventeenth read of issue 12, High 2: at a flood's second hop the junk is filed under the honest neighbours
  // that relayed it, and the oldest frames of the group holding most went first: 0 of 100 honest frames kept
  // (FAILED before: 0/100 here too). Now the newest of the hour holding most go: the history kept before stays
  // whoever relays the flood, and the next hour's frames push the flood out.
  it('junk forwarded by the honest neighbours (a second hop) pushes none of the history out; the next hour pushes the junk out', async () => {
    let now = 1_000_000
    const store = await openFrameStore({ db: await database(), now: () => now, maxBytes: 128 * 1024 })
    const neighbours = ['ip4/10.0.0.1', 'ip4/10.0.0.2', 'ip4/10.0.0.3']
    const honest = Array.from({ length: 100 }, (_, i) => frame(i, 1024))
    for (const [i, held] of honest.entries()) await store.put(held, neighbours[i % 3]!)
    now += 600
    // 1 MiB of junk through the same three neighbours, eight times the store
    const junk = (i: number): Uint8Array => { const bytes = crypto.getRandomValues(new Uint8Array(16 * 1024)); bytes[0] = i; return bytes }
    for (let i = 0; i < 64; i++) await store.put(junk(i), neighbours[i % 3]!)
    expect(store.bytes).toBeLessThanOrEqual(128 * 1024)
    expect(honest.filter((held) => store.has(frameId(held)))).toHaveLength(100)
    // an hour later the flood's hour holds the most: an honest frame then takes a junk frame's room
    now += 3600
    const later = Array.from({ length: 20 }, (_, i) => frame(200 + i, 1024))
    for (const held of later) await store.put(held, neighbours[0]!)
    expect(later.filter((held) => store.has(frameId(held)))).toHaveLength(20)
    expect(honest.filter((held) => store.has(frameId(held)))).toHaveLength(100)
  })

  it('hands out the frames that arrived since a time, oldest first (what a new generation tries)', async () => {
    let now = 1_000
    const store = await openFrameStore({ db: await database(), now: () => now })
    for (const fill of [1, 2, 3]) {
      await store.put(frame(fill), 'g')
      now += 10
    }
    const since = async (at: number): Promise<number[]> => {
      const fills: number[] = []
      for await (const held of store.frames(at)) fills.push(held[0]!)
      return fills
    }
    expect(await since(0)).toEqual([1, 2, 3])
    expect(await since(1_010)).toEqual([2, 3])
    expect(await since(1_021)).toEqual([])
  })
})
