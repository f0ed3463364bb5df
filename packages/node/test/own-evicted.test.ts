// An own post that comes back is charged to the peer that brought it, as a relayed one is (issue 12,
// High 2 of review 4: the quota must not tell a stem successor which posts are own), so a flood from
// that peer's addresses may evict it from the store. Its author must still read it: in the feed, by id,
// in its thread; never through the store (sync serves the store only), and only for this run (nothing
// on disk says which posts were written here).
import { MemoryLevel } from 'memory-level'
import { buildEnvelope, channelTopic, ready } from '@murmur/protocol'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { InStem } from '../src/in-stem.js'
import { LocalReads } from '../src/local-reads.js'
import { TEST_POW_BITS } from './harness.js'
import type { StoreDatabase, StoredPost } from '../src/internal.js'
import type { InStemPost } from '../src/in-stem.js'
import type { ValidEnvelope } from '@murmur/protocol'

const CHANNEL = '#evicted'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const SUCCESSOR = 'ip4/6.6.6.0'

describe('an own post evicted from the store after it came back', () => {
  beforeAll(async () => { await ready() })
  afterEach(() => { vi.useRealTimers() })

  it('is still read by its author, not served from the store, and forgotten by a restart', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t0 = Math.floor(Date.now() / 1000)
    const store = createPostStore({ db: await openDatabase(undefined), channelPosts: 20 })
    const side = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' }) as unknown as StoreDatabase
    const inStem = await InStem.open(side)
    const intake = new PostIntake({
      store,
      powBits: POW,
      announce: () => {},
      awaiting: (id) => inStem.has(id),
      onValid: (id) => { inStem.arrived(id) }
    })
    // as the node wires its reads
    const entries = (posts: InStemPost[]): StoredPost[] => posts.flatMap((post) => intake.ownEntry(post.channel, post.envelope) ?? [])
    const reads = new LocalReads({ store, pending: () => entries(inStem.pending()), returned: () => entries(inStem.returned()) })
    const blind = new LocalReads({ store, pending: () => entries(inStem.pending()) })
    try {
      const mine = await buildEnvelope({ channel: CHANNEL, body: 'mine', created: t0, ttl: 3600, powBits: TEST_POW_BITS })
      const valid = intake.validate(TOPIC, mine.bytes, 'own') as ValidEnvelope
      await inStem.add({ id: valid.id, expires: t0 + 3600, channel: CHANNEL, envelope: mine.bytes })
      await inStem.sent(valid.id)
      const flood = async (n: number, at: number): Promise<void> => {
        vi.setSystemTime(at * 1000)
        for (let i = 0; i < n; i++) {
          const bytes = (await buildEnvelope({ channel: CHANNEL, body: `flood ${at} ${i}`, created: t0, ttl: 3600, powBits: TEST_POW_BITS })).bytes
          await intake.receiveGossip(bytes, intake.validate(TOPIC, bytes, 'gossip') as ValidEnvelope, SUCCESSOR)
        }
      }
      // the successor floods from its address, sends the post back, and floods past the quota (20)
      await flood(19, t0)
      vi.setSystemTime((t0 + 1) * 1000)
      expect(await intake.receiveGossip(mine.bytes, intake.validate(TOPIC, mine.bytes, 'gossip') as ValidEnvelope, SUCCESSOR)).toBe('stored')
      expect(inStem.has(valid.id)).toBe(false)
      await flood(1, t0 + 2)
      // evicted: nothing a sync request can get
      expect(await store.get(valid.id)).toBeUndefined()
      expect((await blind.feed(CHANNEL, { limit: 100 })).some((post) => post.body === 'mine')).toBe(false)
      // its author still reads it
      expect((await reads.feed(CHANNEL, { limit: 100 })).filter((post) => post.body === 'mine')).toHaveLength(1)
      expect((await reads.get(valid.id))?.body).toBe('mine')
      expect((await reads.thread(valid.id)).map((post) => post.body)).toEqual(['mine'])
      // in memory only: a restart forgets which posts were written here
      await inStem.flush()
      expect((await InStem.open(side)).returned()).toEqual([])
      // and past its expiry, the author no longer reads it either
      vi.setSystemTime((t0 + 3600) * 1000)
      expect(inStem.returned()).toEqual([])
    } finally {
      await inStem.flush()
      await store.close()
    }
  }, 60_000)
})
