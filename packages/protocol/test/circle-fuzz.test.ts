import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateAuthorKey, ready } from '../src/index.js'
import { deriveCircleKeys } from '../src/circle/keys.js'
import { CIRCLE_FRAME_BUCKETS, checkCircleFrame, openCircleFrame, sealCircleFrameWith } from '../src/circle/frame.js'
import { generateMemberKeys, openInviteRecord, openJoin, openLeave, signJoin } from '../src/circle/records.js'
import { openRotation } from '../src/circle/rotation.js'
import { validateCircleEnvelope } from '../src/circle/post.js'
import type { CircleRecordTypeValue } from '../src/circle/frame.js'
import { seededRandom } from './helpers.js'

await ready()

// Bad input from a lying member or a stranger: every reader answers with a result and a stable code,
// never an exception, whatever the bytes.
const owner = generateAuthorKey(seededRandom('fuzz-owner')).publicKey
const keys = deriveCircleKeys(seededRandom('fuzz-secret')(32), 0, owner)
const CODES = /^ERR_CIRCLE_[A-Z]+$/

describe('circle readers never throw', () => {
  it('frames: random bytes, random sizes, and sealed frames with random plaintext', async () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...CIRCLE_FRAME_BUCKETS).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))), (bytes) => {
      const checked = checkCircleFrame(bytes, 0)
      const opened = openCircleFrame(keys, bytes, 0)
      expect(opened.ok).toBe(false)
      if (!opened.ok) expect(opened.code).toMatch(CODES)
      if (!checked.ok) expect(checked.code).toMatch(CODES)
    }), { seed: 5015, numRuns: 300 })
    // a member who seals junk: it opens, and each record reader refuses it with a code
    for (let i = 0; i < 40; i++) {
      const random = seededRandom(`junk-${i}`)
      const body = random(random(1)[0]! * 4)
      const type = ((i % 5) + 1) as CircleRecordTypeValue
      const frame = await sealCircleFrameWith(keys, type, body, random, { powBits: 0 })
      const opened = openCircleFrame(keys, frame, 0)
      if (!opened.ok) throw new Error(opened.reason)
      for (const result of [openJoin(keys, opened.body), openInviteRecord(keys, opened.body), openLeave(keys, opened.body), openRotation(keys, opened.body)]) {
        expect(result.ok).toBe(false)
        if (!result.ok) expect(result.code).toMatch(CODES)
      }
      const envelope = validateCircleEnvelope(keys, opened.body, { isMember: () => true, minRing: 2 })
      expect(envelope.ok).toBe(false)
    }
  })

  it('records: every truncation and random bytes after a valid prefix', () => {
    const join = signJoin(keys, generateMemberKeys(), { created: 1_767_225_600, name: 'ana' })
    for (let i = 0; i < join.byteLength; i++) {
      const result = openJoin(keys, join.subarray(0, i))
      expect(result.ok, `cut at ${i}`).toBe(false)
    }
    fc.assert(fc.property(fc.nat(join.byteLength), fc.uint8Array({ maxLength: 200 }), (at, tail) => {
      const bytes = new Uint8Array([...join.subarray(0, at), ...tail])
      for (const result of [openJoin(keys, bytes), openRotation(keys, bytes)]) {
        if (!result.ok) expect(result.code).toMatch(CODES)
      }
    }), { seed: 6015, numRuns: 300 })
  })
})
