import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, generateAuthorKey, postScope, ringSign, ringVerify, voteScope, MAX_RING_SIZE } from '../src/index.js'
import { MAX_LINK_TAGS, ringSignWithRandom, verifyOverCheckedRing } from '../src/ring.js'
import { sodium } from '../src/sodium.js'
import type { AuthorKey, RingVerifyInput } from '../src/index.js'
import { seededRandom } from './helpers.js'

const keys: AuthorKey[] = Array.from({ length: MAX_RING_SIZE + 1 }, (_, i) => generateAuthorKey(seededRandom(`ring-key-${i}`)))
const sortedKeys = [...keys].sort((a, b) => compareBytes(a.publicKey, b.publicKey))
const message = seededRandom('ring-message')(32)
const scope = postScope('murmur/2/#lobby', 491_000, 0)
const scopes = [scope]

function signed (n: number, position = 0): RingVerifyInput {
  const members = sortedKeys.slice(0, n)
  const ring = members.map((k) => k.publicKey)
  const sig = ringSign({ message, ring, secretKey: members[position]!.secretKey, scopes })
  return { message, ring, scopes, ...sig }
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
      const tag = (scopeBytes: Uint8Array, who: number): Uint8Array => ringSign({ message, ring, secretKey: sortedKeys[who]!.secretKey, scopes: [scopeBytes] }).tags[0]!
      const t1 = tag(s1, a)
      expect(tag(s1, a)).toEqual(t1)
      if (compareBytes(s1, s2) !== 0) expect(tag(s2, a)).not.toEqual(t1)
      if (a !== b) expect(tag(s1, b)).not.toEqual(t1)
    }), { numRuns: 40 })
  })

  it('tags of different vote scopes do not link', () => {
    const ring = sortedKeys.slice(0, 3).map((k) => k.publicKey)
    const t1 = ringSign({ message, ring, secretKey: sortedKeys[0]!.secretKey, scopes: [voteScope(new Uint8Array(32).fill(1))] }).tags
    const t2 = ringSign({ message, ring, secretKey: sortedKeys[0]!.secretKey, scopes: [voteScope(new Uint8Array(32).fill(2))] }).tags
    expect(t1).not.toEqual(t2)
  })

  it('rejects a wrong message, scope, ring or tampered response', () => {
    const sig = signed(5, 2)
    expect(ringVerify({ ...sig, message: new Uint8Array(32) })).toBe(false)
    expect(ringVerify({ ...sig, scopes: [postScope('murmur/2/#lobby', 491_000, 1)] })).toBe(false)
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
    expect(() => ringSign({ message, ring: [...sig.ring].reverse(), secretKey: sortedKeys[0]!.secretKey, scopes })).toThrow(RangeError)
  })

  it('rejects non-canonical scalars', () => {
    const sig = signed(3, 0)
    expect(ringVerify({ ...sig, c0: addOrder(sig.c0) })).toBe(false)
    expect(ringVerify({ ...sig, s: [addOrder(sig.s[0]!), sig.s[1]!, sig.s[2]!] })).toBe(false)
  })

  it('rejects the identity point as tag or ring member, an empty ring and rings above the maximum', () => {
    const sig = signed(3, 1)
    expect(ringVerify({ ...sig, tags: [new Uint8Array(32)] })).toBe(false)
    expect(ringVerify({ ...sig, ring: [new Uint8Array(32), ...sig.ring.slice(1)] })).toBe(false)
    expect(ringVerify({ ...sig, ring: [], s: [] })).toBe(false)
    const all = sortedKeys.map((k) => k.publicKey)
    expect(all.length).toBe(MAX_RING_SIZE + 1)
    expect(ringVerify({ ...sig, ring: all, s: all.map(() => sig.s[0]!) })).toBe(false)
    expect(() => ringSign({ message, ring: all, secretKey: sortedKeys[0]!.secretKey, scopes })).toThrow(RangeError)
  })

  it('never throws on hostile input', () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), fc.anything(), (a, b, c) => {
      const sig = signed(2, 0)
      expect(ringVerify({ ...sig, ring: a as Uint8Array[] })).toBe(false)
      expect(ringVerify({ ...sig, s: b as Uint8Array[] })).toBe(false)
      expect(typeof ringVerify({ ...sig, tags: c as Uint8Array[], c0: a as Uint8Array })).toBe('boolean')
      expect(ringVerify({ ...sig, scopes: c as Uint8Array[] })).toBe(false)
      expect(ringVerify(a as RingVerifyInput)).toBe(false)
    }), { numRuns: 200 })
  })

  it('refuses to sign for a key outside the ring', () => {
    const ring = sortedKeys.slice(0, 3).map((k) => k.publicKey)
    expect(() => ringSign({ message, ring, secretKey: sortedKeys[5]!.secretKey, scopes })).toThrow(/not in the ring/)
  })

  describe('several link tags bound to one key', () => {
    const weekScope = new TextEncoder().encode('week scope of a test')
    const ring = sortedKeys.slice(0, 8).map((k) => k.publicKey)
    const signer = sortedKeys[5]!

    it('verify with 1..MAX_LINK_TAGS scopes, and each tag is the single-scope tag of its scope', () => {
      const all = Array.from({ length: MAX_LINK_TAGS }, (_, j) => postScope('murmur/2/#lobby', 491_000, j))
      for (let k = 1; k <= MAX_LINK_TAGS; k++) {
        const sig = ringSign({ message, ring, secretKey: signer.secretKey, scopes: all.slice(0, k) })
        expect(sig.tags).toHaveLength(k)
        expect(ringVerify({ message, ring, scopes: all.slice(0, k), ...sig }), `k=${k}`).toBe(true)
        sig.tags.forEach((tag, j) => {
          expect(tag).toEqual(ringSign({ message, ring, secretKey: signer.secretKey, scopes: [all[j]!] }).tags[0])
        })
      }
    })

    it('every tag is bound: swapping, dropping, reordering or replacing one fails', () => {
      const twoScopes = [scope, weekScope]
      const sig = ringSign({ message, ring, secretKey: signer.secretKey, scopes: twoScopes })
      const ok = { message, ring, scopes: twoScopes, ...sig }
      expect(ringVerify(ok)).toBe(true)
      expect(ringVerify({ ...ok, tags: [sig.tags[1]!, sig.tags[0]!] })).toBe(false)
      expect(ringVerify({ ...ok, scopes: [weekScope, scope] })).toBe(false)
      expect(ringVerify({ ...ok, scopes: [scope], tags: [sig.tags[0]!] })).toBe(false)
      // another member's honest tag in the week scope: the signature must not accept a tag of someone else
      const other = ringSign({ message, ring, secretKey: sortedKeys[2]!.secretKey, scopes: twoScopes })
      expect(ringVerify({ ...ok, tags: [sig.tags[0]!, other.tags[1]!] })).toBe(false)
    })

    it('refuses no scopes, too many scopes and a repeated scope', () => {
      expect(() => ringSign({ message, ring, secretKey: signer.secretKey, scopes: [] })).toThrow(RangeError)
      const many = Array.from({ length: MAX_LINK_TAGS + 1 }, (_, j) => postScope('murmur/2/#lobby', 1, j))
      expect(() => ringSign({ message, ring, secretKey: signer.secretKey, scopes: many })).toThrow(RangeError)
      expect(() => ringSign({ message, ring, secretKey: signer.secretKey, scopes: [scope, scope] })).toThrow(/distinct/)
      const sig = ringSign({ message, ring, secretKey: signer.secretKey, scopes })
      expect(ringVerify({ message, ring, scopes: [scope, scope], c0: sig.c0, s: sig.s, tags: [sig.tags[0]!, sig.tags[0]!] })).toBe(false)
    })
  })

  describe('nonces', () => {
    // with one member the whole signature is c0 = Hc(αG, αH) and s0 = α − c0·x: two signatures that share
    // α give x = (s0 − s0') / (c0' − c0)
    function recoveredKey (a: { c0: Uint8Array, s: Uint8Array[] }, b: { c0: Uint8Array, s: Uint8Array[] }): Uint8Array {
      const ds = sodium.crypto_core_ristretto255_scalar_sub(a.s[0]!, b.s[0]!)
      const dc = sodium.crypto_core_ristretto255_scalar_sub(b.c0, a.c0)
      return sodium.crypto_core_ristretto255_scalar_mul(ds, sodium.crypto_core_ristretto255_scalar_invert(dc))
    }
    const key = sortedKeys[3]!
    const ring = [key.publicKey]

    it('a generator that repeats itself does not make two signatures share a nonce (the key stays secret)', () => {
      const stuck = (length: number): Uint8Array => new Uint8Array(length).fill(7)
      const a = ringSignWithRandom({ message: new Uint8Array(32).fill(1), ring, secretKey: key.secretKey, scopes }, stuck)
      const b = ringSignWithRandom({ message: new Uint8Array(32).fill(2), ring, secretKey: key.secretKey, scopes }, stuck)
      expect(ringVerify({ message: new Uint8Array(32).fill(1), ring, scopes, ...a })).toBe(true)
      expect(recoveredKey(a, b)).not.toEqual(key.secretKey)
      // the attack itself works when the nonce does repeat: the same message under another scope set shares nothing either
      const c = ringSignWithRandom({ message: new Uint8Array(32).fill(1), ring, secretKey: key.secretKey, scopes: [voteScope(new Uint8Array(32))] }, stuck)
      expect(recoveredKey(a, c)).not.toEqual(key.secretKey)
    })

    it('the same input and the same randomness give the same signature (nothing for an observer to combine)', () => {
      const stuck = (length: number): Uint8Array => new Uint8Array(length).fill(9)
      const input = { message, ring, secretKey: key.secretKey, scopes }
      expect(ringSignWithRandom(input, stuck)).toEqual(ringSignWithRandom(input, stuck))
      expect(ringSign(input)).not.toEqual(ringSign(input))
    })
  })

  it('an invalid point that skipped the structure check is an error inside, and false outside — never the identity', () => {
    const sig = signed(3, 1)
    const bad = new Uint8Array(32).fill(0xff)
    expect(verifyOverCheckedRing({ ...sig, ring: [sig.ring[0]!, bad, sig.ring[2]!] })).toBe(false)
  })
})
