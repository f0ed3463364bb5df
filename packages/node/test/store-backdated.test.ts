import { authorPublicKey, buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ready } from '@murmur/protocol'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { VOTE_BEFORE_PARENT } from '../src/store/constants.js'
import { BACKENDS, T0, openStore, post, vote } from './store-fixtures.js'
import { TEST_POW_BITS } from './harness.js'
import type { PostStore } from '../src/store/index.js'

const HOUR = 3600

// review RV8 M1: a ring member signed votes dated hours before their parent (one slot set per past hour),
// which history sync took although gossip refuses them as stale
describe.each(BACKENDS)('a vote dated before its parent on $name', (backend) => {
  let store: PostStore
  let close: () => Promise<void>

  beforeEach(async () => { ({ store, close } = await openStore(backend)) })
  afterEach(async () => { await close() })

  it('is refused as backdated when its parent is stored, and counts nothing', async () => {
    const parent = post({ created: T0 })
    expect(await store.put(parent, T0)).toBe('stored')
    const backdated = vote(parent, -1, { created: T0 - 100 * HOUR, expires: T0 + HOUR })
    expect(await store.put(backdated, T0)).toBe('backdated')
    expect(await store.has(backdated.id)).toBe(false)
    expect(await store.get(parent.id, T0)).toMatchObject({ score: 0 })
  })

  it('is removed when its parent arrives after it, and the votes dated within the skew stay', async () => {
    const parent = post({ created: T0 })
    const backdated = vote(parent, -1, { created: T0 - VOTE_BEFORE_PARENT - 60 })
    const skewed = vote(parent, 1, { created: T0 - VOTE_BEFORE_PARENT })
    const later = vote(parent, 1, { created: T0 + HOUR })
    for (const v of [backdated, skewed, later]) expect(await store.put(v, T0)).toBe('stored')
    expect(await store.put(parent, T0)).toBe('stored')
    expect(await store.has(backdated.id)).toBe(false)
    expect(await store.has(skewed.id)).toBe(true)
    expect(await store.get(parent.id, T0)).toMatchObject({ score: 2 })
    // refused for good: the same vote again is backdated, not waiting
    expect(await store.put(backdated, T0)).toBe('backdated')
  })
})

describe('backdated ring votes by history sync (RV8 M1 attack)', () => {
  beforeAll(async () => { await ready() })

  it('a member\'s votes dated 100 hours before their parents are not taken by sync, nor in either order', async () => {
    const CHANNEL = '#backdate'
    const topic = channelTopic(CHANNEL)
    const powBits = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
    const keys = [generateAuthorKey(), generateAuthorKey(), generateAuthorKey()]
    const ring = keys.map((key) => authorPublicKey(key.secretKey)).sort(compareBytes)
    const db = await openDatabase(undefined)
    const intake = new PostIntake({ store: createPostStore({ db }), powBits, announce: () => {} })
    const now = Math.floor(Date.now() / 1000)
    const created = now - (now % HOUR) - 100 * HOUR
    const parents = await Promise.all([0, 1, 2, 3].map(async (i) => await buildEnvelope({ channel: CHANNEL, body: `fresh ${i}`, powBits: TEST_POW_BITS })))
    const votes = await Promise.all(parents.map(async (parent, slot) => await buildEnvelope({
      channel: CHANNEL, kind: 'VOTE', parent: parent.id, vote: -1, created, ttl: 604_800, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot }
    })))
    // parents first for two, votes first for the other two
    for (const i of [0, 1]) expect(await intake.ingest(topic, parents[i]!.bytes, 'g0')).toBe('accept')
    for (const i of [0, 1]) expect(await intake.ingest(topic, votes[i]!.bytes, 'g1')).toBe('ignore')
    for (const i of [2, 3]) expect(await intake.ingest(topic, votes[i]!.bytes, 'g1')).toBe('accept')
    for (const i of [2, 3]) expect(await intake.ingest(topic, parents[i]!.bytes, 'g0')).toBe('accept')
    const store = createPostStore({ db })
    for (const parent of parents) expect(await store.get(parent.id)).toMatchObject({ score: 0 })
    for (const v of votes) expect(await store.has(v.id)).toBe(false)
    await db.close()
  })
})
