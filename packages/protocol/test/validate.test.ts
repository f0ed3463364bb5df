import { describe, expect, it } from 'vitest'
import {
  buildEnvelope, channelTopic, circleChannel, compareBytes, decodeEnvelope, encodeEnvelope, encodePost, generateAuthorKey,
  oneTimeKey, ringSign, signOneTime, validateEnvelope, Post, ERROR_ACTIONS, MAX_TTL, MIN_TTL, postScope, weekScope, isExpired, pseudonymSeed, padPost,
  contentDigest, authBinding, postId, requiredPowBits, leadingZeroBits, powHash, powDigest, UNVERIFIED_EXTRA_BITS
} from '../src/index.js'
import { powFloorBits } from '../src/pow.js'
import type { BuildEnvelopeOptions, ValidationResult } from '../src/index.js'
import { remine, seededRandom, VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const NOW = VECTOR_NOW
const members = Array.from({ length: 4 }, (_, i) => generateAuthorKey(seededRandom(`validate-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const parent = seededRandom('parent')(32)

const build = async (extra: Partial<BuildEnvelopeOptions> = {}): Promise<Uint8Array> =>
  (await buildEnvelope({ channel: '#lobby', body: 'hello', created: NOW, ttl: 3600, powBits: 16, auth: { kind: 'one-time', seed: seededRandom('v')(32) }, ...extra })).bytes
const check = (bytes: Uint8Array, extra: object = {}): ValidationResult => validateEnvelope(bytes, { topic: TOPIC, now: NOW, ...extra })
const codeOf = (r: ValidationResult): string => r.ok ? 'ok' : r.code

describe('validateEnvelope', () => {
  it('accepts valid one-time and ring envelopes of every kind', async () => {
    expect(check(await build())).toMatchObject({ ok: true })
    expect(check(await build({ kind: 'REPLY', parent }))).toMatchObject({ ok: true })
    expect(check(await build({ kind: 'VOTE', parent, vote: 1, body: '', powBits: 12 }))).toMatchObject({ ok: true })
    const ringAuth = { kind: 'ring' as const, ring, secretKey: members[1]!.secretKey, slot: 4, weekSlot: 0 }
    const r = check(await build({ auth: ringAuth }))
    expect(r.ok && r.auth.kind === 'ring' && r.auth.slot).toBe(4)
    expect(check(await build({ kind: 'VOTE', parent, vote: -1, body: '', powBits: 12, auth: ringAuth }))).toMatchObject({ ok: true })
  })

  it('signs with the key of a seed derived from the content digest when the seed is a function', async () => {
    const secret = members[0]!.secretKey
    const built = await buildEnvelope({ channel: '#lobby', body: 'first of a thread', created: NOW, powBits: 4, auth: { kind: 'one-time', seed: (content) => pseudonymSeed(secret, content) } })
    const envelope = decodeEnvelope(built.bytes)
    expect(envelope.oneTime?.publicKey).toEqual(oneTimeKey(pseudonymSeed(secret, contentDigest(TOPIC, envelope.post))).publicKey)
    expect(check(built.bytes, { powBits: { POST: 4, REPLY: 4, VOTE: 4 } })).toMatchObject({ ok: true })
  })

  it('maps time-window failures to Ignore codes', async () => {
    const bytes = await build()
    // expired from the second created + ttl on, as the store counts it; up to 2 x MAX_CLOCK_SKEW ahead accepted
    expect(codeOf(check(bytes, { now: NOW + 3599 }))).toBe('ok')
    expect(codeOf(check(bytes, { now: NOW + 3600 }))).toBe('ERR_EXPIRED')
    expect(codeOf(check(bytes, { now: NOW - 240 }))).toBe('ok')
    expect(codeOf(check(bytes, { now: NOW - 241 }))).toBe('ERR_TOO_EARLY')
    expect(ERROR_ACTIONS.ERR_EXPIRED).toBe('ignore')
    expect(ERROR_ACTIONS.ERR_TOO_EARLY).toBe('ignore')
    // the same boundary, exported for callers that hold a validated post
    const post = { created: BigInt(NOW), ttl: 3600 }
    expect(isExpired(post, BigInt(NOW + 3599))).toBe(false)
    expect(isExpired(post, BigInt(NOW + 3600))).toBe(true)
  })

  it('rejects wrong topic, low PoW and bad signatures', async () => {
    const bytes = await build()
    expect(codeOf(validateEnvelope(bytes, { topic: channelTopic('#other'), now: NOW }))).toBe('ERR_WRONG_TOPIC')
    expect(codeOf(check(bytes, { powBits: { POST: 30 }, powFloor: { POST: 30 } }))).toBe('ERR_POW_TOO_LOW')
    const env = decodeEnvelope(bytes)
    env.oneTime!.signature = signOneTime(new Uint8Array(32), oneTimeKey().secretKey) as Uint8Array<ArrayBuffer>
    // a changed signature voids the proof of work (it covers the signature); paid again, it reaches the check
    expect(codeOf(check(encodeEnvelope(env)))).toBe('ERR_POW_TOO_LOW')
    expect(codeOf(check(remine(env, TOPIC, requiredPowBits('POST', 0, { POST: 0 })), { powBits: { POST: 0 } }))).toBe('ERR_BAD_SIGNATURE')
  })

  it('tells proof of work below the protocol floor (Reject) from proof of work below only a stricter local setting (Ignore)', async () => {
    const paidBy = (bytes: Uint8Array): number => {
      const valid = check(bytes, { powBits: { POST: 0 } })
      if (!valid.ok) throw new Error(valid.code)
      const env = decodeEnvelope(bytes)
      return leadingZeroBits(powHash(powDigest(valid.id, env), env.pow))
    }
    const bytes = await build()
    // the base it paid for: a one-time POST pays UNVERIFIED_EXTRA_BITS on top
    const paid = paidBy(bytes) - UNVERIFIED_EXTRA_BITS
    expect(paid).toBeGreaterThanOrEqual(16)
    // at or above the default floor of 16 bits: a stricter node only drops it, its forwarder is honest
    expect(codeOf(check(bytes, { powBits: { POST: paid + 1 } }))).toBe('ERR_POW_POLICY')
    expect(ERROR_ACTIONS.ERR_POW_POLICY).toBe('ignore')
    expect(ERROR_ACTIONS.ERR_POW_TOO_LOW).toBe('reject')
    // an explicit floor above what it paid: unpaid
    expect(codeOf(check(bytes, { powBits: { POST: paid + 2 }, powFloor: { POST: paid + 1 } }))).toBe('ERR_POW_TOO_LOW')
    // a floor is never above the setting
    expect(codeOf(check(bytes, { powBits: { POST: paid }, powFloor: { POST: 60 } }))).toBe('ok')
    // a node set below the default (a test network): its own setting is the floor
    const low = await build({ powBits: 0 })
    const lowPaid = paidBy(low) - UNVERIFIED_EXTRA_BITS
    expect(lowPaid).toBeLessThan(11)
    expect(codeOf(check(low, { powBits: { POST: lowPaid + 1 } }))).toBe('ERR_POW_TOO_LOW')
    // the floor per kind: the protocol's default, or the node's own setting where lower
    expect(powFloorBits({ POST: 20, VOTE: 4 })).toEqual({ POST: 16, REPLY: 16, VOTE: 4 })
  })

  it('rejects envelopes with both or neither auth', async () => {
    const env = decodeEnvelope(await build())
    const both = { ...env, ring: { ring: [], c0: new Uint8Array(32), s: [], tags: [new Uint8Array(32)], epoch: 0n, slot: 0, weekSlot: 0 } }
    expect(codeOf(check(encodeEnvelope(both)))).toBe('ERR_BAD_AUTH')
    expect(codeOf(check(encodeEnvelope({ post: env.post, pow: env.pow })))).toBe('ERR_BAD_AUTH')
  })

  it('rejects field-limit violations', async () => {
    const sign = (post: Post): Uint8Array => {
      const bytes = encodePost(padPost(post))
      const key = oneTimeKey()
      const id = postId(contentDigest(TOPIC, bytes), authBinding({ oneTime: key }))
      return encodeEnvelope({ post: bytes as Uint8Array<ArrayBuffer>, oneTime: { publicKey: key.publicKey as Uint8Array<ArrayBuffer>, signature: signOneTime(id, key.secretKey) as Uint8Array<ArrayBuffer> }, pow: 0n })
    }
    const base: Post = { channel: '#lobby', kind: Post.Kind.POST, parent: new Uint8Array(0), body: 'x', vote: 0, created: BigInt(NOW), ttl: 3600, padding: new Uint8Array(0), salt: new Uint8Array(16).fill(5), thread: new Uint8Array(0) }
    expect(codeOf(check(sign({ ...base, body: 'x'.repeat(2049) })))).toBe('ERR_BODY_TOO_LONG')
    expect(codeOf(check(sign({ ...base, ttl: MIN_TTL - 1 })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(sign({ ...base, ttl: MAX_TTL + 1 })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(sign({ ...base, parent: new Uint8Array(32) })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(sign({ ...base, vote: 1 })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(sign({ ...base, kind: Post.Kind.REPLY })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(sign({ ...base, kind: Post.Kind.VOTE, parent: new Uint8Array(32) as Uint8Array<ArrayBuffer>, body: '', vote: 2 })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(sign({ ...base, channel: 'no-hash' })))).toBe('ERR_BAD_CHANNEL')
  })

  it('rejects a ring epoch or slot that does not match the post', async () => {
    const bytes = await build({ auth: { kind: 'ring', ring, secretKey: members[0]!.secretKey, slot: 9, weekSlot: 5 } })
    const env = decodeEnvelope(bytes)
    expect(codeOf(check(encodeEnvelope({ ...env, ring: { ...env.ring!, epoch: env.ring!.epoch + 1n } })))).toBe('ERR_BAD_SCOPE')
    expect(codeOf(check(encodeEnvelope({ ...env, ring: { ...env.ring!, slot: 10 } })))).toBe('ERR_BAD_SCOPE')
    expect(codeOf(check(encodeEnvelope({ ...env, ring: { ...env.ring!, weekSlot: 256 } })))).toBe('ERR_BAD_SCOPE')
    expect(codeOf(check(encodeEnvelope({ ...env, ring: { ...env.ring!, tags: env.ring!.tags.slice(0, 1) } })))).toBe('ERR_BAD_SCOPE')
    // a valid signature for another slot's scopes does not pass as this slot (the id binds the slots, so
    // it is signed over the id this envelope claims)
    const id = postId(contentDigest(TOPIC, env.post), authBinding(env))
    const other = ringSign({ message: id, ring, secretKey: members[0]!.secretKey, scopes: [postScope(TOPIC, env.ring!.epoch, 3), weekScope(TOPIC, BigInt(NOW) / 604800n, 5)] })
    const resigned = { ...env, ring: { ...env.ring!, c0: other.c0, s: other.s } as never }
    expect(codeOf(check(remine(resigned, TOPIC, requiredPowBits('POST', ring.length, { POST: 0 })), { powBits: { POST: 0 } }))).toBe('ERR_BAD_SIGNATURE')
    await expect(build({ auth: { kind: 'ring', ring, secretKey: members[0]!.secretKey, slot: 10, weekSlot: 0 } })).rejects.toMatchObject({ code: 'ERR_BAD_SCOPE' })
  })

  it('flipping any bit of a signed one-time envelope makes it invalid', async () => {
    const bytes = await build()
    for (let bit = 0; bit < bytes.byteLength * 8; bit++) {
      const flipped = Uint8Array.from(bytes)
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      expect(check(flipped).ok, `bit ${bit}`).toBe(false)
    }
  })

  it('flipping any bit of a signed ring envelope makes it invalid', async () => {
    const bytes = await build({ auth: { kind: 'ring', ring: ring.slice(0, 2), secretKey: members.find((m) => compareBytes(m.publicKey, ring[0]!) === 0)!.secretKey, sequence: { epoch: 0, week: 0 } } })
    for (let bit = 0; bit < bytes.byteLength * 8; bit++) {
      const flipped = Uint8Array.from(bytes)
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      expect(check(flipped).ok, `bit ${bit}`).toBe(false)
    }
  })

  it('a re-mined envelope of the same post has the same id', async () => {
    const a = await build({ powBits: 8 })
    const env = decodeEnvelope(a)
    let nonce = env.pow + 1n
    let result = check(encodeEnvelope({ ...env, pow: nonce }), { powBits: { POST: 4 } })
    while (!result.ok) result = check(encodeEnvelope({ ...env, pow: ++nonce }), { powBits: { POST: 4 } })
    expect(result.id).toEqual((check(a, { powBits: { POST: 4 } }) as { id: Uint8Array }).id)
  })

  it('circles: sealed posts open with the circle key and are ignored without it', async () => {
    const circleKey = seededRandom('circle')(32)
    const channel = circleChannel(circleKey)
    const auth = { kind: 'ring' as const, ring, secretKey: members[2]!.secretKey, sequence: { epoch: 0, week: 0 } }
    const { bytes } = await buildEnvelope({ channel, body: 'secret', created: NOW, powBits: 8, auth, circleKey })
    const topic = channelTopic(channel)
    const opened = validateEnvelope(bytes, { topic, now: NOW, circleKey, powBits: { POST: 8 } })
    expect(opened.ok && opened.post.body).toBe('secret')
    expect(codeOf(validateEnvelope(bytes, { topic, now: NOW }))).toBe('ERR_SEALED')
    expect(codeOf(validateEnvelope(bytes, { topic, now: NOW, circleKey: new Uint8Array(32) }))).toBe('ERR_BAD_SEAL')
    await expect(buildEnvelope({ channel, body: 'x', auth: { kind: 'one-time' }, circleKey })).rejects.toMatchObject({ code: 'ERR_BAD_AUTH' })
  })

  it('builder refuses bad input with precise codes', async () => {
    await expect(buildEnvelope({ channel: 'lobby', body: 'x' })).rejects.toMatchObject({ name: 'ProtocolError', code: 'ERR_BAD_CHANNEL' })
    await expect(buildEnvelope({ channel: '#lobby', body: 'é'.repeat(1025) })).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LONG' })
    await expect(buildEnvelope({ channel: '#lobby', kind: 'VOTE', vote: 1 })).rejects.toMatchObject({ code: 'ERR_BAD_FIELD' })
  })
})
