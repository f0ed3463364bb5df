/**
 * A re-implementation, from its description, of the model behind the published Dandelion++ first-spy
 * figures (Fanti et al., SIGMETRICS 2018; the authors' simulator is the public `dandelion-simulations`
 * repository). It exists so that our numbers can be set beside the paper's own setting, run by us:
 *
 * - Anonymity graph: the union of `d` random directed Hamiltonian cycles, so every node has exactly `d`
 *   successors and `d` predecessors (d = 2: the "4-regular" graph; d = 1: the Dandelion line).
 * - Stem: every honest node sends one transaction; each hop forwards it to one successor (per
 *   transaction at random, per inbound edge at random, or by a one-to-one map of inbound edges onto
 *   successors; the own transaction goes to a successor drawn at random). A node the transaction
 *   already visited sends it to its other successor. The stem ends only at the first spy: fluff
 *   probability q = 0, the setting of the paper's first-spy figures, unless `q` is given (then each
 *   honest hop ends the stem with probability q and the adversary is told who handed it to that node,
 *   as in the authors' code).
 * - Adversary: spies do not relay; the first spy on the stem notes the honest node that handed it the
 *   transaction and guesses it as the source. A stem that wanders more than n hops without meeting a
 *   spy is charged to a random spy, guessing the node it stopped at.
 * - Diffusion baseline: the transaction spreads over the undirected graph, each step along a boundary
 *   edge chosen uniformly (diffusion with i.i.d. exponential edge delays); the first spy reached guesses
 *   the node that infected it.
 */
import { shuffle } from '../lib/random.ts'
import type { Random } from './estimator.ts'

/** How a node picks the successor of a relayed transaction. */
export type Routing = 'per-tx' | 'per-edge' | 'one-to-one'

/** Directed graph as successor and predecessor lists. */
export interface Digraph {
  succ: number[][]
  pred: number[][]
}

/** Union of `d` random Hamiltonian cycles on `n` nodes: d successors and d predecessors each. */
export function hamiltonianUnion (n: number, d: number, random: Random): Digraph {
  const succ: number[][] = Array.from({ length: n }, () => [])
  const pred: number[][] = Array.from({ length: n }, () => [])
  for (let c = 0; c < d; c++) {
    const order = shuffle(Array.from({ length: n }, (_, i) => i), random)
    for (let i = 0; i < n; i++) {
      const from = order[i]!
      const to = order[(i + 1) % n]!
      succ[from]!.push(to)
      pred[to]!.push(from)
    }
  }
  return { succ, pred }
}

/**
 * The paper's quasi-4-regular graph: every node picks `d` distinct random out-neighbours (in-degree
 * then varies, about Poisson(d)); the decentralised construction a real network can run.
 */
export function quasiRegular (n: number, d: number, random: Random): Digraph {
  const succ: number[][] = Array.from({ length: n }, () => [])
  const pred: number[][] = Array.from({ length: n }, () => [])
  for (let v = 0; v < n; v++) {
    while (succ[v]!.length < d) {
      const u = Math.floor(random() * n)
      if (u === v || succ[v]!.includes(u)) continue
      succ[v]!.push(u)
      pred[u]!.push(v)
    }
  }
  return { succ, pred }
}

/** Per node: the successor for each predecessor (key: predecessor, or the node itself for its own tx). */
function forwardingMaps (graph: Digraph, routing: Routing, random: Random): Array<Map<number, number>> {
  return graph.succ.map((succs, v) => {
    const map = new Map<number, number>()
    const pick = (): number => succs[Math.floor(random() * succs.length)]!
    map.set(v, pick())
    if (routing === 'one-to-one') {
      let pool: number[] = []
      for (const p of graph.pred[v]!) {
        if (pool.length === 0) pool = shuffle([...succs], random)
        map.set(p, pool.pop()!)
      }
    } else {
      for (const p of graph.pred[v]!) map.set(p, pick())
    }
    return map
  })
}

/**
 * One stem per honest node; returns the first-spy guess per origin (-1 for spies). `q` is the
 * per-hop fluff probability (0 in the paper's first-spy figures).
 */
export function stemGuesses (graph: Digraph, spies: Uint8Array, routing: Routing, q: number, random: Random): Int32Array {
  const n = graph.succ.length
  const maps = forwardingMaps(graph, routing, random)
  const guesses = new Int32Array(n).fill(-1)
  const spyList: number[] = []
  for (let v = 0; v < n; v++) if (spies[v] === 1) spyList.push(v)
  for (let origin = 0; origin < n; origin++) {
    if (spies[origin] === 1) continue
    const visited = new Set<number>()
    let previous = origin
    let at = origin
    for (let hops = 0; ; hops++) {
      const succs = graph.succ[at]!
      let next = routing === 'per-tx' ? succs[Math.floor(random() * succs.length)]! : maps[at]!.get(previous)!
      if (visited.has(at)) next = succs.find((s) => s !== next) ?? next
      visited.add(at)
      previous = at
      at = next
      if (spies[at] === 1 || (q > 0 && random() < q)) {
        guesses[origin] = previous
        break
      }
      if (hops > n) {
        guesses[origin] = at
        break
      }
    }
  }
  return guesses
}

/** Diffusion from every honest node over the undirected graph; the first-spy guess per origin. */
export function diffusionGuesses (graph: Digraph, spies: Uint8Array, random: Random): Int32Array {
  const n = graph.succ.length
  const neighbours = graph.succ.map((succs, v) => [...new Set([...succs, ...graph.pred[v]!])])
  const guesses = new Int32Array(n).fill(-1)
  for (let origin = 0; origin < n; origin++) {
    if (spies[origin] === 1) continue
    const infected = new Uint8Array(n)
    infected[origin] = 1
    let boundary: Array<[number, number]> = neighbours[origin]!.map((u) => [origin, u])
    for (;;) {
      const [from, to] = boundary[Math.floor(random() * boundary.length)]!
      if (spies[to] === 1) {
        guesses[origin] = from
        break
      }
      infected[to] = 1
      boundary = boundary.filter(([, u]) => u !== to)
      for (const u of neighbours[to]!) if (infected[u] === 0) boundary.push([to, u])
    }
  }
  return guesses
}
