/**
 * The seeded random topology both systems run on, and the statistics of a run.
 */
import { isConnected } from '../lib/graph.ts'
import { seededRandom } from '../lib/random.ts'

/**
 * Fewest neighbours of a node: gossipsub's target mesh degree D, which is also the number of channel
 * peers at which a Murmur node stops looking for more through the DHT rendezvous.
 */
export const MIN_DEGREE = 6

/**
 * Most neighbours of a node. gossipsub scores down every peer of an IP address that has more than 10
 * peers (P6, IP colocation); on loopback every peer shares 127.0.0.1, so a node with 11 neighbours
 * would score all of them below zero and keep an empty mesh — an artefact of one machine, not of the
 * network being measured.
 */
export const MAX_DEGREE = 10

/**
 * A connected random graph in which every node has `minDegree`..`maxDegree` neighbours: each node in
 * turn dials random others that still have room until it has enough. Returned as the list of dials
 * `[from, to]`; the same seed gives the same graph.
 */
export function randomTopology (n: number, seed: number, minDegree = MIN_DEGREE, maxDegree = MAX_DEGREE): Array<[number, number]> {
  const random = seededRandom(seed)
  const want = Math.min(minDegree, n - 1)
  for (;;) {
    const neighbours = Array.from({ length: n }, () => new Set<number>())
    const dials: Array<[number, number]> = []
    let stuck = false
    for (let v = 0; v < n && !stuck; v++) {
      while (neighbours[v]!.size < want) {
        const open = []
        for (let u = 0; u < n; u++) {
          if (u !== v && !neighbours[v]!.has(u) && neighbours[u]!.size < maxDegree) open.push(u)
        }
        if (open.length === 0) { stuck = true; break }
        const u = open[Math.floor(random() * open.length)]!
        neighbours[v]!.add(u)
        neighbours[u]!.add(v)
        dials.push([v, u])
      }
    }
    if (!stuck && isConnected(n, (v) => neighbours[v]!)) return dials
  }
}

/** The q-quantile (0..1) of a list, nearest rank. */
export function quantile (values: Float64Array | number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** Least-squares line through (x, y): slope and intercept. */
export function linearFit (xs: number[], ys: number[]): { slope: number, intercept: number } {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) ** 2
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  return { slope, intercept: my - slope * mx }
}
