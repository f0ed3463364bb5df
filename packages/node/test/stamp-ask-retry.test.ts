/**
 * Second read of issue 12, M2: only a post's first sender was asked for the stamps of ring members unknown
 * here. An attacker that delivers a valid copy first and never answers (or whose fetch budget ran out) kept
 * everyone else from being asked: a post by a new member waited for the directory's own sync. A later sender
 * by gossip or sync, of another address group, is now asked once STAMP_ASK_RETRY passed and the stamps are
 * still missing, up to STAMP_ASK_GROUPS groups; never any later sender of a post this node sent on in the
 * stem (sixth read, RV13B M1 and RV13C M1: a successor's colluder of another group, or the successor after
 * flushing the intake's caches, was asked, and learned this node was not the author).
 */
import { channelTopic, ready, requiredPowBits } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { RINGS_CHECKED, STAMP_ASK_GROUPS, STAMP_ASK_RETRY, STEM_SENDERS } from '../src/intake.js'
import { UNKNOWN_SENDER } from '../src/store/index.js'
import { TEST_POW_BITS } from './harness.js'
import { remined, ringPost } from './remined-fixtures.js'
import type { PostStore } from '../src/internal.js'
import type { RingMembership, ValidEnvelope } from '@murmur/protocol'

const CHANNEL = '#stamp-ask-retry'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const BITS = requiredPowBits('POST', 4, POW)

/** An intake whose directory knows no member, recording whom it asks for stamps, on a clock the test moves. */
function askingIntake (store: PostStore): { intake: PostIntake, asked: string[], clock: { now: number } } {
  const asked: string[] = []
  const clock = { now: 1_000_000 }
  const checkRing = (ring: Uint8Array[], _created: number, from?: string): RingMembership => {
    if (from !== undefined) asked.push(from)
    return { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown members', missing: ring }
  }
  return { intake: new PostIntake({ store, powBits: POW, announce: () => {}, checkRing, now: () => Date.now() - 1_000_000 + clock.now }), asked, clock }
}

/** A ring post of four fresh members. */
describe('missing stamps asked of a later sender', () => {
  beforeAll(async () => { await ready() })

  it('by gossip and sync once the first sender did not bring them, from other groups only, a bounded number', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, asked, clock } = askingIntake(store)
    try {
      const post = await ringPost(CHANNEL, 'by new members')
      const copies = remined(post.bytes, post.id, BITS, 8)
      const gossip = async (bytes: Uint8Array, peer: string, group: string): Promise<void> => {
        const valid = await intake.verify(TOPIC, bytes, 'gossip', group)
        if (valid.ok) intake.membership(valid, peer, { topic: TOPIC, envelope: bytes, path: 'gossip', from: group })
        else expect(valid.code).toBe('ERR_DUPLICATE')
      }
      // the attacker's copy first: it is asked, and never answers
      await gossip(copies[0]!, 'attacker', 'ip4/198.51.100.1')
      expect(asked).toEqual(['attacker'])
      // an honest copy at once: the attacker's fetch is still under way
      await gossip(copies[1]!, 'honest-1', 'ip4/192.0.2.1')
      expect(asked).toEqual(['attacker'])
      // later, the stamps still missing: the next sender is asked, by gossip or by sync
      clock.now += STAMP_ASK_RETRY
      await gossip(copies[2]!, 'honest-1', 'ip4/192.0.2.1')
      expect(asked).toEqual(['attacker', 'honest-1'])
      // the same group again is not asked again
      clock.now += STAMP_ASK_RETRY
      await gossip(copies[3]!, 'honest-1b', 'ip4/192.0.2.1')
      expect(asked).toEqual(['attacker', 'honest-1'])
      expect(await intake.ingest(TOPIC, copies[4]!, 'ip4/192.0.2.2', 'honest-2')).toBe('ignore')
      expect(asked).toEqual(['attacker', 'honest-1', 'honest-2'])
      // at most STAMP_ASK_GROUPS groups in all
      clock.now += STAMP_ASK_RETRY
      expect(await intake.ingest(TOPIC, copies[5]!, 'ip4/192.0.2.3', 'honest-3')).toBe('ignore')
      expect(asked).toHaveLength(STAMP_ASK_GROUPS)
    } finally {
      await store.close()
    }
  })

  it('never asks a later sender of a post it sent on in the stem: not the successor\'s group, nor a stem peer after the first, nor a gossip peer of another group', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, asked, clock } = askingIntake(store)
    try {
      const post = await ringPost(CHANNEL, 'by new members')
      const [first, back, gossip, other, later] = remined(post.bytes, post.id, BITS, 5)
      expect(await intake.judge(TOPIC, first!, 'ip4/192.0.2.1', 'predecessor')).toBe('accept')
      expect(asked).toEqual(['predecessor'])
      intake.forwarded(post.id, 'ip4/203.0.113.7')
      clock.now += STAMP_ASK_RETRY
      // the successor sends it back on the stem, and by gossip once it fluffed it
      expect(await intake.judge(TOPIC, back!, 'ip4/203.0.113.7', 'successor')).toBe('accept')
      const valid = await intake.verify(TOPIC, gossip!, 'gossip', 'ip4/203.0.113.7')
      if (!valid.ok) throw new Error(valid.code)
      intake.membership(valid, 'successor', { topic: TOPIC, envelope: gossip!, path: 'gossip', from: 'ip4/203.0.113.7' })
      expect(asked).toEqual(['predecessor'])
      // a stem peer of another group is not asked either, nor (RV13B M1) a gossip peer of another group, the
      // successor's colluder, however long after: an author, whose ring is stamped here, never asks anyone
      expect(await intake.judge(TOPIC, other!, 'ip4/192.0.2.9', 'stem-peer')).toBe('accept')
      expect(asked).toEqual(['predecessor'])
      clock.now += 100 * STAMP_ASK_RETRY
      const fromOther = await intake.verify(TOPIC, later!, 'gossip', 'ip4/192.0.2.9')
      // its ring refused before and its sender not to be asked: the refusal stands, unchecked
      if (fromOther.ok) intake.membership(fromOther, 'gossip-peer', { topic: TOPIC, envelope: later!, path: 'gossip', from: 'ip4/192.0.2.9' })
      else expect(fromOther.code).toBe('ERR_DUPLICATE')
      expect(asked).toEqual(['predecessor'])
    } finally {
      await store.close()
    }
  })

  it.each([
    ['', async () => {}],
    // sixth read, RV13C M1: the intake's caches flushed between the forward and the copy coming back, by
    // 4,096 cheap stem posts relayed through this node, or 65,536 ring posts judged by the membership rule
    [`, after ${STEM_SENDERS} other stem posts forwarded`, async (intake: PostIntake) => {
      for (let i = 0; i < STEM_SENDERS; i++) intake.forwarded(Uint8Array.from([i >> 8, i & 0xff, ...new Uint8Array(30)]), `ip4/198.51.100.${i & 0xff}`)
    }],
    [`, after ${RINGS_CHECKED} other ring posts judged`, async (intake: PostIntake, valid: ValidEnvelope) => {
      for (let i = 0; i < RINGS_CHECKED; i++) intake.membership({ ...valid, id: Uint8Array.from([i >> 16, (i >> 8) & 0xff, i & 0xff, ...new Uint8Array(29)]) })
    }]
  ] as Array<[string, (intake: PostIntake, valid: ValidEnvelope) => Promise<void>]>)('never asks an earlier successor either: one the post went to before a bounce or a lost connection%s', async (_, flush) => {
    // third read, M1: only the last successor's group was remembered, so the first one, sending the post
    // back by gossip later, was asked, and learned this node was not the author (whose ring is stamped here)
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, asked, clock } = askingIntake(store)
    try {
      const post = await ringPost(CHANNEL, 'by new members')
      const [first, gossip] = remined(post.bytes, post.id, BITS, 2)
      expect(await intake.judge(TOPIC, first!, 'ip4/192.0.2.1', 'predecessor')).toBe('accept')
      intake.forwarded(post.id, 'ip4/203.0.113.7')
      intake.forwarded(post.id, 'ip4/203.0.113.8')
      const judged = intake.validate(TOPIC, first!, 'stem')
      if (!judged.ok) throw new Error(judged.code)
      await flush(intake, judged)
      clock.now += STAMP_ASK_RETRY
      const valid = await intake.verify(TOPIC, gossip!, 'gossip', 'ip4/203.0.113.7')
      if (!valid.ok) throw new Error(valid.code)
      intake.membership(valid, 'first-successor', { topic: TOPIC, envelope: gossip!, path: 'gossip', from: 'ip4/203.0.113.7' })
      expect(asked).toEqual(['predecessor'])
    } finally {
      await store.close()
    }
  })

  it('charges a relayed post fluffed here to UNKNOWN_SENDER once its stem senders are forgotten, never to the node\'s own quota', async () => {
    // sixth read, RV13C L1: after a flush of the stem senders, accept() with no sender charged the node's own bucket
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake } = askingIntake(store)
    try {
      const post = await ringPost(CHANNEL, 'relayed, fluffed late')
      // judged as a stem hop judges it, its sender's group since pushed out of the bounded stem caches
      const valid = intake.validate(TOPIC, post.bytes, 'stem')
      if (!valid.ok) throw new Error(valid.code)
      const charged: Array<string | undefined> = []
      const put = store.put.bind(store)
      store.put = async (stored) => { charged.push(stored.from); return await put(stored) }
      expect(await intake.accept(post.bytes, valid)).toBe('stored')
      expect(charged).toEqual([UNKNOWN_SENDER])
    } finally {
      await store.close()
    }
  })
})
