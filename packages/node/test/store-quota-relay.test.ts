import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import { UNKNOWN_SENDER, createPostStore } from '../src/store/index.js'
import { DAY, T0, post } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

/**
 * Issue 12, Medium 9: a flooder that also relays honest posts quickly is the first to deliver them,
 * so they were charged to its address group, and the quota's eviction of its flood took them along.
 */
const HOUR = 3600
const QUOTA = 100
const FLOODER = 'ip4/10.66.0.1'

describe('channel quota against a fast-relaying flooder', () => {
  const stores: PostStore[] = []
  afterEach(async () => { await Promise.all(stores.splice(0).map(async s => s.close())) })

  /**
   * 24 hours of 2 honest posts an hour, every one delivered first by the flooder, which also floods 60
   * posts an hour of its own; `vouch` is called a few seconds after each honest post arrives (a dialed
   * peer's duplicate). Resolves to how many honest posts are still stored at the end.
   */
  async function relayedFirst (vouch: (store: PostStore, p: StoredPost, at: number) => Promise<void>): Promise<{ kept: number, total: number, live: number }> {
    const store = createPostStore({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }), channelPosts: QUOTA })
    stores.push(store)
    const honest: StoredPost[] = []
    for (let hour = 0; hour < 24; hour++) {
      const arrivals: Array<{ at: number, p: StoredPost, honest: boolean }> = []
      for (let i = 0; i < 2; i++) {
        const at = T0 + hour * HOUR + i * 1800 + 7
        arrivals.push({ at, p: post({ created: at - 5, expires: T0 + 7 * DAY, from: FLOODER }), honest: true })
      }
      for (let i = 0; i < 60; i++) {
        const at = T0 + hour * HOUR + i * 60
        arrivals.push({ at, p: post({ created: at, expires: T0 + 7 * DAY, from: FLOODER }), honest: false })
      }
      for (const { at, p, honest: isHonest } of arrivals.sort((a, b) => a.at - b.at)) {
        expect(await store.put(p, at)).toBe('stored')
        if (isHonest) {
          honest.push(p)
          await vouch(store, p, at + 3)
        }
      }
    }
    const now = T0 + 24 * HOUR
    let kept = 0
    for (const p of honest) if (await store.get(p.id, now) !== undefined) kept++
    const live = (await store.feed('#lobby', { now, limit: 100_000, includeHidden: true })).length
    return { kept, total: honest.length, live }
  }

  it('cannot get the honest posts it relayed evicted with its flood once a dialed peer delivered them too', async () => {
    const { kept, total, live } = await relayedFirst(async (store, p) => {
      expect(await store.corroborate(p.id, 'ip4/192.0.2.1')).toBe(true)
    })
    expect(total).toBe(48)
    expect(kept).toBe(48)
    expect(live).toBeLessThanOrEqual(QUOTA)
  })

  it('a copy from its own group, or of no known group, vouches for nothing', async () => {
    // without a vouch from another group, the honest posts it relayed compete with its flood by arrival
    const { kept } = await relayedFirst(async (store, p) => {
      expect(await store.corroborate(p.id, FLOODER)).toBe(false)
      expect(await store.corroborate(p.id, UNKNOWN_SENDER)).toBe(false)
    })
    expect(kept).toBeLessThan(10)
  })

  it('marks a post shared once, and never one it does not hold', async () => {
    const store = createPostStore({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) })
    stores.push(store)
    const p = post({ from: FLOODER })
    expect(await store.corroborate(p.id, 'ip4/192.0.2.1')).toBe(false)
    await store.put(p, T0)
    expect(await store.corroborate(p.id, 'ip4/192.0.2.1')).toBe(true)
    expect(await store.corroborate(p.id, 'ip4/192.0.2.2')).toBe(false)
    // the node's own post: another group delivering it back is what gossip does, and shares it
    const own = post()
    await store.put(own, T0)
    expect(await store.corroborate(own.id, 'ip4/192.0.2.1')).toBe(true)
  })
})
