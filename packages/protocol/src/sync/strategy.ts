import { equalBytes } from '../bytes.js'
import { compareBounds, compareItems, lowerIndex } from './bounds.js'
import type { Bound, SyncItem } from './bounds.js'
import { FINGERPRINT_BYTES, fingerprint } from './fingerprint.js'
import { SyncRange } from './sync.js'

/** How the peer's fingerprint ranges compare with this side's items. */
export interface RangeSpread {
  /** Fingerprint ranges the peer sent. */
  fingerprints: number
  /** Of which this side's items in the same range differ (count or fingerprint). */
  mismatched: number
  /** Items the peer counted in its fingerprint ranges. */
  theirs: number
  /** Items this side holds in the same ranges. */
  mine: number
}

/**
 * Compares the peer's FINGERPRINT ranges with this side's items (any order, repeats ignored). Ranges that are
 * not ascending, or fingerprints of the wrong size, are counted as neither (the reconciler rejects them).
 *
 * @example
 * ```ts
 * const spread = rangeSpread(items, reply.ranges) // after the responder split the first fingerprint
 * ```
 */
export function rangeSpread (items: Iterable<SyncItem>, ranges: readonly SyncRange[]): RangeSpread {
  const sorted = [...items].sort(compareItems).filter((item, i, all) => i === 0 || compareItems(all[i - 1]!, item) !== 0)
  const spread: RangeSpread = { fingerprints: 0, mismatched: 0, theirs: 0, mine: 0 }
  let lo = 0
  let previous: Bound | undefined
  for (const range of ranges) {
    const upper: Bound = { created: range.upperCreated, id: range.upperId }
    if (previous !== undefined && compareBounds(previous, upper) >= 0) break
    previous = upper
    const hi = lowerIndex(sorted, upper, lo)
    if (range.mode === SyncRange.Mode.FINGERPRINT && range.fingerprint.byteLength === FINGERPRINT_BYTES) {
      spread.fingerprints++
      spread.theirs += range.count
      spread.mine += hi - lo
      if (hi - lo !== range.count || !equalBytes(fingerprint(sorted, lo, hi), range.fingerprint)) spread.mismatched++
    }
    lo = hi
  }
  return spread
}

/** Share of the peer's first split that must differ before the sketch replaces ranges. */
export const SKETCH_SPREAD = 0.25

/**
 * Whether to finish a session with the sketch instead of ranges, once the responder split the first
 * fingerprint: when the differences are spread (more than a quarter of the sub-ranges differ), ranges would
 * list most ids, while the sketch costs ≈ 1.45 cells of ~13 bytes and an 8-byte short id per difference;
 * when they sit in a few ranges (a node that was away for a while), ranges cost less, and so they do when
 * this side holds less than half of what the peer counted (the peer pushes whole ranges this side lacks;
 * a side holding nothing never gets here: its empty fingerprint has the responder push everything at once).
 *
 * @example
 * ```ts
 * if (preferSketch(rangeSpread(items, reply.ranges))) // send { sketchSalt, sketchSize } instead of ranges
 * ```
 */
export function preferSketch (spread: RangeSpread): boolean {
  return spread.fingerprints > 0 && spread.mismatched > SKETCH_SPREAD * spread.fingerprints && 2 * spread.mine >= spread.theirs
}
