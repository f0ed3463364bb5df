/**
 * Final review of issue 12, Medium (item 2): a stamp fetch told a stem successor "not the author". V builds
 * its own post's ring from members it knows, so its own post never makes it ask for stamps; a post it only
 * relays may name a member unknown here. When the successor A sent such a post back (a re-mined nonce on the
 * stem, or by gossip once it fluffed it), V asked A for the missing stamps: a certain answer. Missing stamps
 * are now asked of the first peer that brought a post only: the bouncer is asked as often (never) for an own
 * post as for a relayed one.
 */
import { buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ready, requiredPowBits, toHex } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import { remined } from './remined-fixtures.js'
import type { AuthorKey, BuiltEnvelope, RingMembership } from '@murmur/protocol'

const CHANNEL = '#bounce-stamps'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const BITS = requiredPowBits('POST', 4, POW)
const PREDECESSOR = 'predecessor-peer'
const BOUNCER = 'bouncer-peer'

/** A ring post signed by `signer` over it and `others`. */
async function ringPost (signer: AuthorKey, others: AuthorKey[]): Promise<BuiltEnvelope> {
  const ring = [signer, ...others].map((key) => key.publicKey).sort(compareBytes)
  return await buildEnvelope({ channel: CHANNEL, body: 'a post', powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: signer.secretKey, slot: 0, weekSlot: 0 } })
}

describe('stamps asked after a bounce', () => {
  beforeAll(async () => { await ready() })

  it('the successor sending a post back (stem or gossip) is asked for stamps for neither an own post nor a relayed one', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    // the directory here: these members are stamped; a ring naming anyone else misses them, asked of `from`
    const known = Array.from({ length: 4 }, () => generateAuthorKey())
    const stamped = new Set(known.map((key) => toHex(key.publicKey)))
    const asked: string[] = []
    const checkRing = (ring: Uint8Array[], _created: number, from?: string): RingMembership => {
      const missing = ring.filter((member) => !stamped.has(toHex(member)))
      if (missing.length === 0) return { ok: true }
      if (from !== undefined) asked.push(from)
      return { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown members', missing }
    }
    const intake = new PostIntake({ store, powBits: POW, announce: () => {}, checkRing })
    try {
      // the bouncer's two ways back: a re-mined copy on the stem, and a gossip copy once it fluffed the post
      const bounce = async (post: BuiltEnvelope): Promise<number> => {
        const before = asked.filter((peer) => peer === BOUNCER).length
        const [stem, gossip] = remined(post.bytes, post.id, BITS, 2)
        expect(await intake.judge(TOPIC, stem!, 'ip4/192.0.2.2', BOUNCER)).toBe('accept')
        const valid = await intake.verify(TOPIC, gossip!, 'gossip', 'ip4/192.0.2.2')
        if (!valid.ok) throw new Error(valid.code)
        intake.membership(valid, BOUNCER, { topic: TOPIC, envelope: gossip!, path: 'gossip', from: 'ip4/192.0.2.2' })
        return asked.filter((peer) => peer === BOUNCER).length - before
      }

      // V's own post, over members it knows: checked as OwnPosts checks it when it is made
      const own = await ringPost(known[0]!, known.slice(1))
      const made = intake.validate(TOPIC, own.bytes, 'own')
      if (!made.ok) throw new Error(made.code)
      expect(intake.membership(made)).toBeUndefined()
      const ownAsks = await bounce(own)

      // a relayed post naming a member unknown here: its predecessor is asked, once
      const relayed = await ringPost(generateAuthorKey(), known.slice(0, 3))
      expect(await intake.judge(TOPIC, relayed.bytes, 'ip4/192.0.2.1', PREDECESSOR)).toBe('accept')
      expect(asked).toEqual([PREDECESSOR])
      const relayedAsks = await bounce(relayed)

      expect(relayedAsks).toBe(ownAsks)
      expect(relayedAsks).toBe(0)
    } finally {
      await store.close()
    }
  })
})
