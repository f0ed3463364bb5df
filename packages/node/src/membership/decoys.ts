/**
 * Choosing a ring's decoys from the member directory against the black-marble attack: an attacker who
 * mints a share of the directory fills honest rings with its keys, and a ring whose decoys are all its
 * keys names its signer. Decoys are drawn uniformly among keys that kept their stamps for several
 * consecutive weeks (an attacker must keep paying for every such key, and fresh sybils are never chosen
 * over them), and an author's linked posts keep one ring, replacing only members whose stamps lapsed, so
 * that intersecting them reveals no more than one ring.
 */
import { MAX_RING_SIZE, MIN_MEMBER_RING, compareBytes, equalBytes, toHex } from '@murmur/protocol'
import type { RandomSource } from '@murmur/protocol'

/** Consecutive stamped weeks (ending with the current one) that make a key a preferred decoy. @default 2 */
export const DECOY_PREFERRED_TENURE = 2

/** A directory member that may serve as a decoy. */
export interface DecoyCandidate {
  /** The member's public key. */
  memberKey: Uint8Array
  /** Consecutive weeks, ending with the current one, it held a stamp in (1: stamped this week only). */
  tenure: number
}

/** Options of {@link chooseRing}. */
export interface ChooseRingInit {
  /** The signer's member public key (in the ring, never counted as a decoy). */
  signer: Uint8Array
  /** The signer's own tenure: a newer signer draws from a wider set, so it is not the odd one out. */
  signerTenure: number
  /** Members holding a stamp accepted now (the signer may be among them). */
  candidates: readonly DecoyCandidate[]
  /** Ring size asked for, signer included. @default MIN_MEMBER_RING */
  size?: number
  /** The ring this signer used before for the same thread pseudonym: its members with stamps are kept. */
  previous?: readonly Uint8Array[]
  /** Tenure that makes a key preferred. @default DECOY_PREFERRED_TENURE */
  preferredTenure?: number
  /** Random bytes (injectable for deterministic tests). @default crypto.getRandomValues */
  random?: RandomSource
}

const defaultRandom: RandomSource = (length) => globalThis.crypto.getRandomValues(new Uint8Array(length))

/** A uniform integer in [0, bound) by rejection sampling over 32-bit draws. */
function uniformBelow (bound: number, random: RandomSource): number {
  const limit = Math.floor(2 ** 32 / bound) * bound
  for (;;) {
    const bytes = random(4)
    const value = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false)
    if (value < limit) return value % bound
  }
}

/** `count` distinct items of `pool`, each subset equally likely (a partial Fisher–Yates shuffle of a copy). */
function sample<T> (pool: readonly T[], count: number, random: RandomSource): T[] {
  const items = [...pool]
  const n = Math.min(count, items.length)
  for (let i = 0; i < n; i++) {
    const j = i + uniformBelow(items.length - i, random)
    const swap = items[i]!
    items[i] = items[j]!
    items[j] = swap
  }
  return items.slice(0, n)
}

/**
 * A ring for a ring-signed vote or post: the signer and `size − 1` decoys, ascending (RingAuth order).
 * Keeps the still-stamped members of `previous` (an author's linked posts reuse one ring); fills the rest
 * uniformly from keys with at least `min(preferredTenure, signerTenure)` consecutive stamped weeks, and
 * only when those run out from newer keys. A smaller ring only when the directory is smaller. Pure.
 *
 * @example
 * ```ts
 * const ring = chooseRing({ signer: member.publicKey, signerTenure: 3, candidates, previous: rings.get(pseudonym) })
 * rings.set(pseudonym, ring)
 * ```
 */
export function chooseRing (init: ChooseRingInit): Uint8Array[] {
  const size = init.size ?? MIN_MEMBER_RING
  if (!Number.isInteger(size) || size < 2 || size > MAX_RING_SIZE) throw new RangeError(`expected a ring size in 2..${MAX_RING_SIZE}, got ${size}`)
  const random = init.random ?? defaultRandom
  const threshold = Math.min(init.preferredTenure ?? DECOY_PREFERRED_TENURE, init.signerTenure)
  const others = init.candidates.filter((c) => !equalBytes(c.memberKey, init.signer))
  // hex only when there is a previous ring to match against: most calls have none
  const previous = new Set((init.previous ?? []).map(toHex))
  const isPrevious = (c: DecoyCandidate): boolean => previous.size > 0 && previous.has(toHex(c.memberKey))
  const kept = others.filter(isPrevious).slice(0, size - 1)
  const rest = others.filter((c) => !isPrevious(c))
  const preferred = rest.filter((c) => c.tenure >= threshold)
  const newer = rest.filter((c) => c.tenure < threshold)
  let needed = size - 1 - kept.length
  const chosen = sample(preferred, needed, random)
  needed -= chosen.length
  chosen.push(...sample(newer, needed, random))
  return [init.signer, ...kept.map((c) => c.memberKey), ...chosen.map((c) => c.memberKey)].sort(compareBytes)
}

/**
 * Each member's tenure from the weeks the directory (or the node's longer memory) saw it stamped: the
 * number of consecutive weeks ending with `week` in which it held a stamp; members without a stamp for
 * `week` are left out.
 *
 * @example
 * ```ts
 * const candidates = tenures(week, (w) => directory.members(w))
 * ```
 */
export function tenures (week: number, membersOf: (week: number) => readonly Uint8Array[], maxWeeks = 8): DecoyCandidate[] {
  const current = membersOf(week)
  const tenure = new Map<string, DecoyCandidate>(current.map((memberKey) => [toHex(memberKey), { memberKey, tenure: 1 }]))
  let alive = new Set(tenure.keys())
  for (let back = 1; back < maxWeeks && alive.size > 0 && week - back >= 0; back++) {
    const earlier = new Set(membersOf(week - back).map(toHex))
    alive = new Set([...alive].filter((key) => earlier.has(key)))
    for (const key of alive) tenure.get(key)!.tenure++
  }
  return [...tenure.values()]
}
