/**
 * Stem-graph construction with an in-degree cap (an explored option, `bench/anonymity/capped.ts`).
 *
 * Every node picks `successors` stem successors among its connected peers, peers it dialed first, in
 * random order, as the router does. With a cap, a peer accepts a claim only while fewer than `cap`
 * inbound stem peers claimed it; a refused node tries its next candidate. Nodes claim in a random order
 * (the order they join, or start their epoch). A node that no candidate accepts falls back to any peer
 * (over the cap) rather than have no stem. If every node finds its successors, Σ in = Σ out = 2n and
 * in ≤ 2 force in = 2 everywhere: the 4-regular stem graph of the Dandelion++ paper, built locally.
 *
 * Spies may lie: a *liar* accepts every claim (its in-degree is not capped). A *squatter* is a liar that
 * also claims one inbound slot at every honest neighbour before the honest nodes claim, so that those
 * refuse honest claimants, who then end up at spies or over the cap elsewhere.
 */
import { shuffle } from '../lib/random.ts'
import type { Random } from './estimator.ts'

/** How the stem graph is built. */
export interface ConstructionOptions {
  /** Successors per node. */
  successors: number
  /** Most inbound stem peers a node accepts (Infinity: no cap, today's rule). */
  cap: number
  /** Spies that accept every claim (1 = liar). */
  liars?: Uint8Array
  /** Liars also occupy one inbound slot at each honest neighbour before anyone else claims. */
  squat?: boolean
  /**
   * Most evictions per missing successor (0: none). A node no candidate accepts claims a full neighbour
   * anyway; that neighbour accepts it and releases one of its other inbound peers (chosen at random),
   * which then looks for a successor the same way. Liars never release anyone.
   */
  repair?: number
  /**
   * A node refuses a claim from its own successor and does not claim its own inbound peers, so that no
   * stem edge is used both ways (a 2-cycle sends a relayed post straight back towards where it was).
   */
  noMutual?: boolean
  random: Random
}

/** The stem graph and how it came about. */
export interface StemGraph {
  /** succ[v]: v's successors, the first being the one it claimed first. */
  succ: number[][]
  /** Inbound stem peers per node (claims held, including squatters' extra claims). */
  inDegree: Int32Array
  /** Successors taken over the cap because no candidate accepted. */
  fallbacks: number
  /** Evictions made by the repair walks. */
  evictions: number
}

/** Candidates in the router's order: peers `v` dialed, then peers that dialed `v`, each group shuffled. */
function candidates (adjacency: Array<Map<number, boolean>>, v: number, random: Random): number[] {
  const dialed: number[] = []
  const dialing: number[] = []
  for (const [peer, out] of adjacency[v]!) (out ? dialed : dialing).push(peer)
  return [...shuffle(dialed, random), ...shuffle(dialing, random)]
}

/** Builds the stem graph over the connection graph `adjacency` (value: whether the key node was dialed). */
export function buildStemGraph (adjacency: Array<Map<number, boolean>>, options: ConstructionOptions): StemGraph {
  const { successors, cap, random } = options
  const n = adjacency.length
  const liars = options.liars ?? new Uint8Array(n)
  const succ: number[][] = Array.from({ length: n }, () => [])
  const claimedBy: Array<Set<number>> = Array.from({ length: n }, () => new Set())
  const inDegree = new Int32Array(n)
  const mutual = (from: number, to: number): boolean => options.noMutual === true && claimedBy[from]!.has(to)
  const accepts = (to: number, from: number): boolean => liars[to] === 1 || (inDegree[to]! < cap && !mutual(from, to))
  const claim = (from: number, to: number): void => {
    claimedBy[to]!.add(from)
    inDegree[to]!++
  }
  if (options.squat === true) {
    for (let spy = 0; spy < n; spy++) {
      if (liars[spy] === 0) continue
      for (const peer of adjacency[spy]!.keys()) if (liars[peer] === 0 && accepts(peer, spy)) claim(spy, peer)
    }
  }
  const order = shuffle(Array.from({ length: n }, (_, i) => i), random)
  for (const v of order) {
    for (const c of candidates(adjacency, v, random)) {
      if (succ[v]!.length >= successors) break
      if (claimedBy[c]!.has(v)) {
        // a squatter's slot at c is already v's claim: it routes through it
        succ[v]!.push(c)
      } else if (accepts(c, v)) {
        succ[v]!.push(c)
        claim(v, c)
      }
    }
  }
  let evictions = 0
  const release = (from: number, to: number): void => {
    claimedBy[to]!.delete(from)
    inDegree[to]!--
    const index = succ[from]!.indexOf(to)
    if (index !== -1) succ[from]!.splice(index, 1)
  }
  /** One repair walk from `v`, which lacks a successor; it stops at a free slot or after `repair` evictions. */
  const walk = (v: number): void => {
    for (let step = 0; step < (options.repair ?? 0); step++) {
      const open = candidates(adjacency, v, random).filter((c) => !succ[v]!.includes(c) && !(options.noMutual === true && claimedBy[v]!.has(c) && liars[c] === 0))
      const free = open.find((c) => accepts(c, v))
      if (free !== undefined) {
        succ[v]!.push(free)
        claim(v, free)
        return
      }
      const u = open[Math.floor(random() * open.length)]
      if (u === undefined) return
      const victims = [...claimedBy[u]!]
      const w = victims[Math.floor(random() * victims.length)]!
      release(w, u)
      succ[v]!.push(u)
      claim(v, u)
      evictions++
      // a squatter losing an extra claim has nothing to re-route
      if (liars[w] === 1 || succ[w]!.length >= successors) return
      v = w
    }
  }
  for (const v of order) {
    while (succ[v]!.length < successors) {
      const before = succ[v]!.length
      walk(v)
      if (succ[v]!.length === before) break
    }
  }
  let fallbacks = 0
  for (const v of order) {
    for (const c of candidates(adjacency, v, random)) {
      if (succ[v]!.length >= successors) break
      if (succ[v]!.includes(c)) continue
      succ[v]!.push(c)
      claim(v, c)
      fallbacks++
    }
  }
  return { succ, inDegree, fallbacks, evictions }
}
