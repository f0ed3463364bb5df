import { encode as varint } from 'uint8-varint'
import { sha256 } from '../hash.js'
import type { SyncItem } from './bounds.js'

/** Bytes of a range fingerprint. */
export const FINGERPRINT_BYTES = 16

/**
 * Fingerprint of a set of items (negentropy's): the first 16 bytes of
 * `SHA-256(sum of ids as 256-bit little-endian integers mod 2^256 || varint(count))`.
 * Order-independent, so both sides compute it over their own sorted items.
 *
 * @example
 * ```ts
 * const fp = fingerprint(items, 0, items.length)
 * ```
 */
export function fingerprint (items: readonly SyncItem[], from: number, to: number): Uint8Array {
  // a peer's thousands of ranges over nothing here are each answered with this one (a hash apiece before)
  if (from >= to) return (EMPTY ??= digest(new Uint32Array(8), 0)).slice()
  const sum = new Uint32Array(8)
  for (let i = from; i < to; i++) {
    const id = items[i]!.id
    let carry = 0
    for (let limb = 0; limb < 8; limb++) {
      const o = limb * 4
      const v = sum[limb]! + (id[o]! | (id[o + 1]! << 8) | (id[o + 2]! << 16)) + id[o + 3]! * 0x1000000 + carry
      sum[limb] = v >>> 0
      carry = v > 0xffffffff ? 1 : 0
    }
  }
  return digest(sum, to - from)
}

/** The fingerprint of no items, computed once (after libsodium is ready). */
let EMPTY: Uint8Array | undefined

/** The fingerprint of `count` items whose ids sum to `sum` (eight 32-bit limbs, least significant first). */
function digest (sum: Uint32Array, count: number): Uint8Array {
  // written out little-endian whatever the host's byte order
  const le = new Uint8Array(32)
  const view = new DataView(le.buffer)
  for (let limb = 0; limb < 8; limb++) view.setUint32(limb * 4, sum[limb]!, true)
  return sha256(le, varint(count)).subarray(0, FINGERPRINT_BYTES)
}
