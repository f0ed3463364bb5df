/**
 * Review RV8 on the envelopes kept for their ring's stamps (membership/awaiting-stamps.ts): what time does to a
 * kept gossip vote (L1: the live epoch window holds for votes too), what `stamped` counts (only what was
 * stored), and whom the overall bound pushes out (L3: the largest group's oldest, not the oldest of all).
 */
import { authorPublicKey, buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ready, toHex } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { AWAITING_MEMBER_BYTES, AwaitingStamps } from '../src/membership/awaiting-stamps.js'
import { TEST_POW_BITS } from './harness.js'
import type { AwaitingEnvelope } from '../src/membership/awaiting-stamps.js'
import type { PostStore } from '../src/internal.js'
import type { BuiltEnvelope, RingMembership, ValidEnvelope } from '@murmur/protocol'

const CHANNEL = '#awaiting-hold'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const HOUR = 3600

interface Setup {
  intake: PostIntake
  store: PostStore
  /** Every ring member's stamp known from now on; resolves with what `stamped` reported. */
  stampAll(): Promise<number>
  advance(seconds: number): void
}

describe('envelopes kept for their ring\'s stamps (RV8)', () => {
  const keys = Array.from({ length: 3 }, () => generateAuthorKey())
  let ring: Uint8Array[]
  const T0 = Math.floor(Date.now() / 1000)
  const created = T0 - (T0 % 60) - 60
  let root: BuiltEnvelope

  beforeAll(async () => {
    await ready()
    ring = keys.map((key) => authorPublicKey(key.secretKey)).sort(compareBytes)
    root = await buildEnvelope({ channel: CHANNEL, body: 'root', powBits: TEST_POW_BITS, ttl: 7 * 86_400, created })
  })

  async function setup (): Promise<Setup> {
    let clock = T0 * 1000
    const known = new Set<string>()
    const checkRing = (members: Uint8Array[]): RingMembership => {
      const missing = members.filter((key) => !known.has(toHex(key)))
      return missing.length > 0 ? { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown', missing } : { ok: true }
    }
    const store = createPostStore({ db: await openDatabase(undefined) })
    const intake = new PostIntake({ store, powBits: POW, announce: () => {}, checkRing, now: () => clock })
    expect(await intake.ingest(TOPIC, root.bytes, 'g0')).toBe('accept')
    return {
      intake,
      store,
      advance: (seconds) => { clock += seconds * 1000 },
      stampAll: async () => {
        let stored = 0
        for (const key of ring) { known.add(toHex(key)); stored += await intake.stamped(key) }
        return stored
      }
    }
  }

  async function ringVote (slot: number, ttl: number): Promise<BuiltEnvelope> {
    return await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: root.id, vote: -1, created, ttl, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot } })
  }

  function holdFromGossip ({ intake }: Setup, built: BuiltEnvelope): string | undefined {
    const valid = intake.validate(TOPIC, built.bytes, 'gossip')
    if (!valid.ok) return valid.code
    return intake.membership(valid, 'peer', { topic: TOPIC, envelope: built.bytes, path: 'gossip', from: 'gA' })?.code
  }

  it('a gossip vote whose stamps arrive three epochs later is not stored by gossip\'s path (L1)', async () => {
    const node = await setup()
    const vote = await ringVote(3, 7 * 86_400)
    expect(holdFromGossip(node, vote)).toBe('ERR_UNKNOWN_MEMBER')
    node.advance(3 * HOUR)
    // a fresh copy from gossip now is refused as stale: the kept one must not get round it
    expect(node.intake.validate(TOPIC, vote.bytes, 'gossip')).toMatchObject({ ok: false, code: 'ERR_STALE_EPOCH' })
    expect(await node.stampAll()).toBe(0)
    expect(await node.store.has(vote.id)).toBe(false)
  })

  it('counts as taken only what was stored: a kept vote that expired meanwhile is not', async () => {
    const node = await setup()
    const vote = await ringVote(0, 3600)
    expect(holdFromGossip(node, vote)).toBe('ERR_UNKNOWN_MEMBER')
    node.advance(HOUR)
    expect(await node.stampAll()).toBe(0)
    expect(await node.store.has(vote.id)).toBe(false)
  })

  it('stores and counts a kept vote whose stamps arrive in time', async () => {
    const node = await setup()
    const vote = await ringVote(1, 86_400)
    expect(holdFromGossip(node, vote)).toBe('ERR_UNKNOWN_MEMBER')
    expect(await node.stampAll()).toBe(1)
    expect(await node.store.get(root.id)).toMatchObject({ score: -1 })
  })

  it('pushes out the largest group\'s oldest envelope when the overall bound is full, not the oldest of all (L3)', () => {
    const delivered: string[] = []
    const waiting = new AwaitingStamps({
      checkRing: () => ({ ok: true }),
      deliver: async (entry) => { delivered.push(entry.group); return true }
    }, { envelopes: 4, envelopesPerGroup: 3 })
    let n = 0
    const member = new Uint8Array(32).fill(7)
    const entry = (group: string): AwaitingEnvelope => {
      const id = new Uint8Array(32)
      new DataView(id.buffer).setUint32(0, ++n)
      return { topic: TOPIC, envelope: new Uint8Array(100), valid: { id, auth: { kind: 'ring', ring: [member] } } as unknown as ValidEnvelope, path: 'sync', group }
    }
    const quiet = entry('quiet')
    expect(waiting.hold(quiet, [member])).toBe(true)
    const flood = [entry('flood'), entry('flood'), entry('flood')]
    for (const e of flood) expect(waiting.hold(e, [member])).toBe(true)
    expect(waiting.hold(entry('other'), [member])).toBe(true)
    expect(waiting.size).toBe(4)
    // the quiet group's only envelope, the oldest of all, is still there; the flood lost its oldest
    expect(waiting.hold(quiet, [member])).toBe(false)
    expect(waiting.hold(flood[0]!, [member])).toBe(true)
  })
})

// RV8 L2: 953 envelopes of 64-member rings counted 4.0 MiB and took 33.5 MiB of heap
describe('the bytes bound of envelopes kept for their stamps counts their ring (RV8 L2)', () => {
  it('charges AWAITING_MEMBER_BYTES per ring member on top of the envelope', () => {
    const ring = Array.from({ length: 64 }, (_, i) => new Uint8Array(32).fill(i))
    const waiting = new AwaitingStamps({ checkRing: () => ({ ok: true }), deliver: async () => true }, { bytes: 100 * 1024, bytesPerGroup: 100 * 1024 })
    for (let i = 0; i < 10; i++) {
      const id = new Uint8Array(32).fill(i + 1)
      waiting.hold({ topic: TOPIC, envelope: new Uint8Array(4400), valid: { id, auth: { kind: 'ring', ring } } as unknown as ValidEnvelope, path: 'sync', group: `g${i}` }, ring)
    }
    // 4,400 + 64 × 512 = 37,168 bytes each: two fit in 100 KiB, not ten
    expect(waiting.size).toBe(2)
    expect(waiting.bytes).toBe(2 * (4400 + 64 * AWAITING_MEMBER_BYTES))
  })
})

// RV8 M2: the gossip validator Ignores a ring it does not take before the store, so the copy never reached
// onValid → stem.seen: a stem post (own or relayed) whose ring names members unknown here never ended its
// embargo from gossip, and this node fluffed it again — a re-send only where the ring is not taken
describe('a gossip copy refused for its ring still ends a stem post\'s embargo (RV8 M2)', () => {
  beforeAll(async () => { await ready() })

  it('reports the id of a valid gossip or sync copy refused by membership, not of a stem frame', async () => {
    const keys = Array.from({ length: 3 }, () => generateAuthorKey())
    const ring = keys.map((key) => authorPublicKey(key.secretKey)).sort(compareBytes)
    const seen: string[] = []
    const store = createPostStore({ db: await openDatabase(undefined) })
    const intake = new PostIntake({
      store,
      powBits: POW,
      announce: () => {},
      onValid: (id) => { seen.push(toHex(id)) },
      checkRing: (members) => ({ ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown', missing: members })
    })
    const root = await buildEnvelope({ channel: CHANNEL, body: 'root', powBits: TEST_POW_BITS })
    const vote = await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: root.id, vote: 1, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[1]!.secretKey, slot: 2 } })
    // the stem hop's judgement (a frame, not a sighting in gossip) reports nothing
    expect(await intake.judge(TOPIC, vote.bytes, 'gS', 'peer')).toBe('accept')
    expect(seen).toEqual([])
    // its gossip copy, as the member gate hands it to intake.membership: refused, kept, and seen
    const valid = intake.validate(TOPIC, vote.bytes, 'gossip')
    if (!valid.ok) throw new Error(valid.code)
    expect(intake.membership(valid, 'peer', { topic: TOPIC, envelope: vote.bytes, path: 'gossip', from: 'gA' })?.code).toBe('ERR_UNKNOWN_MEMBER')
    expect(seen).toEqual([toHex(vote.id)])
    expect(await store.has(vote.id)).toBe(false)
    // and by sync
    expect(await intake.ingest(TOPIC, vote.bytes, 'gB', 'peer')).toBe('ignore')
    expect(seen).toEqual([toHex(vote.id), toHex(vote.id)])
  })
})
