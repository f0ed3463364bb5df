/**
 * Where a stem that keeps coming back ends (issue 14 §3): who publishes such a post, and what that tells
 * an observer, on Murmur's mesh (every node dials 3, the real StemRouter, q = 0.1) at several sizes, with
 * the stem handed on to be published where it ends on a loop (`HAND_OFF`, rows without a suffix) and
 * published where the loop closed (the rule before, `_publish_at_loop` rows), from the same seed.
 * Observers: one timing every node's first gossip copy guesses the publisher; colluding spies (p = 0.1,
 * 0.2) guess as the first spy does, except that a spy handed a post to publish guesses the node that
 * handed it (`mark_aware`).
 *
 *   node bench/anonymity/stem-end.ts [--sizes 6,10,20,50,100] [--trials 100] [--draws 10] [--seed 1] [--no-write]
 */
import { parseArgs } from 'node:util'
import { printFigures, writeResults } from '../lib/results.ts'
import { seededRandom } from '../lib/random.ts'
import { firstSpyGuesses, meanCi, pickSpies, score } from './estimator.ts'
import { LINKS, propagate, randomGraph } from './network.ts'
import type { Figure } from '../lib/results.ts'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '6,10,20,50,100' },
    trials: { type: 'string', default: '100' },
    draws: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false }
  }
})
const sizes = values.sizes.split(',').map(Number)
const trials = Number(values.trials)
const draws = Number(values.draws)
const P = [0.1, 0.2]
const figures: Figure[] = []

for (const n of sizes) for (const handOff of [true, false]) {
  const random = seededRandom(Number(values.seed) * 7_919 + n)
  let ownByAuthor = 0
  let handoffs = 0
  let handoffsByAuthor = 0
  const pub: number[] = []
  const fs: Record<number, number[]> = {}
  const mark: Record<number, number[]> = {}
  const started = performance.now()
  for (let trial = 0; trial < trials; trial++) {
    const graph = randomGraph(n, 3, random)
    const run = propagate({ nodes: n, ...LINKS, random, fluffProbability: 0.1, handOff }, graph, true)
    for (let o = 0; o < n; o++) if (run.publisher[o] === o) ownByAuthor++
    handoffs += run.handoffs
    handoffsByAuthor += run.handoffsByAuthor
    // an observer of every node's first gossip copy guesses the publisher
    pub.push(score(run.publisher, new Uint8Array(n)).precision)
    for (const p of P) {
      let sumFs = 0
      let sumMark = 0
      for (let d = 0; d < draws; d++) {
        const spies = pickSpies(n, Math.max(1, Math.round(p * n)), random)
        const { guesses } = firstSpyGuesses(run, n, spies)
        sumFs += score(guesses, spies).precision
        // a spy handed a post to publish guesses the node that handed it; otherwise the first spy's guess
        const marked = Int32Array.from(guesses)
        for (let o = 0; o < n; o++) {
          for (let s = 0; s < n; s++) if (spies[s] === 1 && run.markFrom[o * n + s]! >= 0) marked[o] = run.markFrom[o * n + s]!
        }
        sumMark += score(marked, spies).precision
      }
      ;(fs[p] ??= []).push(sumFs / draws)
      ;(mark[p] ??= []).push(sumMark / draws)
    }
  }
  const posts = n * trials
  const suffix = `_n${n}${handOff ? '' : '_publish_at_loop'}`
  const row = (figure: string, value: number, unit: string): void => { figures.push({ figure: `${figure}${suffix}`, value, unit }) }
  row('stem_end_own_published_by_author_share', ownByAuthor / posts, 'fraction of own posts')
  row('stem_end_handoffs_per_post', handoffs / posts, 'posts handed on to be published')
  row('stem_end_handoff_by_author_share', handoffs === 0 ? 0 : handoffsByAuthor / handoffs, 'fraction of handoffs whose sender wrote the post')
  row('stem_end_publisher_precision', meanCi(pub).mean, 'precision of guessing the publisher')
  for (const p of P) {
    const id = `p${String(Math.round(p * 100)).padStart(2, '0')}`
    const a = meanCi(fs[p]!)
    const b = meanCi(mark[p]!)
    row(`stem_end_first_spy_precision_${id}`, a.mean, `fraction (± ${a.ci95.toFixed(4)})`)
    row(`stem_end_mark_aware_precision_${id}`, b.mean, `fraction (± ${b.ci95.toFixed(4)})`)
  }
  console.log(`n = ${n}${handOff ? '' : ' (published at the loop)'}: ${trials} trials, ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
if (values['no-write']) printFigures(figures)
else writeResults('stem-end', figures)
