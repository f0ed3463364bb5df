/**
 * `npm run sim:anonymity`: first-spy precision and recall of Murmur's Dandelion++ stem (the real
 * StemRouter from packages/node) against publishing straight into gossip, on the same random networks,
 * next to the Dandelion++ paper's own setting.
 *
 *   node bench/anonymity/sim.ts [--nodes 100] [--trials 200] [--draws 10] [--q 0.1] [--seed 1] [--loop-limit N] [--no-write]
 *
 * Settings, each over `trials` random networks where every node posts once and `draws` random spy sets
 * are scored per spy fraction p (a trial's mean is one sample; figures are means over trials with 95 %
 * intervals):
 * - `mesh`: Murmur's setting. Every node dials 3 others (mean degree 6, gossipsub's D); stem successors
 *   are 2 of the 3 dialed peers, so the stem graph is quasi-4-regular; fluff probability q.
 * - `regular`: the paper's 4-regular anonymity graph (two random Hamiltonian cycles, each node dials its
 *   two cycle successors; gossip floods that graph); fluff probability q.
 * - `regular-q0`: as `regular` with q = 0, the setting of the paper's first-spy figures (stems end only
 *   when they close a cycle or a timer fires).
 * - `paper-*`: our re-implementation of the authors' simulator (see paper.ts): exact 4-regular and
 *   quasi-4-regular graphs with one-to-one routing and q = 0, and diffusion on the 4-regular graph.
 */
import { parseArgs } from 'node:util'
import { printFigures, writeResults } from '../lib/results.ts'
import { seededRandom } from '../lib/random.ts'
import { firstSpy, meanCi, pickSpies, score } from './estimator.ts'
import { LINKS, SPY_FRACTIONS, propagate, randomGraph, regularGraph } from './network.ts'
import { diffusionGuesses, hamiltonianUnion, quasiRegular, stemGuesses } from './paper.ts'
import type { Figure } from '../lib/results.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    trials: { type: 'string', default: '200' },
    draws: { type: 'string', default: '10' },
    q: { type: 'string', default: '0.1' },
    dials: { type: 'string', default: '3' },
    embargo: { type: 'string' },
    'loop-limit': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false }
  }
})
const nodes = Number(values.nodes)
const trials = Number(values.trials)
const draws = Number(values.draws)
const q = Number(values.q)
const dials = Number(values.dials)
const random = seededRandom(Number(values.seed))

/** Dandelion++ (Fanti et al. 2018), authors' simulator, 4-regular, n = 100: [Dandelion++, diffusion]. */
const REFERENCE: Record<string, [number, number] | undefined> = { '0.1': [0.036, 0.092], '0.2': [0.104, 0.237] }
const TARGET: Record<string, string | undefined> = { '0.1': '<= 0.04', '0.2': '<= 0.11' }

const samples = new Map<string, number[]>()
const add = (key: string, value: number): void => {
  const list = samples.get(key) ?? []
  list.push(value)
  samples.set(key, list)
}
const spyCount = (p: number): number => Math.round(p * nodes)

type Setting = 'mesh' | 'regular' | 'regular-q0'
interface Stats {
  authorFluffs: number
  /** Posts handed to a stem peer to publish, and those the author handed. */
  handoffs: number
  handoffsByAuthor: number
  stemHops: number
  reasons: Record<string, number>
  /** Per p: correct stem-mode guesses, and those a spy made from a stem copy (the rest came from gossip). */
  correct: Record<string, { all: number, byStem: number }>
}

/** Runs one setting with the real router; stem and direct on the same networks. */
function simulate (setting: Setting): Stats {
  const stats: Stats = { authorFluffs: 0, handoffs: 0, handoffsByAuthor: 0, stemHops: 0, reasons: {}, correct: {} }
  const options = {
    nodes, ...LINKS, random,
    fluffProbability: setting === 'regular-q0' ? 0 : q,
    embargoMean: values.embargo === undefined ? undefined : Number(values.embargo),
    loopLimit: values['loop-limit'] === undefined ? undefined : Number(values['loop-limit'])
  }
  for (let trial = 0; trial < trials; trial++) {
    const graph = setting === 'mesh' ? randomGraph(nodes, dials, random) : regularGraph(nodes, random)
    const runs = { stem: propagate(options, graph, true), direct: propagate(options, graph, false) }
    stats.authorFluffs += runs.stem.authorFluffs
    stats.handoffs += runs.stem.handoffs
    stats.handoffsByAuthor += runs.stem.handoffsByAuthor
    stats.stemHops += runs.stem.meanStemHops / trials
    for (const [reason, count] of Object.entries(runs.stem.reasons)) stats.reasons[reason] = (stats.reasons[reason] ?? 0) + count
    for (const p of SPY_FRACTIONS) {
      const sums = { stem: { precision: 0, recall: 0 }, direct: { precision: 0, recall: 0 } }
      for (let d = 0; d < draws; d++) {
        const spies = pickSpies(nodes, spyCount(p), random)
        for (const mode of ['stem', 'direct'] as const) {
          const result = firstSpy(runs[mode], nodes, spies)
          sums[mode].precision += result.precision
          sums[mode].recall += result.recall
          if (mode === 'stem') {
            const correct = stats.correct[p] ??= { all: 0, byStem: 0 }
            correct.all += result.correct
            correct.byStem += result.correctByStem
          }
        }
      }
      for (const mode of ['stem', 'direct'] as const) {
        add(`precision ${setting} ${p} ${mode}`, sums[mode].precision / draws)
        add(`recall ${setting} ${p} ${mode}`, sums[mode].recall / draws)
      }
    }
  }
  return stats
}

type PaperModel = 'paper-regular' | 'paper-quasi' | 'paper-diffusion'

/** The re-implemented authors' model: a fresh graph per trial, `draws` spy sets per p. */
function paperModel (): void {
  for (let trial = 0; trial < trials; trial++) {
    const regular = hamiltonianUnion(nodes, 2, random)
    const quasi = quasiRegular(nodes, 2, random)
    for (const p of SPY_FRACTIONS) {
      const sums: Record<PaperModel, number> = { 'paper-regular': 0, 'paper-quasi': 0, 'paper-diffusion': 0 }
      for (let d = 0; d < draws; d++) {
        const spies = pickSpies(nodes, spyCount(p), random)
        sums['paper-regular'] += score(stemGuesses(regular, spies, 'one-to-one', 0, random), spies).precision
        sums['paper-quasi'] += score(stemGuesses(quasi, spies, 'one-to-one', 0, random), spies).precision
        sums['paper-diffusion'] += score(diffusionGuesses(regular, spies, random), spies).precision
      }
      for (const [model, sum] of Object.entries(sums)) add(`precision ${model} ${p}`, sum / draws)
    }
  }
}

const started = performance.now()
const mesh = simulate('mesh')
const regular = simulate('regular')
const regularQ0 = simulate('regular-q0')
paperModel()

const figures: Figure[] = []
const id = (p: number): string => `p${String(Math.round(p * 100)).padStart(2, '0')}`
const push = (name: string, key: string, extra: Partial<Figure> = {}): void => {
  const { mean, ci95 } = meanCi(samples.get(key)!)
  figures.push({ figure: name, value: mean, unit: 'fraction', ...extra })
  figures.push({ figure: `${name}_ci95`, value: ci95, unit: 'fraction (± half-width)' })
}
for (const mode of ['stem', 'direct'] as const) {
  for (const p of SPY_FRACTIONS) {
    const reference = REFERENCE[String(p)]
    const extra: Partial<Figure> = {}
    if (mode === 'stem' && TARGET[String(p)] !== undefined) extra.target = TARGET[String(p)]
    if (reference !== undefined) extra.baseline = mode === 'stem' ? reference[0] : reference[1]
    push(`first_spy_precision_${id(p)}_${mode}`, `precision mesh ${p} ${mode}`, extra)
    push(`first_spy_recall_${id(p)}_${mode}`, `recall mesh ${p} ${mode}`)
  }
}
for (const p of SPY_FRACTIONS) {
  const reference = REFERENCE[String(p)]
  push(`first_spy_precision_${id(p)}_stem_4regular`, `precision regular ${p} stem`)
  push(`first_spy_precision_${id(p)}_direct_4regular`, `precision regular ${p} direct`)
  push(`first_spy_precision_${id(p)}_stem_4regular_q0`, `precision regular-q0 ${p} stem`, reference === undefined ? {} : { baseline: reference[0] })
  push(`paper_model_precision_${id(p)}_4regular`, `precision paper-regular ${p}`, reference === undefined ? {} : { baseline: reference[0] })
  push(`paper_model_precision_${id(p)}_quasi4regular`, `precision paper-quasi ${p}`)
  push(`paper_model_precision_${id(p)}_diffusion`, `precision paper-diffusion ${p}`, reference === undefined ? {} : { baseline: reference[1] })
}
for (const p of SPY_FRACTIONS) {
  const correct = mesh.correct[p]!
  figures.push({ figure: `first_spy_correct_by_stem_share_${id(p)}`, value: correct.byStem / correct.all, unit: 'fraction of correct stem-mode guesses' })
}
figures.push({ figure: 'sim_stem_mean_hops', value: mesh.stemHops, unit: 'hops per post' })
figures.push({ figure: 'sim_author_fluffs', value: mesh.authorFluffs, unit: 'own posts fluffed by their author' })
figures.push({ figure: 'sim_stem_mean_hops_4regular_q0', value: regularQ0.stemHops, unit: 'hops per post' })
figures.push({ figure: 'sim_posts', value: trials * nodes, unit: 'posts per mode and setting' })

console.log(`${trials} trials x ${nodes} nodes, q = ${q}, ${draws} spy draws per p; ${((performance.now() - started) / 1000).toFixed(1)} s`)
console.log('stem fluffs by reason (mesh):', mesh.reasons, `author fluffs ${mesh.authorFluffs}, handoffs ${mesh.handoffs} (${mesh.handoffsByAuthor} by the author)`)
console.log('stem fluffs by reason (4-regular):', regular.reasons, `author fluffs ${regular.authorFluffs}`)
console.log('stem fluffs by reason (4-regular, q = 0):', regularQ0.reasons, `author fluffs ${regularQ0.authorFluffs}`)
if (values['no-write']) {
  printFigures(figures)
} else {
  writeResults('anonymity', figures)
}
