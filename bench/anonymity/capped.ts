/**
 * An explored option, not deployed: capping the stem in-degree (see construction.ts and the section
 * "Explored: capping the stem in-degree" of docs/ANONYMITY.md). Runs the real StemRouter on stem graphs
 * built with and without the cap over Murmur's connection graph and prints first-spy precision.
 *
 *   node bench/anonymity/capped.ts [--nodes 100] [--trials 200] [--draws 10] [--repair 50] [--seed 1]
 *
 * Every setting runs for q = 0.1 and q = 0.05 (the router's default embargo timer: its 10 s floor outlasts
 * the longest stems of either), over
 * `trials` random connection graphs where every node dials 3 (mean degree 6) or 4 (mean degree 8) others:
 * - `today`: no cap, successors among the peers a node dialed (Murmur's deployed rule);
 * - `cap`: at most 2 inbound stem peers per node, claims in random order, no 2-cycles, fallback over
 *   the cap when no candidate accepts; `cap+repair`: also eviction walks (at most `repair` evictions
 *   per missing successor) before any fallback;
 * - `ideal`: an exact 4-regular stem graph (two random Hamiltonian cycles) inside a mean-degree-6 mesh
 *   (one extra random dial per node): the best any construction can reach with gossip over Murmur's mesh;
 * - `liar` / `squat`: `cap+repair` at degree 6, with spies that accept every claim, and that in addition
 *   occupy one inbound slot at each honest neighbour before the honest nodes claim.
 * Honest spies follow the protocol, so `draws` spy sets are scored per graph and p; for `liar` and
 * `squat` the graph depends on who spies, so each graph gets one spy set per p. Values are means with
 * 95 % confidence intervals over trials. Nothing is written to bench/results.
 */
import { parseArgs } from 'node:util'
import { STEM_SUCCESSORS } from '../../packages/node/dist/src/stem/constants.js'
import { buildStemGraph } from './construction.ts'
import { seededRandom } from '../lib/random.ts'
import { firstSpy, meanCi, pickSpies } from './estimator.ts'
import { LINKS, SPY_FRACTIONS, connectionsOf, propagate, randomGraph } from './network.ts'
import { hamiltonianUnion } from './paper.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    trials: { type: 'string', default: '200' },
    draws: { type: 'string', default: '10' },
    repair: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' }
  }
})
const nodes = Number(values.nodes)
const trials = Number(values.trials)
const draws = Number(values.draws)
const repair = Number(values.repair)
const random = seededRandom(Number(values.seed))

type Kind = 'today' | 'cap' | 'cap+repair' | 'ideal' | 'liar' | 'squat'
interface Setting { kind: Kind, dials: number, q: number }

const settings: Setting[] = []
for (const q of [0.1, 0.05]) {
  for (const dials of [3, 4]) {
    for (const kind of ['today', 'cap', 'cap+repair'] as const) settings.push({ kind, dials, q })
  }
  for (const kind of ['ideal', 'liar', 'squat'] as const) settings.push({ kind, dials: 3, q })
}

/** Connection graph and stem graph of one trial. */
function build (setting: Setting, spies?: Uint8Array): { adjacency: Array<Map<number, boolean>>, succ: number[][], inDegree?: Int32Array, fallbacks: number, evictions: number } {
  if (setting.kind === 'ideal') {
    const { succ } = hamiltonianUnion(nodes, 2, random)
    return { adjacency: connectionsOf(succ, 1, random), succ, fallbacks: 0, evictions: 0 }
  }
  const adjacency = randomGraph(nodes, setting.dials, random)
  const capped = setting.kind !== 'today'
  const graph = buildStemGraph(adjacency, {
    successors: STEM_SUCCESSORS,
    cap: capped ? 2 : Infinity,
    noMutual: capped,
    repair: setting.kind === 'cap' ? 0 : repair,
    liars: spies,
    squat: setting.kind === 'squat',
    random
  })
  return { adjacency, ...graph }
}

const started = performance.now()
const rows: Array<Record<string, string | number>> = []
for (const setting of settings) {
  const precision = new Map<number, number[]>(SPY_FRACTIONS.map((p) => [p, []]))
  const histogram = new Map<number, number>()
  let fallbacks = 0
  let evictions = 0
  let hops = 0
  let graphs = 0
  const options = {
    nodes, ...LINKS, random,
    fluffProbability: setting.q
  }
  const account = (graph: ReturnType<typeof build>, run: ReturnType<typeof propagate>): void => {
    graphs++
    fallbacks += graph.fallbacks
    evictions += graph.evictions
    hops += run.meanStemHops
    for (const d of graph.inDegree ?? []) histogram.set(d, (histogram.get(d) ?? 0) + 1)
  }
  for (let trial = 0; trial < trials; trial++) {
    if (setting.kind === 'liar' || setting.kind === 'squat') {
      for (const p of SPY_FRACTIONS) {
        const spies = pickSpies(nodes, Math.round(p * nodes), random)
        const graph = build(setting, spies)
        const run = propagate(options, graph.adjacency, true, graph.succ)
        account(graph, run)
        precision.get(p)!.push(firstSpy(run, nodes, spies).precision)
      }
    } else {
      const graph = build(setting)
      const run = propagate(options, graph.adjacency, true, graph.succ)
      account(graph, run)
      for (const p of SPY_FRACTIONS) {
        let sum = 0
        for (let d = 0; d < draws; d++) sum += firstSpy(run, nodes, pickSpies(nodes, Math.round(p * nodes), random)).precision
        precision.get(p)!.push(sum / draws)
      }
    }
  }
  const row: Record<string, string | number> = { setting: setting.kind, degree: 2 * setting.dials, q: setting.q }
  for (const p of SPY_FRACTIONS) {
    const { mean, ci95 } = meanCi(precision.get(p)!)
    row[`p=${p}`] = `${mean.toFixed(4)} ± ${ci95.toFixed(4)}`
  }
  row.hops = Number((hops / graphs).toFixed(1))
  row['fallbacks/node'] = Number((fallbacks / graphs / nodes).toFixed(4))
  row['evictions/node'] = Number((evictions / graphs / nodes).toFixed(2))
  const total = [...histogram.values()].reduce((a, b) => a + b, 0)
  if (total > 0) {
    const share = (d: number): string => ((histogram.get(d) ?? 0) / total).toFixed(3)
    const more = [...histogram].filter(([d]) => d >= 4).reduce((a, [, c]) => a + c, 0) / total
    row['in 0/1/2/3/4+'] = `${share(0)}/${share(1)}/${share(2)}/${share(3)}/${more.toFixed(3)}`
  }
  rows.push(row)
  console.log(JSON.stringify(row))
}
console.log(`${trials} trials x ${nodes} nodes, ${draws} honest spy draws per p, repair ${repair}; ${((performance.now() - started) / 1000).toFixed(1)} s`)
console.table(rows)
