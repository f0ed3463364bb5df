/**
 * How well a timing oracle tells two kinds of samples apart (an own post's delay from a relayed one's):
 * the estimator the timing tests share.
 */

/**
 * The value at quantile `q` of sorted `values`.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5) // 3
 * ```
 */
export function quantile (values: number[], q: number): number {
  return values[Math.min(values.length - 1, Math.floor(q * values.length))]!
}

/**
 * The best single-threshold classifier's advantage at telling samples `a` from samples `b` (the two
 * empirical distributions' Kolmogorov–Smirnov distance): 0 when they are alike, 1 when a threshold
 * splits them.
 *
 * @example
 * ```ts
 * advantage([1, 2, 3], [4, 5, 6]) // 1
 * ```
 */
export function advantage (a: number[], b: number[]): number {
  const all = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))].sort((x, y) => x.value - y.value)
  let below = 0
  let best = 0
  for (const { first } of all) {
    below += first ? 1 / a.length : -1 / b.length
    best = Math.max(best, Math.abs(below))
  }
  return best
}

/**
 * One line for a failed timing assertion: the quartiles of both kinds (in µs) and the advantage.
 *
 * @example
 * ```ts
 * expect(advantage(own, relayed), timingReport(own, relayed)).toBeLessThan(0.3)
 * ```
 */
export function timingReport (own: number[], relayed: number[]): string {
  const quartiles = (values: number[]): string => {
    const sorted = [...values].sort((x, y) => x - y)
    return [0.25, 0.5, 0.75].map((q) => quantile(sorted, q).toFixed(0)).join('/')
  }
  return `own ${quartiles(own)} µs, relayed ${quartiles(relayed)} µs, advantage ${advantage(own, relayed).toFixed(2)}`
}
