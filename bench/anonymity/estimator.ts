/**
 * The first-spy estimator and its precision and recall (Dandelion, Bojja Venkatakrishnan et al. 2017;
 * Dandelion++, Fanti et al. 2018): colluding spies guess, as the origin of a post, the neighbour the
 * first spy to see it got it from. With one post per honest node v (post X_v) and guess M(X_v):
 *   recall    = (1/|H|) · Σ_v 1{M(X_v) = v}
 *   precision = (1/|H|) · Σ_v 1{M(X_v) = v} / |{w : M(X_w) = v}|
 * normalised by the number of honest nodes H (normalising by all n nodes would scale both by 1 − p).
 */
import type { Propagation } from './network.ts'

/** Precision and recall of one spy set. */
export interface Score {
  precision: number
  recall: number
  /** Correct guesses made by a first spy that got the post over the stem (0 where there is no stem). */
  correctByStem: number
  /** Correct guesses in all. */
  correct: number
}

/** Picks `count` distinct spies uniformly. */
export function pickSpies (n: number, count: number, random: () => number): Uint8Array {
  const spies = new Uint8Array(n)
  let picked = 0
  while (picked < count) {
    const v = Math.floor(random() * n)
    if (spies[v] === 0) { spies[v] = 1; picked++ }
  }
  return spies
}

/** Uniform in [0, 1). */
export type Random = () => number

/**
 * First-spy guesses for one propagation and one spy set: per origin, the neighbour the first spy got it
 * from, and whether that spy got it over the stem.
 */
export function firstSpyGuesses (propagation: Propagation, n: number, spies: Uint8Array): { guesses: Int32Array, byStem: Uint8Array } {
  const guesses = new Int32Array(n).fill(-1)
  const byStem = new Uint8Array(n)
  for (let origin = 0; origin < n; origin++) {
    if (spies[origin] === 1) continue
    let best = Infinity
    for (let s = 0; s < n; s++) {
      if (spies[s] === 0) continue
      const k = origin * n + s
      const at = propagation.firstAt[k]!
      if (at < best) {
        best = at
        guesses[origin] = propagation.firstFrom[k]!
        byStem[origin] = propagation.firstByStem[k]!
      }
    }
  }
  return { guesses, byStem }
}

/**
 * Precision and recall of per-origin guesses (-1: no guess; spies' own posts are not scored); `byStem`
 * marks the guesses a spy made from a stem copy.
 */
export function score (guesses: Int32Array, spies: Uint8Array, byStem?: Uint8Array): Score {
  const n = guesses.length
  const load = new Int32Array(n)
  let honest = 0
  for (let origin = 0; origin < n; origin++) {
    if (spies[origin] === 1) continue
    honest++
    const guess = guesses[origin]!
    if (guess >= 0) load[guess]!++
  }
  let precision = 0
  let correct = 0
  let correctByStem = 0
  for (let origin = 0; origin < n; origin++) {
    if (spies[origin] === 1 || guesses[origin] !== origin) continue
    correct++
    correctByStem += byStem?.[origin] ?? 0
    precision += 1 / load[origin]!
  }
  return { precision: precision / honest, recall: correct / honest, correct, correctByStem }
}

/** Scores the first-spy estimator on one propagation for one spy set. */
export function firstSpy (propagation: Propagation, n: number, spies: Uint8Array): Score {
  const { guesses, byStem } = firstSpyGuesses(propagation, n, spies)
  return score(guesses, spies, byStem)
}

/** Mean and 95 % confidence half-width (normal approximation) of independent samples. */
export function meanCi (samples: number[]): { mean: number, ci95: number } {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, samples.length - 1)
  return { mean, ci95: 1.96 * Math.sqrt(variance / samples.length) }
}
