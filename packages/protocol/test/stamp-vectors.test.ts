import { readFileSync, writeFileSync } from 'node:fs'
import { argon2id } from '@noble/hashes/argon2.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { concatBytes, fromHex, toHex, u64be, utf8 } from '../src/bytes.js'
import { generateAuthorKey } from '../src/ring.js'
import { leadingZeroBits } from '../src/pow.js'
import { STAMP_MEMLIMIT, STAMP_OPSLIMIT, decodeStamp, encodeStamp, mintStamp, stampHash, verifyStamp } from '../src/stamp.js'
import { directoryItemId, validateAnnouncement } from '../src/directory-announce.js'
import { weekOf, weekStart } from '../src/stamp-window.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

// Stamps minted at small difficulties for fixed keys. Run with UPDATE_VECTORS=1 to mint them again after a
// deliberate, documented change of the stamp format (docs/MEMBERSHIP.md); that takes a few minutes.
const FIXTURE = new URL('./fixtures/stamp-vectors.json', import.meta.url)

/** One committed stamp: its bytes, the difficulty it was minted at, and its Argon2id output. */
interface StampVector { name: string, secretSeed: string, memberKey: string, week: number, bits: number, stamp: string, hash: string, itemId: string }

const WEEK = weekOf(VECTOR_NOW)
const CASES = [
  { name: 'bits-6-a', seed: 'stamp-member-0', bits: 6 },
  { name: 'bits-6-b', seed: 'stamp-member-1', bits: 6 },
  { name: 'bits-6-next-week', seed: 'stamp-member-2', bits: 6, week: WEEK + 1 },
  // the bit-flip property test verifies this one at its own work: a flipped nonce passes with odds 2^-work
  { name: 'bits-10', seed: 'stamp-member-3', bits: 10 }
]

/** The committed vectors. */
function stampVectors (): StampVector[] {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as StampVector[]
}

// An independent reader of docs/MEMBERSHIP.md "Stamps": noble's Argon2id and SHA-256, not libsodium.
function referenceStampHash (memberKey: Uint8Array, week: number, nonce: number): Uint8Array {
  const password = concatBytes([utf8('murmur/v2/stamp'), memberKey, u64be(week), u64be(nonce)])
  const salt = sha256(concatBytes([utf8('murmur/v2/stamp-salt'), memberKey, u64be(week)])).subarray(0, 16)
  return argon2id(password, salt, { t: STAMP_OPSLIMIT, m: STAMP_MEMLIMIT / 1024, p: 1, dkLen: 32 })
}

describe('stamp vectors', () => {
  if (process.env.UPDATE_VECTORS === '1') {
    it('mints the fixture', async () => {
      const produced: StampVector[] = []
      for (const c of CASES) {
        const key = generateAuthorKey(seededRandom(c.seed))
        const week = c.week ?? WEEK
        const stamp = await mintStamp({ memberKey: key.publicKey, week, bits: c.bits })
        produced.push({ name: c.name, secretSeed: c.seed, memberKey: toHex(key.publicKey), week, bits: c.bits, stamp: toHex(encodeStamp(stamp)), hash: toHex(stampHash(stamp)), itemId: toHex(directoryItemId(stamp)) })
      }
      writeFileSync(FIXTURE, JSON.stringify(produced, null, 2) + '\n')
    }, 3_600_000)
    return
  }

  const vectors = stampVectors()

  it('decode, encode, verify and id every vector', () => {
    expect(vectors.length).toBe(CASES.length)
    for (const v of vectors) {
      const bytes = fromHex(v.stamp)
      const stamp = decodeStamp(bytes)
      expect(toHex(stamp.memberKey)).toBe(v.memberKey)
      expect(toHex(generateAuthorKey(seededRandom(v.secretSeed)).publicKey)).toBe(v.memberKey)
      expect(stamp.week).toBe(v.week)
      expect(toHex(encodeStamp(stamp))).toBe(v.stamp)
      expect(toHex(stampHash(stamp))).toBe(v.hash)
      expect(toHex(directoryItemId(stamp))).toBe(v.itemId)
      const now = Math.max(VECTOR_NOW, weekStart(v.week))
      const result = verifyStamp(stamp, { now, bits: v.bits })
      expect(result).toMatchObject({ ok: true, work: leadingZeroBits(fromHex(v.hash)) })
      const announced = validateAnnouncement(bytes, { now, bits: v.bits })
      expect(announced).toMatchObject({ ok: true, created: weekStart(v.week) })
      if (announced.ok) expect(toHex(announced.id)).toBe(v.itemId)
    }
  })

  it('an independent Argon2id (noble) computes the same output for a vector', () => {
    const v = vectors[0]!
    const stamp = decodeStamp(fromHex(v.stamp))
    expect(toHex(referenceStampHash(stamp.memberKey, stamp.week, stamp.nonce))).toBe(v.hash)
  })
})
