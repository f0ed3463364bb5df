import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, decodeEnvelope, generateAuthorKey, ready, toHex } from '../src/index.js'
import type { AuthorKey } from '../src/index.js'
import { CIRCLE_FRAME_BUCKETS, CircleRecordType, checkCircleFrame, openCircleFrame, sealCircleFrameWith } from '../src/circle/frame.js'
import { buildCirclePostWith, validateCircleEnvelope } from '../src/circle/post.js'
import type { BuildCirclePostOptions } from '../src/circle/post.js'
import { deriveCircleKeys } from '../src/circle/keys.js'
import { CircleError } from '../src/circle/errors.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'
import { sealWithRandom } from '../src/circle.js'
import { concatBytes } from '../src/bytes.js'

await ready()

const POW = { POST: 8, REPLY: 8, VOTE: 8 }
const secret = seededRandom('frame-secret')(32)
const OWNER = generateAuthorKey(seededRandom('frame-owner')).publicKey
const keys = deriveCircleKeys(secret, 0, OWNER)
const members: AuthorKey[] = Array.from({ length: 6 }, (_, i) => generateAuthorKey(seededRandom(`frame-member-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const onRoster = new Set(ring.map(toHex))
const validation = { isMember: (k: string) => onRoster.has(k), minRing: 5, now: VECTOR_NOW + 60, powBits: POW }

function post (signer: AuthorKey, label: string, extra: Partial<BuildCirclePostOptions> = {}): BuildCirclePostOptions {
  return { body: `post ${label}`, created: VECTOR_NOW, powBits: 8, minRing: 5, frame: { powBits: 4 }, auth: { kind: 'ring', ring, secretKey: signer.secretKey, sequence: { epoch: 0, week: 0 } }, ...extra }
}

/** Length of the longest run of bytes common to a and b (dynamic programming, O(|a||b|)). */
function longestCommonRun (a: Uint8Array, b: Uint8Array): number {
  let best = 0
  let previous = new Uint16Array(b.byteLength + 1)
  for (let i = 1; i <= a.byteLength; i++) {
    const row = new Uint16Array(b.byteLength + 1)
    for (let j = 1; j <= b.byteLength; j++) {
      if (a[i - 1] === b[j - 1]) {
        row[j] = previous[j - 1]! + 1
        if (row[j]! > best) best = row[j]!
      }
    }
    previous = row
  }
  return best
}

describe('circle frames', () => {
  it('round-trip a record in a bucket-sized frame that a relay can check without the key', async () => {
    for (const length of [0, 1, 900, 971, 972, 3000, 16300]) {
      const body = seededRandom(`body-${length}`)(length)
      const frame = await sealCircleFrameWith(keys, CircleRecordType.JOIN, body, seededRandom(`seal-${length}`), { powBits: 4 })
      expect(CIRCLE_FRAME_BUCKETS).toContain(frame.byteLength)
      expect(checkCircleFrame(frame, 4)).toMatchObject({ ok: true })
      expect(openCircleFrame(keys, frame, 4)).toEqual({ ok: true, type: CircleRecordType.JOIN, body })
    }
    await expect(sealCircleFrameWith(keys, CircleRecordType.JOIN, new Uint8Array(16333), seededRandom('x'), { powBits: 0 })).rejects.toThrow(CircleError)
  })

  it('a non-member, another generation or another circle cannot open it; a changed byte is refused', async () => {
    const frame = await sealCircleFrameWith(keys, CircleRecordType.ENVELOPE, new Uint8Array([1, 2, 3]), seededRandom('s'), { powBits: 4 })
    const nextGeneration = deriveCircleKeys(secret, 1, OWNER)
    const stranger = deriveCircleKeys(seededRandom('stranger')(32), 0, OWNER)
    // the same keys with another circle's topic as associated data: a frame moved between circles opens nowhere
    expect(openCircleFrame({ ...keys, topic: stranger.topic }, frame, 4)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
    expect(openCircleFrame(nextGeneration, frame, 4)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
    expect(openCircleFrame(stranger, frame, 4)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
    expect(openCircleFrame(keys, frame, 30)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_POW' })
    for (let i = 0; i < frame.byteLength; i += 37) {
      const changed = frame.slice()
      changed[i]! ^= 1
      const opened = openCircleFrame(keys, changed, 0)
      expect(opened.ok, `byte ${i}`).toBe(false)
    }
    expect(openCircleFrame(keys, frame.subarray(0, 1000), 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SIZE' })
    expect(checkCircleFrame(new Uint8Array(0))).toMatchObject({ ok: false, code: 'ERR_CIRCLE_FRAME' })
  })

  it("a member's hand-built frame that opens is still refused unless it is one record in its own bucket", () => {
    const hand = (size: number, fill: (plaintext: Uint8Array) => void): Uint8Array => {
      const plaintext = new Uint8Array(size - 49)
      fill(plaintext)
      return concatBytes([Uint8Array.of(1), new Uint8Array(8), sealWithRandom(keys.sealKey, keys.topic, plaintext, seededRandom('hand'))])
    }
    const record = (type: number, length: number) => (p: Uint8Array): void => { p[0] = type; p[1] = length >> 8; p[2] = length & 0xff }
    expect(openCircleFrame(keys, hand(1024, record(2, 10)), 0)).toMatchObject({ ok: true, type: 2 })
    expect(openCircleFrame(keys, hand(2048, record(2, 10)), 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SIZE' })
    expect(openCircleFrame(keys, hand(1024, record(9, 10)), 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_FRAME' })
    expect(openCircleFrame(keys, hand(1024, record(2, 1000)), 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_FRAME' })
    expect(openCircleFrame(keys, hand(1024, (p) => { record(2, 10)(p); p[500] = 1 }), 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_FRAME' })
    const other = hand(1024, record(2, 10))
    other[0] = 2
    expect(openCircleFrame(keys, other, 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_FRAME' })
  })
})

describe('circle posts', () => {
  it('a member reads "a member wrote this"; the ring and tags are nowhere in the frame', async () => {
    const built = await buildCirclePostWith(keys, post(members[2]!, 'a'), seededRandom('post-a'))
    const opened = openCircleFrame(keys, built.frame, 4)
    expect(opened).toMatchObject({ ok: true, type: CircleRecordType.ENVELOPE })
    if (!opened.ok) return
    const result = validateCircleEnvelope(keys, opened.body, validation)
    expect(result).toMatchObject({ ok: true, post: { body: 'post a' }, auth: { kind: 'ring' } })
    // the inner envelope names the ring (v2 §6); the frame shows none of it, nor a tag
    const inner = decodeEnvelope(opened.body).ring!
    const hex = toHex(built.frame)
    for (const value of [...inner.ring, ...inner.tags, inner.c0]) expect(hex).not.toContain(toHex(value.subarray(0, 6)))
    expect(hex).not.toContain(toHex(new TextEncoder().encode('post a')))
  })

  it('two posts of one member (and of two) share no byte-level link; sizes come from the buckets', async () => {
    await fc.assert(fc.asyncProperty(
      fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), fc.nat(members.length - 1), fc.nat(members.length - 1), fc.nat(),
      async (bodyA, bodyB, a, b, seed) => {
        const author = (i: number, sequence: number): BuildCirclePostOptions['auth'] => ({ kind: 'ring', ring, secretKey: members[i]!.secretKey, sequence: { epoch: sequence, week: sequence } })
        const first = (await buildCirclePostWith(keys, post(members[a]!, 'a', { body: bodyA, auth: author(a, 0) }), seededRandom(`link-${seed}-a`))).frame
        const second = (await buildCirclePostWith(keys, post(members[b]!, 'b', { body: bodyB, auth: author(b, a === b ? 1 : 0) }), seededRandom(`link-${seed}-b`))).frame
        for (const frame of [first, second]) expect(CIRCLE_FRAME_BUCKETS).toContain(frame.byteLength)
        // the version byte and the relay nonce's zero high bytes are the same in every frame of every member;
        // past them, two random 1-2 KiB strings share a run of 5 bytes with probability about 4e-6
        expect(longestCommonRun(first.subarray(9), second.subarray(9))).toBeLessThanOrEqual(4)
      }), { seed: 7015, numRuns: 6 })
  })

  it('link tags are per member per scope: one vote per member per post, a slot per member per hour', async () => {
    const parent = seededRandom('parent')(32)
    const vote = async (signer: AuthorKey, label: string, sequence: number): Promise<string> => {
      const built = await buildCirclePostWith(keys, post(signer, label, { kind: 'VOTE', parent, vote: 1, body: '', auth: { kind: 'ring', ring, secretKey: signer.secretKey, sequence: { epoch: sequence, week: 0 } } }), seededRandom(label))
      const opened = openCircleFrame(keys, built.frame, 4)
      if (!opened.ok) throw new Error(opened.reason)
      const result = validateCircleEnvelope(keys, opened.body, validation)
      if (!result.ok || result.auth.kind !== 'ring') throw new Error(result.ok ? 'not ring' : result.reason)
      return toHex(result.auth.links[0]!.tag)
    }
    const first = await vote(members[0]!, 'vote-1', 0)
    expect(await vote(members[0]!, 'vote-2', 1)).toBe(first) // the same member again: one tag, one vote counted
    expect(await vote(members[1]!, 'vote-3', 0)).not.toBe(first)

    const hourTag = async (signer: AuthorKey, label: string, epoch: number): Promise<string> => {
      const built = await buildCirclePostWith(keys, post(signer, label, { auth: { kind: 'ring', ring, secretKey: signer.secretKey, sequence: { epoch, week: epoch } } }), seededRandom(label))
      const opened = openCircleFrame(keys, built.frame, 4)
      if (!opened.ok) throw new Error(opened.reason)
      return toHex(decodeEnvelope(opened.body).ring!.tags[0]!)
    }
    const tags = await Promise.all([0, 1, 2].map(async (n) => await hourTag(members[3]!, `hour-${n}`, n)))
    expect(new Set(tags).size).toBe(3)
    // the same sequence number again repeats the slot: the second is the same member's, refused by the tag
    expect(await hourTag(members[3]!, 'hour-again', 1)).toBe(tags[1])
    // the (K+1)-th post of an hour is refused before it is built, as in a public channel
    await expect(buildCirclePostWith(keys, post(members[3]!, 'eleventh', { auth: { kind: 'ring', ring, secretKey: members[3]!.secretKey, sequence: { epoch: 10, week: 10 } } }), seededRandom('eleventh'))).rejects.toMatchObject({ name: 'RateLimitError', limit: 'epoch' })
  })

  it('refuses a ring below the minimum (builder and members) and a ring naming a stranger', async () => {
    const small = ring.slice(0, 4)
    const signer = members.find((m) => small.some((k) => toHex(k) === toHex(m.publicKey)))!
    await expect(buildCirclePostWith(keys, post(signer, 'small', { auth: { kind: 'ring', ring: small, secretKey: signer.secretKey, sequence: { epoch: 0, week: 0 } } }), seededRandom('small'))).rejects.toMatchObject({ code: 'ERR_CIRCLE_RING' })
    const built = await buildCirclePostWith(keys, post(signer, 'small', { minRing: 2, auth: { kind: 'ring', ring: small, secretKey: signer.secretKey, sequence: { epoch: 0, week: 0 } } }), seededRandom('small'))
    const opened = openCircleFrame(keys, built.frame, 4)
    if (!opened.ok) throw new Error(opened.reason)
    expect(validateCircleEnvelope(keys, opened.body, validation)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_RING' })
    const withStranger = new Set(onRoster)
    withStranger.delete(toHex(ring[0]!))
    const full = await buildCirclePostWith(keys, post(members[0]!, 'x'), seededRandom('x'))
    const openedFull = openCircleFrame(keys, full.frame, 4)
    if (!openedFull.ok) throw new Error(openedFull.reason)
    expect(validateCircleEnvelope(keys, openedFull.body, { ...validation, isMember: (k) => withStranger.has(k) })).toMatchObject({ ok: false, code: 'ERR_CIRCLE_RING' })
    // a member of another circle: its frame does not even open here
    const other = deriveCircleKeys(seededRandom('other-circle')(32), 0, OWNER)
    const foreign = await buildCirclePostWith(other, post(members[0]!, 'y'), seededRandom('y'))
    expect(openCircleFrame(keys, foreign.frame, 4)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
  })
})
