import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, generateAuthorKey, postScope, ringSign, ringVerify, voteScope, MAX_RING_SIZE } from '../src/index.js'
import type { AuthorKey, RingVerifyInput } from '../src/index.js'
import { seededRandom } from './helpers.js'

const keys: AuthorKey[] = Array.from({ length: MAX_RING_SIZE + 1 }, (_, i) => generateAuthorKey(seededRandom(`ring-key-${i}`)))
const sortedKeys = [...keys].sort((a, b) => compareBytes(a.publicKey, b.publicKey))
const message = seededRandom('ring-message')(32)
const scope = postScope('murmur/1/#lobby', 491_000, 0)

function signed (n: number, position = 0): RingVerifyInput {
  const members = sortedKeys.slice(0, n)
  const ring = members.map((k) => k.publicKey)
  const sig = ringSign({ message, ring, secretKey: members[position]!.secretKey, scope })
  return { message, ring, scope, ...sig }
}

// ℓ as little-endian bytes, for non-canonical scalars
const ORDER_LE = Uint8Array.from([0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, ...new Array(15).fill(0), 0x10])
function addOrder (s: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  let carry = 0
  for (let i = 0; i < 32; i++) {
    const v = s[i]! + ORDER_LE[i]! + carry
    out[i] = v & 0xff
    carry = v >> 8
  }
  return out
}

describe('bLSAG ring signatures', () => {
  it('verify for every signer position in rings of size 1..32', () => {
    for (let n = 1; n <= 32; n++) {
      for (let position = 0; position < n; position++) {
        expect(ringVerify(signed(n, position)), `n=${n} position=${position}`).toBe(true)
      }
    }
  })

  it('verify at the maximum ring size', () => {
    expect(ringVerify(signed(MAX_RING_SIZE, 17))).toBe(true)
  })

  it('same key and same scope give the same tag; another scope or signer gives another tag', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (s1, s2, a, b) => {
      const ring = sortedKeys.slice(0, 4).map((k) => k.publicKey)
      const tag = (scopeBytes: Uint8Array, who: number): Uint8Array => ringSign({ message, ring, secretKey: sortedKeys[who]!.secretKey, scope: scopeBytes }).tag
      const t1 = tag(s1, a)
      expect(tag(s1, a)).toEqual(t1)
      if (compareBytes(s1, s2) !== 0) expect(tag(s2, a)).not.toEqual(t1)
      if (a !== b) expect(tag(s1, b)).not.toEqual(t1)
    }), { numRuns: 40 })
  })

  it('tags of different vote scopes do not link', () => {
    const ring = sortedKeys.slice(0, 3).map((k) => k.publicKey)
    const t1 = ringSign({ message, ring, secretKey: sortedKeys[0]!.secretKey, scope: voteScope(new Uint8Array(32).fill(1)) }).tag
    const t2 = ringSign({ message, ring, secretKey: sortedKeys[0]!.secretKey, scope: voteScope(new Uint8Array(32).fill(2)) }).tag
    expect(t1).not.toEqual(t2)
  })

  it('rejects a wrong message, scope, ring or tampered response', () => {
    const sig = signed(5, 2)
    expect(ringVerify({ ...sig, message: new Uint8Array(32) })).toBe(false)
    expect(ringVerify({ ...sig, scope: postScope('murmur/1/#lobby', 491_000, 1) })).toBe(false)
    const s = sig.s.map((x) => Uint8Array.from(x))
    s[3]![0]! ^= 1
    expect(ringVerify({ ...sig, s })).toBe(false)
    expect(ringVerify({ ...sig, ring: sortedKeys.slice(1, 6).map((k) => k.publicKey) })).toBe(false)
  })

  it('rejects wrong ring order and duplicate members', () => {
    const sig = signed(4, 1)
    expect(ringVerify({ ...sig, ring: [...sig.ring].reverse() })).toBe(false)
    const dup = [sig.ring[0]!, sig.ring[0]!, sig.ring[2]!, sig.ring[3]!]
    expect(ringVerify({ ...sig, ring: dup })).toBe(false)
    expect(() => ringSign({ message, ring: [...sig.ring].reverse(), secretKey: sortedKeys[0]!.secretKey, scope })).toThrow(RangeError)
  })

  it('rejects non-canonical scalars', () => {
    const sig = signed(3, 0)
    expect(ringVerify({ ...sig, c0: addOrder(sig.c0) })).toBe(false)
    expect(ringVerify({ ...sig, s: [addOrder(sig.s[0]!), sig.s[1]!, sig.s[2]!] })).toBe(false)
  })

  it('rejects the identity point as tag or ring member, an empty ring and rings above the maximum', () => {
    const sig = signed(3, 1)
    expect(ringVerify({ ...sig, tag: new Uint8Array(32) })).toBe(false)
    expect(ringVerify({ ...sig, ring: [new Uint8Array(32), ...sig.ring.slice(1)] })).toBe(false)
    expect(ringVerify({ ...sig, ring: [], s: [] })).toBe(false)
    const all = sortedKeys.map((k) => k.publicKey)
    expect(all.length).toBe(MAX_RING_SIZE + 1)
    expect(ringVerify({ ...sig, ring: all, s: all.map(() => sig.s[0]!) })).toBe(false)
    expect(() => ringSign({ message, ring: all, secretKey: sortedKeys[0]!.secretKey, scope })).toThrow(RangeError)
  })

  it('never throws on hostile input', () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), fc.anything(), (a, b, c) => {
      const sig = signed(2, 0)
      expect(ringVerify({ ...sig, ring: a as Uint8Array[] })).toBe(false)
      expect(ringVerify({ ...sig, s: b as Uint8Array[] })).toBe(false)
      expect(typeof ringVerify({ ...sig, tag: c as Uint8Array, c0: a as Uint8Array })).toBe('boolean')
      expect(ringVerify(a as RingVerifyInput)).toBe(false)
    }), { numRuns: 200 })
  })

  it('refuses to sign for a key outside the ring', () => {
    const ring = sortedKeys.slice(0, 3).map((k) => k.publicKey)
    expect(() => ringSign({ message, ring, secretKey: sortedKeys[5]!.secretKey, scope })).toThrow(/not in the ring/)
  })
})
