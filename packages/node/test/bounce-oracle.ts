/**
 * The bounce-oracle attacker shared by test/stem-bounce.test.ts and bench/stem-bounce.ts: it learns
 * which observation goes with which kind of post on some seeds and guesses on others.
 */

/** Whether the post V handed on is its own or one it relays. */
export type PostKind = 'own' | 'relayed'

/**
 * The attacker's guessing advantage, 2 · accuracy − 1 (0: a coin toss, 1: always right): it learns the
 * most likely kind of each observation on seeds `first` to `first + learn − 1` and guesses on the `guess`
 * seeds after them; a tie counts as half right.
 *
 * @example
 * ```ts
 * const value = oracleAdvantage((kind, seed) => observe(kind, seed), 1, 300, 300)
 * ```
 */
export function oracleAdvantage (observe: (kind: PostKind, seed: number) => string, first: number, learn: number, guess: number): number {
  const learned = new Map<string, { own: number, relayed: number }>()
  for (let seed = first; seed < first + learn; seed++) {
    for (const kind of ['own', 'relayed'] as const) {
      const key = observe(kind, seed)
      const counts = learned.get(key) ?? { own: 0, relayed: 0 }
      counts[kind]++
      learned.set(key, counts)
    }
  }
  let correct = 0
  for (let seed = first + learn; seed < first + learn + guess; seed++) {
    for (const kind of ['own', 'relayed'] as const) {
      const counts = learned.get(observe(kind, seed)) ?? { own: 0, relayed: 0 }
      const other = kind === 'own' ? 'relayed' : 'own'
      correct += counts[kind] > counts[other] ? 1 : counts[kind] === counts[other] ? 0.5 : 0
    }
  }
  return 2 * correct / (2 * guess) - 1
}
