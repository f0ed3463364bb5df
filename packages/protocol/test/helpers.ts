import { authBinding, contentDigest, postId, powDigest } from '../src/digest.js'
import { encodeEnvelope } from '../src/codec.js'
import { leadingZeroBits, powHash } from '../src/pow.js'
import type { Envelope } from '../src/wire/murmur.js'
import { sha256 } from '../src/hash.js'
import { concatBytes, u32be, utf8 } from '../src/bytes.js'
import type { RandomSource } from '../src/ring.js'
import type { RecordResult } from '../src/circle/records.js'

/** A deterministic byte stream (SHA-256 in counter mode) for reproducible vectors and properties. */
export function seededRandom (seed: string): RandomSource {
  const key = utf8(seed)
  let counter = 0
  let pool = new Uint8Array(0)
  return (length) => {
    while (pool.byteLength < length) {
      pool = concatBytes([pool, sha256(key, u32be(counter++))])
    }
    const out = pool.slice(0, length)
    pool = pool.slice(length)
    return out
  }
}

/** A fixed "now" for vectors: 2026-01-01T00:00:00Z. */
export const VECTOR_NOW = 1_767_225_600

/**
 * Mines an envelope again after a test changed it (what an attacker who pays the proof of work does), so
 * that the checks after the proof of work are reached: the bytes with a nonce meeting `bits`.
 */
export function remine (envelope: Envelope, topic: string, bits: number): Uint8Array {
  const digest = powDigest(postId(contentDigest(topic, envelope.post), authBinding(envelope)), envelope)
  let nonce = 0n
  while (leadingZeroBits(powHash(digest, nonce)) < bits) nonce++
  return encodeEnvelope({ ...envelope, pow: nonce })
}

/** The record of a circle record result, or a throw with its reason (for tests that build valid records). */
export function recordOf<T> (result: RecordResult<T>): T {
  if (!result.ok) throw new Error(result.reason)
  return result.record
}
