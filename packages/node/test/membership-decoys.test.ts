import { compareBytes, generateAuthorKey, toHex } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { chooseRing, tenures } from '../src/membership/decoys.js'
import { openRingBook } from '../src/membership/ring-book.js'
import type { DecoyCandidate } from '../src/membership/decoys.js'
import type { RandomSource } from '@murmur/protocol'

/** A seeded xorshift32 byte source: the same rings on every run. */
function seeded (seed: number): RandomSource {
  let state = seed >>> 0 || 1
  return (length) => {
    const bytes = new Uint8Array(length)
    for (let i = 0; i < length; i++) {
      state ^= state << 13; state >>>= 0
      state ^= state >>> 17
      state ^= state << 5; state >>>= 0
      bytes[i] = state & 0xff
    }
    return bytes
  }
}

/** Distinct 32-byte keys (decoy choice never looks inside a key, so no point arithmetic is spent on them). */
const keys = (n: number): Uint8Array[] => Array.from({ length: n }, () => crypto.getRandomValues(new Uint8Array(32)))
const withTenure = (memberKeys: Uint8Array[], tenure: number): DecoyCandidate[] => memberKeys.map((memberKey) => ({ memberKey, tenure }))

/** Mean number of ring members that are not the attacker's (the signer included), over `rounds` rings. */
function effectiveAnonymity (honest: DecoyCandidate[], attacker: DecoyCandidate[], rounds: number, random: RandomSource): number {
  const attackers = new Set(attacker.map((c) => toHex(c.memberKey)))
  let total = 0
  for (let i = 0; i < rounds; i++) {
    const signer = honest[i % honest.length]!
    const ring = chooseRing({ signer: signer.memberKey, signerTenure: signer.tenure, candidates: [...honest, ...attacker], random })
    total += ring.filter((key) => !attackers.has(toHex(key))).length
  }
  return total / rounds
}

describe('decoy selection', () => {
  it('an attacker who minted 90 % of the directory with fresh keys gets none into a long-standing member\'s ring', () => {
    const honest = withTenure(keys(100), 3)
    const attacker = withTenure(keys(900), 1)
    expect(effectiveAnonymity(honest, attacker, 200, seeded(1))).toBe(16)
  })

  it('an attacker paying for keys over several weeks gets its share, no more (black marble degrades gracefully)', () => {
    const random = seeded(2)
    for (const share of [0.1, 0.5, 0.9]) {
      const honest = withTenure(keys(Math.round(400 * (1 - share))), 2)
      const attacker = withTenure(keys(Math.round(400 * share)), 2)
      // uniform choice: 1 signer + 15 decoys, each honest with probability (honest − 1) / (all − 1)
      const expected = 1 + 15 * (honest.length - 1) / (honest.length + attacker.length - 1)
      expect(effectiveAnonymity(honest, attacker, 600, random), `attacker share ${share}`).toBeCloseTo(expected, 0)
    }
  })

  it('draws decoys uniformly over the preferred keys', () => {
    const random = seeded(3)
    const pool = withTenure(keys(40), 2)
    const signer = generateAuthorKey().publicKey
    const counts = new Map(pool.map((c) => [toHex(c.memberKey), 0]))
    const rounds = 4000
    for (let i = 0; i < rounds; i++) {
      for (const key of chooseRing({ signer, signerTenure: 5, candidates: pool, random })) {
        const hex = toHex(key)
        if (counts.has(hex)) counts.set(hex, counts.get(hex)! + 1)
      }
    }
    const p = 15 / 40
    const sigma = Math.sqrt(rounds * p * (1 - p))
    for (const count of counts.values()) expect(Math.abs(count - rounds * p)).toBeLessThan(5 * sigma)
  })

  it('a new signer draws from every key, so its own newness does not single it out; a veteran prefers veterans', () => {
    const random = seeded(4)
    const veterans = withTenure(keys(30), 2)
    const fresh = withTenure(keys(30), 1)
    const freshKeys = new Set(fresh.map((c) => toHex(c.memberKey)))
    const newcomer = generateAuthorKey().publicKey
    let freshChosen = 0
    for (let i = 0; i < 200; i++) {
      freshChosen += chooseRing({ signer: newcomer, signerTenure: 1, candidates: [...veterans, ...fresh], random }).filter((k) => freshKeys.has(toHex(k))).length
    }
    expect(freshChosen / 200).toBeCloseTo(7.5, 0)
    const veteranRing = chooseRing({ signer: veterans[0]!.memberKey, signerTenure: 2, candidates: [...veterans, ...fresh], random })
    expect(veteranRing.filter((k) => freshKeys.has(toHex(k)))).toEqual([])
  })

  it('returns the signer and distinct decoys, ascending; falls back to newer keys, and to a smaller ring only when the directory is smaller', () => {
    const random = seeded(5)
    const signer = generateAuthorKey().publicKey
    const ring = chooseRing({ signer, signerTenure: 2, candidates: [...withTenure(keys(5), 2), ...withTenure(keys(20), 1), { memberKey: signer, tenure: 2 }], random })
    expect(ring.length).toBe(16)
    expect(new Set(ring.map(toHex)).size).toBe(16)
    expect([...ring].sort(compareBytes)).toEqual(ring)
    expect(ring.some((k) => toHex(k) === toHex(signer))).toBe(true)
    const small = chooseRing({ signer, signerTenure: 2, candidates: withTenure(keys(6), 2), random })
    expect(small.length).toBe(7)
    expect(() => chooseRing({ signer, signerTenure: 1, candidates: [], size: 1 })).toThrow(RangeError)
  })

  it('reuses the previous ring of a thread pseudonym, replacing only members whose stamps lapsed', () => {
    const random = seeded(6)
    const signer = generateAuthorKey().publicKey
    const pool = withTenure(keys(100), 2)
    const first = chooseRing({ signer, signerTenure: 2, candidates: pool, random })
    expect(chooseRing({ signer, signerTenure: 2, candidates: pool, previous: first, random })).toEqual(first)
    const lapsed = new Set(first.filter((k) => toHex(k) !== toHex(signer)).slice(0, 3).map(toHex))
    const next = chooseRing({ signer, signerTenure: 2, candidates: pool.filter((c) => !lapsed.has(toHex(c.memberKey))), previous: first, random })
    const kept = first.filter((k) => !lapsed.has(toHex(k))).map(toHex)
    expect(next.length).toBe(16)
    expect(next.map(toHex).filter((k) => kept.includes(k)).length).toBe(13)
    expect(next.some((k) => lapsed.has(toHex(k)))).toBe(false)
  })

  it('counts tenure as consecutive stamped weeks ending now; a gap restarts it', () => {
    const [a, b, c] = keys(3) as [Uint8Array, Uint8Array, Uint8Array]
    const weeks = new Map<number, Uint8Array[]>([[10, [a, b, c]], [9, [a, b]], [8, [a]], [7, [a, b]]])
    const result = new Map(tenures(10, (w) => weeks.get(w) ?? []).map((t) => [toHex(t.memberKey), t.tenure]))
    expect(result).toEqual(new Map([[toHex(a), 4], [toHex(b), 2], [toHex(c), 1]]))
  })
})

describe('ring book', () => {
  it('keeps a thread\'s ring across a restart until the thread expires, so later posts reuse it', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    let now = 1_000_000
    const thread = crypto.getRandomValues(new Uint8Array(32))
    const other = crypto.getRandomValues(new Uint8Array(32))
    const signer = keys(1)[0]!
    const pool = withTenure(keys(50), 2)
    const book = await openRingBook({ db, clock: () => now })
    const ring = chooseRing({ signer, signerTenure: 2, candidates: pool, previous: book.get(thread), random: seeded(7) })
    await book.set(thread, ring, now + 3600)
    await book.set(other, ring.slice(0, 2), now + 60)

    const reopened = await openRingBook({ db, clock: () => now })
    expect(reopened.get(thread)).toEqual(ring)
    expect(chooseRing({ signer, signerTenure: 2, candidates: pool, previous: reopened.get(thread), random: seeded(8) })).toEqual(ring)
    // a shorter-lived post later in the thread does not shorten the ring's life
    await reopened.set(thread, ring, now + 10)
    now += 600
    expect(reopened.get(other)).toBeUndefined()
    expect(reopened.get(thread)).toEqual(ring)
    now += 3600
    expect((await openRingBook({ db, clock: () => now })).get(thread)).toBeUndefined()
    await db.close()
  })
})
