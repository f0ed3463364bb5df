/**
 * Second read of issue 12, H1: the signature memo was keyed by what the proof of work hashes (powDigest),
 * which like the post id hashes the ring's c0 and responses without lengths. A byte moved from c0 to the
 * front of s[0] kept the id and the key, was refused ERR_BAD_RING before its proof of work was checked (free
 * to make), and its verdict overwrote the genuine post's: every later copy of the genuine post refused, its
 * honest forwarders penalised. The memo is now keyed by the envelope's bytes with the nonce zero.
 */
import { channelTopic, decodeEnvelope, encodeEnvelope, postIdOf, ready, requiredPowBits, toHex } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import { countingIntake, remined, ringPost } from './remined-fixtures.js'

const CHANNEL = '#memo-poison'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const RING = 4
const BITS = requiredPowBits('POST', RING, POW)
const ATTACKER = 'ip4/198.51.100.1'
const HONEST = 'ip4/192.0.2.1'

/** The attack: the last byte of c0 moved to the front of s[0], no proof of work: the same post id. */
function shifted (bytes: Uint8Array): Uint8Array {
  const envelope = decodeEnvelope(bytes)
  const ring = envelope.ring!
  const c0 = ring.c0
  return encodeEnvelope({ ...envelope, pow: 0n, ring: { ...ring, c0: c0.slice(0, 31), s: [new Uint8Array([c0[31]!, ...ring.s[0]!]), ...ring.s.slice(1)] } })
}

/**
 * Third read, H1: a junk ring field (65 empty members) in front of the genuine bytes. protons keeps the last
 * ring, so a decode without limits reads the genuine post (its id); the validator's limits refuse the first
 * ring (ERR_BAD_RING) before the proof of work. Free to make.
 */
function duplicatedRing (bytes: Uint8Array): Uint8Array {
  const junk = new Uint8Array(130)
  for (let i = 0; i < junk.length; i += 2) junk[i] = 0x0a // RingAuth.ring (field 1), an empty member
  return new Uint8Array([0x1a, 0x82, 0x01, ...junk, ...bytes]) // Envelope.ring (field 3), 130 bytes
}

/**
 * Fourth read, H1: junk ring fields each at the limits (64 members, 3 tags, 64 responses, all empty) in front
 * of a stored post, and a varying unknown field so that each copy has a new gossip id. A decode keeps the
 * last ring, so the copy had the stored post's id: ignored as a duplicate (no penalty) after milliseconds
 * of decoding each. Free to make.
 */
function stuffed (bytes: Uint8Array, variant: number): Uint8Array {
  const inner: number[] = []
  for (let i = 0; i < 64; i++) inner.push(0x0a, 0) // RingAuth.ring
  for (let i = 0; i < 3; i++) inner.push(0x22, 0) // RingAuth.tags
  for (let i = 0; i < 64; i++) inner.push(0x1a, 0) // RingAuth.s
  const field = [0x1a, 0x86, 0x02, ...inner] // Envelope.ring, 262 bytes
  const copies = Math.floor((8_000 - bytes.length) / field.length)
  return new Uint8Array([0x28, variant + 1, ...Array.from({ length: copies }, () => field).flat(), ...bytes]) // field 5: unknown
}

describe('a copy stuffed with junk ring fields of a stored post', () => {
  beforeAll(async () => { await ready() })

  it('has no post id, so it is refused (Reject: its sender penalised) on gossip, the stem and history sync', async () => {
    const post = await ringPost(CHANNEL, 'stored')
    expect(postIdOf(TOPIC, stuffed(post.bytes, 0))).toBeUndefined()
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake } = countingIntake(store, POW)
    try {
      const valid = await intake.verify(TOPIC, post.bytes, 'gossip', HONEST)
      if (!valid.ok) throw new Error(valid.code)
      await intake.receiveGossip(post.bytes, valid, HONEST)
      expect(await store.has(post.id)).toBe(true)
      expect(await intake.verify(TOPIC, stuffed(post.bytes, 1), 'gossip', ATTACKER)).toMatchObject({ ok: false, code: 'ERR_NOT_CANONICAL' })
      expect(await intake.judge(TOPIC, stuffed(post.bytes, 2), ATTACKER, 'attacker')).toBe('reject')
      expect(await intake.ingest(TOPIC, stuffed(post.bytes, 3), ATTACKER)).toBe('reject')
    } finally {
      await store.close()
    }
  })
})

describe('a forged copy with the same post id and proof-of-work digest', () => {
  beforeAll(async () => { await ready() })

  it('is refused, and the genuine post is taken afterwards by gossip, the stem and history sync', async () => {
    const post = await ringPost(CHANNEL, 'genuine')
    const forgeries = [shifted(post.bytes), duplicatedRing(post.bytes)]
    expect(toHex(postIdOf(TOPIC, forgeries[0]!)!)).toBe(toHex(post.id))
    for (const forged of forgeries) for (const path of ['gossip', 'stem', 'sync'] as const) {
      const store = createPostStore({ db: await openDatabase(undefined) })
      const { intake } = countingIntake(store, POW)
      try {
        if (path === 'gossip') {
          // refused as a Reject (ERR_BAD_RING, or ERR_NOT_CANONICAL for the duplicated ring)
          expect(await intake.verify(TOPIC, forged, 'gossip', ATTACKER)).toMatchObject({ ok: false, code: expect.stringMatching(/^ERR_(BAD_RING|NOT_CANONICAL)$/) })
          expect(await intake.verify(TOPIC, post.bytes, 'gossip', HONEST)).toMatchObject({ ok: true, id: post.id })
        } else if (path === 'stem') {
          expect(await intake.judge(TOPIC, forged, ATTACKER, 'attacker')).toBe('reject')
          expect(await intake.judge(TOPIC, post.bytes, HONEST, 'honest')).toBe('accept')
        } else {
          expect(await intake.ingest(TOPIC, forged, ATTACKER)).toBe('reject')
          expect(await intake.ingest(TOPIC, post.bytes, HONEST)).toBe('accept')
        }
      } finally {
        await store.close()
      }
    }
  })

  it('after the genuine post was verified leaves its verdict: a re-mined copy is taken, its signature not checked again', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, checks } = countingIntake(store, POW)
    try {
      const post = await ringPost(CHANNEL, 'verified first')
      expect(await intake.verify(TOPIC, post.bytes, 'gossip', HONEST)).toMatchObject({ ok: true })
      expect(await intake.verify(TOPIC, shifted(post.bytes), 'gossip', ATTACKER)).toMatchObject({ ok: false, code: 'ERR_BAD_RING' })
      const [stem, gossip] = remined(post.bytes, post.id, BITS, 2)
      expect(await intake.judge(TOPIC, stem!, HONEST, 'honest')).toBe('accept')
      expect(await intake.verify(TOPIC, gossip!, 'gossip', HONEST)).toMatchObject({ ok: true, id: post.id })
      expect(checks()).toBe(1)
    } finally {
      await store.close()
    }
  })
})
