/**
 * The fail-safe embargo timer of the stem: a floor plus an exponential part (see `EMBARGO_MIN`).
 */

/**
 * Draws an exponential delay with the given mean from a uniform `random()` in [0, 1).
 *
 * @example
 * ```ts
 * const delay = exponential(10_000, Math.random)
 * ```
 */
export function exponential (mean: number, random: () => number): number {
  // 1 - u lies in (0, 1], so the logarithm is finite
  return -mean * Math.log(1 - random())
}
