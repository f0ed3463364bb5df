// Issue 13: a one-time-signed POST or REPLY (unverified: no member stamp behind it) needs
// UNVERIFIED_EXTRA_BITS of proof of work on top of its kind's base, so that it never costs less than a
// member's post over the smallest ring. Before, builders added the bits but validators did not ask for them:
// on the previous pow.ts a one-time post paying only the base was accepted ('ok' instead of ERR_POW_TOO_LOW).
import { describe, expect, it } from 'vitest'
import {
  buildEnvelope, channelTopic, compareBytes, decodeEnvelope, encodeEnvelope, generateAuthorKey, authBinding, contentDigest, leadingZeroBits, powDigest, powHash, postId, requiredPowBits,
  ringPowBits, validateEnvelope, DEFAULT_POW_BITS, ERROR_ACTIONS, MIN_MEMBER_RING, UNVERIFIED_EXTRA_BITS
} from '../src/index.js'
import type { BuildEnvelopeOptions, Envelope, PostKind, ValidationResult } from '../src/index.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const NOW = VECTOR_NOW
const parent = seededRandom('unverified-parent')(32)
const codeOf = (r: ValidationResult): string => r.ok ? 'ok' : r.code

/** The envelope with a nonce paying exactly `low..high-1` bits: what a stock peer that skipped the extra sends. */
function paying (bytes: Uint8Array, low: number, high: number): Uint8Array {
  const envelope: Envelope = decodeEnvelope(bytes)
  const digest = powDigest(postId(contentDigest(TOPIC, envelope.post), authBinding(envelope)), envelope)
  for (let nonce = 0n; ; nonce++) {
    const bits = leadingZeroBits(powHash(digest, nonce))
    if (bits >= low && bits < high) return encodeEnvelope({ ...envelope, pow: nonce })
  }
}

const oneTime = async (kind: PostKind, extra: Partial<BuildEnvelopeOptions> = {}): Promise<Uint8Array> => (await buildEnvelope({
  channel: '#lobby', kind, body: kind === 'VOTE' ? '' : 'x', created: NOW, ttl: 3600, powBits: 0, ...(kind === 'POST' ? {} : { parent }), ...(kind === 'VOTE' ? { vote: -1 } : {}), ...extra
})).bytes

describe('unverified posts carry more proof of work', () => {
  it('is the ring term of the smallest member ring, for one-time POST and REPLY only', () => {
    expect(UNVERIFIED_EXTRA_BITS).toBe(ringPowBits('POST', MIN_MEMBER_RING))
    expect(UNVERIFIED_EXTRA_BITS).toBe(ringPowBits('REPLY', MIN_MEMBER_RING))
    expect(requiredPowBits('POST', 0)).toBe(DEFAULT_POW_BITS.POST + UNVERIFIED_EXTRA_BITS)
    expect(requiredPowBits('REPLY', 0, { REPLY: 6 })).toBe(6 + UNVERIFIED_EXTRA_BITS)
    expect(requiredPowBits('VOTE', 0)).toBe(DEFAULT_POW_BITS.VOTE)
    expect(requiredPowBits('POST', 16)).toBe(DEFAULT_POW_BITS.POST + ringPowBits('POST', 16))
  })

  it('a one-time POST or REPLY paying only the base is refused as unpaid (ERR_POW_TOO_LOW, Reject); base + extra is accepted', async () => {
    for (const kind of ['POST', 'REPLY'] as const) {
      const bytes = await oneTime(kind)
      // at the protocol's default base: only the base paid is below the floor
      const base = DEFAULT_POW_BITS[kind]
      const check = (b: Uint8Array): string => codeOf(validateEnvelope(b, { topic: TOPIC, now: NOW }))
      expect(check(paying(bytes, base, base + UNVERIFIED_EXTRA_BITS)), kind).toBe('ERR_POW_TOO_LOW')
      expect(check(paying(bytes, base + UNVERIFIED_EXTRA_BITS, 256)), kind).toBe('ok')
      // a node configured below the default (a test network) lowers the floor as much, the extra stays
      const low = { POST: 4, REPLY: 4, VOTE: 4 }
      const lowCheck = (b: Uint8Array): string => codeOf(validateEnvelope(b, { topic: TOPIC, now: NOW, powBits: low }))
      expect(lowCheck(paying(bytes, 4, 4 + UNVERIFIED_EXTRA_BITS)), kind).toBe('ERR_POW_TOO_LOW')
      expect(lowCheck(paying(bytes, 4 + UNVERIFIED_EXTRA_BITS, 256)), kind).toBe('ok')
    }
    expect(ERROR_ACTIONS.ERR_POW_TOO_LOW).toBe('reject')
  })

  it('a one-time VOTE needs no extra (it counts for nothing); the builder mines the extra by itself', async () => {
    const vote = await oneTime('VOTE')
    expect(codeOf(validateEnvelope(paying(vote, DEFAULT_POW_BITS.VOTE, DEFAULT_POW_BITS.VOTE + 1), { topic: TOPIC, now: NOW }))).toBe('ok')
    const built = await oneTime('POST', { powBits: 4 })
    const envelope = decodeEnvelope(built)
    expect(leadingZeroBits(powHash(powDigest(postId(contentDigest(TOPIC, envelope.post), authBinding(envelope)), envelope), envelope.pow))).toBeGreaterThanOrEqual(4 + UNVERIFIED_EXTRA_BITS)
    expect(codeOf(validateEnvelope(built, { topic: TOPIC, now: NOW, powBits: { POST: 4, REPLY: 4, VOTE: 4 } }))).toBe('ok')
  })

  it('a ring-signed post pays its ring term instead, not the extra', async () => {
    const members = Array.from({ length: 4 }, (_, i) => generateAuthorKey(seededRandom(`unverified-${i}`)))
    const ring = members.map((m) => m.publicKey).sort(compareBytes)
    const bytes = await oneTime('POST', { auth: { kind: 'ring', ring, secretKey: members[0]!.secretKey, slot: 0, weekSlot: 0 } })
    const need = requiredPowBits('POST', 4, { POST: 0 })
    expect(need).toBe(ringPowBits('POST', 4))
    expect(codeOf(validateEnvelope(paying(bytes, need, 256), { topic: TOPIC, now: NOW, powBits: { POST: 0, REPLY: 0, VOTE: 0 } }))).toBe('ok')
  })
})
