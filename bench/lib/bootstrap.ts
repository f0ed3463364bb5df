/**
 * Confidence intervals by the bootstrap, for statistics (a difference of p99s, say) that have no closed
 * form. Seeded, so a run's interval is reproducible from its raw data.
 */
import { seededRandom } from './random.ts'

/** Resamples of a bootstrap interval. */
export const BOOTSTRAP_RESAMPLES = 2_000

/**
 * A 95 % percentile-bootstrap interval of `statistic` over paired samples: each resample draws pair
 * indices with replacement and applies `statistic` to the two drawn lists, so measurements taken back to
 * back (a stem post and a direct post) stay together.
 *
 * @example
 * ```ts
 * const [low, high] = pairedBootstrap(stem, direct, (a, b) => quantile(a, 0.99) - quantile(b, 0.99))
 * ```
 */
export function pairedBootstrap (a: readonly number[], b: readonly number[], statistic: (a: number[], b: number[]) => number, resamples = BOOTSTRAP_RESAMPLES, seed = 1): [number, number] {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`expected two non-empty lists of one length, got ${a.length} and ${b.length}`)
  const random = seededRandom(seed)
  const values: number[] = []
  for (let r = 0; r < resamples; r++) {
    const drawnA: number[] = []
    const drawnB: number[] = []
    for (let i = 0; i < a.length; i++) {
      const j = Math.floor(random() * a.length)
      drawnA.push(a[j]!)
      drawnB.push(b[j]!)
    }
    values.push(statistic(drawnA, drawnB))
  }
  values.sort((x, y) => x - y)
  return [values[Math.floor(0.025 * resamples)]!, values[Math.ceil(0.975 * resamples) - 1]!]
}
