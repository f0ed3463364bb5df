/**
 * The fail-safe embargo timer of Dandelion++ and the arithmetic behind its mean.
 */
import { EMBARGO_EPSILON, EMBARGO_HOPS, HOP_LATENCY } from './constants.js'

/**
 * Dandelion++ Proposition 3: if every stem node draws its timer from an exponential distribution with
 * mean `T ≥ −k(k−1)·δ / (2·ln(1−ε))`, a post travels `k` hops of latency `δ` before any node on the stem
 * fluffs it through its timer, with probability at least `1−ε`. Returns that smallest mean, in the unit
 * of `hopLatency`.
 *
 * @example
 * ```ts
 * embargoMean(200, 10, 0.1) // ≈ 85_421 ms: the default
 * embargoMean(175, 5, 0.1)  // ≈ 16_610 ms (Monero's stated inputs; its 39 s comes from log10, not ln)
 * ```
 */
export function embargoMean (hopLatency: number, hops: number, epsilon: number): number {
  if (!(hopLatency > 0) || !(hops >= 2) || !(epsilon > 0 && epsilon < 1)) {
    throw new RangeError(`expected hopLatency > 0, hops >= 2 and 0 < epsilon < 1, got ${hopLatency}, ${hops}, ${epsilon}`)
  }
  return -hops * (hops - 1) * hopLatency / (2 * Math.log(1 - epsilon))
}

/**
 * Mean embargo timer in ms: Proposition 3 for `HOP_LATENCY` (200 ms), `EMBARGO_HOPS` (10) and
 * `EMBARGO_EPSILON` (0.1), i.e. 18 s / 0.2107 ≈ 85.4 s.
 *
 * @default ≈ 85_421
 */
export const EMBARGO_MEAN = embargoMean(HOP_LATENCY, EMBARGO_HOPS, EMBARGO_EPSILON)

/**
 * Draws an exponential delay with the given mean from a uniform `random()` in [0, 1).
 *
 * @example
 * ```ts
 * const delay = exponential(EMBARGO_MEAN, Math.random)
 * ```
 */
export function exponential (mean: number, random: () => number): number {
  // 1 - u lies in (0, 1], so the logarithm is finite
  return -mean * Math.log(1 - random())
}
