// Medium 12 (issue 12), protocol part: `created` on a 60 s grid (builders round and jitter it, validators
// refuse anything off the grid), and Posts padded to a few size buckets (validators refuse any other
// padding). On v1 `created` was exact to the second and sizes followed the body byte for byte.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  authBinding, buildEnvelope, channelTopic, circleChannel, compareBytes, contentDigest, decodeEnvelope, decodePost, encodePost,
  generateAuthorKey, oneTimeKey, padPost, paddingLength, postId, signOneTime, validateEnvelope, CREATED_GRANULARITY, MAX_BODY_BYTES, MAX_TTL, MIN_TTL, POST_SIZE_BUCKETS, Post, UNVERIFIED_EXTRA_BITS
} from '../src/index.js'
import type { ValidationResult } from '../src/index.js'
import { remine, seededRandom, VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const NOW = VECTOR_NOW
const codeOf = (r: ValidationResult): string => r.ok ? 'ok' : r.code
const check = (bytes: Uint8Array, now = NOW): ValidationResult => validateEnvelope(bytes, { topic: TOPIC, now, powBits: { POST: 0, REPLY: 0, VOTE: 0 } })

/** Signs arbitrary Post bytes (padded or not) with a one-time key, with the unverified extra bits of proof of work only. */
function signRaw (postBytes: Uint8Array): Uint8Array {
  const key = oneTimeKey()
  const id = postId(contentDigest(TOPIC, postBytes), authBinding({ oneTime: key }))
  return remine({ post: postBytes as Uint8Array<ArrayBuffer>, oneTime: { publicKey: key.publicKey as Uint8Array<ArrayBuffer>, signature: signOneTime(id, key.secretKey) as Uint8Array<ArrayBuffer> }, pow: 0n }, TOPIC, UNVERIFIED_EXTRA_BITS)
}

const bodyArb = fc.string({ unit: 'grapheme', maxLength: 700 }).filter((s) => new TextEncoder().encode(s).byteLength <= MAX_BODY_BYTES)
const kindArb = fc.constantFrom('POST', 'REPLY', 'VOTE') as fc.Arbitrary<'POST' | 'REPLY' | 'VOTE'>
const channelArb = fc.constantFrom('#lobby', '#a', '#' + 'x'.repeat(63), 'geo:u4pruyd')

describe('created is coarse', () => {
  it('builders put created on the minute grid, jittered backwards by up to a minute, never ahead of now', async () => {
    for (let i = 0; i < 30; i++) {
      const before = Math.floor(Date.now() / 1000)
      const { post } = await buildEnvelope({ channel: '#lobby', body: 'when?', powBits: 0 })
      const created = Number(post.created)
      expect(created % CREATED_GRANULARITY).toBe(0)
      expect(created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
      expect(created).toBeGreaterThan(before - 2 * CREATED_GRANULARITY)
    }
    // a ttl the network refuses is refused, not looped on
    await expect(buildEnvelope({ channel: '#lobby', body: 'x', ttl: Number.NaN, powBits: 0 })).rejects.toMatchObject({ code: 'ERR_BAD_FIELD' })
    // an explicit created is rounded down to the grid
    const { post } = await buildEnvelope({ channel: '#lobby', body: 'x', created: NOW + 59, powBits: 0 })
    expect(post.created).toBe(BigInt(NOW))
  })

  it('builders jitter and round from an injected now (unix seconds) as from the wall clock; an explicit created wins', async () => {
    const now = NOW + 30.7 // a clock read in milliseconds, divided
    const seen = new Set<number>()
    for (let i = 0; i < 30; i++) {
      const created = Number((await buildEnvelope({ channel: '#lobby', body: 'then', now, powBits: 0 })).post.created)
      expect(created % CREATED_GRANULARITY).toBe(0)
      expect(created).toBeLessThanOrEqual(now)
      expect(created).toBeGreaterThanOrEqual(NOW - CREATED_GRANULARITY)
      seen.add(created)
    }
    // 30 s into the minute: the jitter reaches back into the previous one about half the time
    expect([...seen].sort()).toEqual([NOW - CREATED_GRANULARITY, NOW])
    expect((await buildEnvelope({ channel: '#lobby', body: 'x', created: NOW - 600, now, powBits: 0 })).post.created).toBe(BigInt(NOW - 600))
    await expect(buildEnvelope({ channel: '#lobby', body: 'x', now: Number.NaN, powBits: 0 })).rejects.toMatchObject({ code: 'ERR_BAD_FIELD' })
  })

  it('validators refuse a created that is not on the grid (ERR_BAD_CREATED, Reject)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 59 }), (offset) => {
      const post = padPost({ channel: '#lobby', kind: Post.Kind.POST, parent: new Uint8Array(0), body: 'x', vote: 0, created: BigInt(NOW - 120 + offset), ttl: 3600, padding: new Uint8Array(0), salt: new Uint8Array(16).fill(5), thread: new Uint8Array(0) })
      expect(codeOf(check(signRaw(encodePost(post))))).toBe('ERR_BAD_CREATED')
    }), { numRuns: 59 })
  })
})

describe('Posts are padded to size buckets', () => {
  it('every built Post encodes to exactly one of the buckets, and validates', async () => {
    await fc.assert(fc.asyncProperty(bodyArb, kindArb, channelArb, fc.integer({ min: MIN_TTL, max: MAX_TTL }), async (body, kind, channel, ttl) => {
      const vote = kind === 'VOTE'
      const built = await buildEnvelope({
        channel, kind, body: vote ? '' : body, vote: vote ? 1 : undefined, parent: kind === 'POST' ? undefined : new Uint8Array(32).fill(7), created: NOW, ttl, powBits: 0
      })
      const envelope = decodeEnvelope(built.bytes)
      expect(POST_SIZE_BUCKETS).toContain(envelope.post.byteLength)
      expect(decodePost(envelope.post).padding.every((b) => b === 0)).toBe(true)
      expect(validateEnvelope(built.bytes, { topic: channelTopic(channel), now: NOW, powBits: { POST: 0, REPLY: 0, VOTE: 0 } })).toMatchObject({ ok: true })
    }), { numRuns: 150 })
  })

  const largest: Post = { channel: '#' + 'x'.repeat(63), kind: Post.Kind.REPLY, parent: new Uint8Array(32).fill(1), body: 'é'.repeat(1024), vote: 0, created: BigInt(2 ** 53 - 60), ttl: 604_800, padding: new Uint8Array(0), salt: new Uint8Array(16).fill(5), thread: new Uint8Array(32).fill(2) }

  it('the largest possible Post fits the largest bucket', () => {
    expect(encodePost(padPost(largest)).byteLength).toBe(POST_SIZE_BUCKETS.at(-1))
  })

  it('a gap that one protobuf field cannot fill goes to the next bucket', () => {
    for (let unpadded = 1; unpadded <= encodePost(largest).byteLength; unpadded++) {
      const length = paddingLength(unpadded)
      const total = unpadded + (length === 0 ? 0 : 1 + (length < 128 ? 1 : 2) + length)
      expect(POST_SIZE_BUCKETS, `unpadded ${unpadded}`).toContain(total)
    }
  })

  it('circle posts are sealed at a bucket size plus the nonce and tag', async () => {
    const circleKey = seededRandom('pad-circle')(32)
    const member = generateAuthorKey(seededRandom('pad-member'))
    const sizes = new Set<number>()
    for (const body of ['a', 'b'.repeat(300), 'c'.repeat(900)]) {
      const built = await buildEnvelope({ channel: circleChannel(circleKey), body, created: NOW, powBits: 0, circleKey, auth: { kind: 'ring', ring: [member.publicKey].sort(compareBytes), secretKey: member.secretKey, sequence: { epoch: 0, week: 0 } } })
      sizes.add(decodeEnvelope(built.bytes).post.byteLength - 40)
    }
    expect([...sizes].every((s) => POST_SIZE_BUCKETS.includes(s))).toBe(true)
  })

  it('validators refuse missing, short, long or non-zero padding (ERR_BAD_PADDING, Reject)', () => {
    fc.assert(fc.property(bodyArb, fc.integer({ min: -3, max: 3 }), fc.nat(), (body, delta, at) => {
      const padded = padPost({ channel: '#lobby', kind: Post.Kind.POST, parent: new Uint8Array(0), body, vote: 0, created: BigInt(NOW), ttl: 3600, padding: new Uint8Array(0), salt: new Uint8Array(16).fill(5), thread: new Uint8Array(0) })
      expect(codeOf(check(signRaw(encodePost(padded))))).toBe('ok')
      const length = padded.padding.byteLength + delta
      if (delta !== 0 && length >= 0) {
        expect(codeOf(check(signRaw(encodePost({ ...padded, padding: new Uint8Array(length) }))))).toBe('ERR_BAD_PADDING')
      }
      if (padded.padding.byteLength > 0) {
        const dirty = Uint8Array.from(padded.padding)
        dirty[at % dirty.byteLength] = 1 + (at % 255)
        expect(codeOf(check(signRaw(encodePost({ ...padded, padding: dirty }))))).toBe('ERR_BAD_PADDING')
      }
    }), { numRuns: 300 })
  })
})
