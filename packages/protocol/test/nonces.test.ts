// Low 16 (issue 12): no public API can make two signatures or two seals share a nonce. On v1,
// buildEnvelope({ random }) passed a caller's generator straight to α, the s_i and the seal nonce: a
// repeating generator gave two ring signatures the same s_i (and revealed the key through s_π), and two
// seals the same nonce.
import { describe, expect, it } from 'vitest'
import * as api from '../src/index.js'
import { buildEnvelope, circleChannel, compareBytes, decodeEnvelope, generateAuthorKey, sealCirclePost, channelTopic, toHex } from '../src/index.js'
import type { BuildEnvelopeOptions } from '../src/index.js'
import { buildEnvelopeWith } from '../src/build.js'
import { sealWithRandom } from '../src/circle.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const members = Array.from({ length: 3 }, (_, i) => generateAuthorKey(seededRandom(`nonce-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const circleKey = seededRandom('nonce-circle')(32)
const broken = (length: number): Uint8Array => new Uint8Array(length) // a generator stuck at zero

const options = (body: string): BuildEnvelopeOptions => ({
  channel: circleChannel(circleKey), body, created: VECTOR_NOW, powBits: 0, circleKey,
  auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey, slot: 1, weekSlot: 1 }
})
const responses = (bytes: Uint8Array): string[] => decodeEnvelope(bytes).ring!.s.map(toHex)
const sealNonce = (bytes: Uint8Array): string => toHex(decodeEnvelope(bytes).post.subarray(0, 24))

describe('nonces never repeat through the public API', () => {
  it('the package exports no way to inject randomness into signing or sealing', () => {
    const exported = Object.keys(api)
    for (const internal of ['buildEnvelopeWith', 'sealWithRandom', 'ringSignWithRandom']) expect(exported).not.toContain(internal)
    expect(sealCirclePost.length).toBe(3)
    expect(api.ringSign.length).toBe(1)
  })

  it('buildEnvelope ignores a generator smuggled in as an option: two ring signatures share no response and no seal nonce', async () => {
    const smuggled = (body: string): BuildEnvelopeOptions => ({ ...options(body), random: broken } as unknown as BuildEnvelopeOptions)
    const a = await buildEnvelope(smuggled('first'))
    const b = await buildEnvelope(smuggled('second'))
    const again = await buildEnvelope(smuggled('first'))
    const all = [...responses(a.bytes), ...responses(b.bytes), ...responses(again.bytes)]
    expect(new Set(all).size).toBe(all.length)
    expect(new Set([sealNonce(a.bytes), sealNonce(b.bytes), sealNonce(again.bytes)]).size).toBe(3)
  })

  it('hedging: even a stuck generator (internal path) repeats nothing across different posts', async () => {
    const a = await buildEnvelopeWith(options('one'), broken)
    const b = await buildEnvelopeWith(options('two'), broken)
    const all = [...responses(a.bytes), ...responses(b.bytes)]
    expect(new Set(all).size).toBe(all.length)
    expect(sealNonce(a.bytes)).not.toBe(sealNonce(b.bytes))
    // the same post with the same stuck generator is the same bytes: equality is all it shows
    const same = await buildEnvelopeWith(options('one'), broken)
    expect(toHex(same.bytes)).toBe(toHex(a.bytes))
  })

  it('seal nonces: fresh per call, and hedged by key, topic and plaintext under a stuck generator', () => {
    const topic = channelTopic(circleChannel(circleKey))
    const post = new Uint8Array([1, 2, 3])
    expect(toHex(sealCirclePost(circleKey, topic, post))).not.toBe(toHex(sealCirclePost(circleKey, topic, post)))
    const nonce = (key: Uint8Array, t: string, p: Uint8Array): string => toHex(sealWithRandom(key, t, p, broken).subarray(0, 24))
    const base = nonce(circleKey, topic, post)
    expect(nonce(circleKey, topic, new Uint8Array([1, 2, 4]))).not.toBe(base)
    expect(nonce(circleKey, `${topic}x`, post)).not.toBe(base)
    expect(nonce(seededRandom('other-key')(32), topic, post)).not.toBe(base)
  })
})
