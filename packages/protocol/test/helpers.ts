import { sha256 } from '../src/hash.js'
import { concatBytes, u32be, utf8 } from '../src/bytes.js'
import type { RandomSource } from '../src/ring.js'

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
