/**
 * Second read of issue 12, M2: only a post's first sender was asked for the stamps of ring members unknown
 * here. An attacker that delivers a valid copy first and never answers (or whose fetch budget ran out) kept
 * everyone else from being asked: a post by a new member waited for the directory's own sync. A later sender
 * by gossip or sync, of another address group, is now asked once STAMP_ASK_RETRY passed and the stamps are
 * still missing, up to STAMP_ASK_GROUPS groups; never the group this node sent the post to in the stem.
 */
import { channelTopic, ready, requiredPowBits } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { STAMP_ASK_GROUPS, STAMP_ASK_RETRY } from '../src/intake.js'
import { TEST_POW_BITS } from './harness.js'
import { remined, ringPost } from './remined-fixtures.js'
import type { PostStore } from '../src/internal.js'
import type { RingMembership } from '@murmur/protocol'

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

  it('never asks the group this node sent the post to in the stem, nor a stem peer after the first', async () => {
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
      // a stem peer of another group is not asked either; a gossip peer of another group is
      expect(await intake.judge(TOPIC, other!, 'ip4/192.0.2.9', 'stem-peer')).toBe('accept')
      expect(asked).toEqual(['predecessor'])
      const fromOther = await intake.verify(TOPIC, later!, 'gossip', 'ip4/192.0.2.9')
      if (!fromOther.ok) throw new Error(fromOther.code)
      intake.membership(fromOther, 'gossip-peer', { topic: TOPIC, envelope: later!, path: 'gossip', from: 'ip4/192.0.2.9' })
      expect(asked).toEqual(['predecessor', 'gossip-peer'])
    } finally {
      await store.close()
    }
  })

  it('never asks an earlier successor either: one the post went to before a bounce or a lost connection', async () => {
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
      clock.now += STAMP_ASK_RETRY
      const valid = await intake.verify(TOPIC, gossip!, 'gossip', 'ip4/203.0.113.7')
      if (!valid.ok) throw new Error(valid.code)
      intake.membership(valid, 'first-successor', { topic: TOPIC, envelope: gossip!, path: 'gossip', from: 'ip4/203.0.113.7' })
      expect(asked).toEqual(['predecessor'])
    } finally {
      await store.close()
    }
  })
})
