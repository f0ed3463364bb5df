/**
 * The stem's share of end-to-end latency in simulated time (issue 14 §3): the real `StemRouter` on every
 * node of the network bench's own topologies (bench/network/graph.ts), with one time unit per link hop,
 * so that the result says how many hops a post takes to reach everyone, free of the shared machine's CPU.
 *
 *   node bench/network/stem-sim.ts [--n 50] [--seeds 40] [--q 0.1] [--stream-open 2] [--loop-limit N] [--no-write]
 *
 * Every node posts once in a full epoch. Gossip floods the topology (the bench's degrees, 6 to 10, are
 * about gossipsub's mesh); a stem hop costs one link hop, plus `--stream-open` hops (a multistream-select
 * round trip) the first time a node sends to a peer (streams stay open). As the node does now, a node
 * opens its stream to each successor when it picks it, so only stem hops to other peers (after a loop)
 * open one. Rows without a suffix are the router as it is (`--loop-limit`: another `StemRouterInit.loopLimit`);
 * `_unlimited_loops` rows are the same seeds with a post that comes back sent on until its node has no
 * stem peer left to try (the rule before `LOOP_LIMIT`), `_publish_at_loop` rows with a stem that ends on
 * a loop published there rather than handed on (the rule before `HAND_OFF`), `_lazy_streams` rows with every stream opened on
 * first use. `sim_e2e_p99_vs_direct_n<N>` is the 99th percentile of post → node over all posts and nodes,
 * with the stem against the same posts published straight into gossip.
 */
import { parseArgs } from 'node:util'
import { StemRouter } from '../../packages/node/dist/src/stem/router.js'
import { EventQueue } from '../anonymity/events.ts'
import { median, printFigures, writeResults } from '../lib/results.ts'
import { seededRandom } from '../lib/random.ts'
import { quantile, randomTopology } from './graph.ts'
import type { Figure } from '../lib/results.ts'

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '50' },
    seeds: { type: 'string', default: '40' },
    q: { type: 'string', default: '0.1' },
    'stream-open': { type: 'string', default: '2' },
    'loop-limit': { type: 'string' },
    'no-write': { type: 'boolean', default: false }
  }
})
const n = Number(values.n)
const seeds = Number(values.seeds)
const q = Number(values.q)
const streamOpen = Number(values['stream-open'])
const loopLimit = values['loop-limit'] === undefined ? undefined : Number(values['loop-limit'])

/** One link hop, in simulated ms; jitter per hop (exponential mean) so ties break at random. */
const HOP = 100
const JITTER = 10
/** Posts go out after the provisional epoch, inside one full epoch. */
const POSTS_FROM = 120_000
const POSTS_WINDOW = 60_000
const TOPIC = 'murmur/2/#sim'
const ENVELOPE = new Uint8Array(1)

/** What happened to one post. */
interface Outcome {
  /** post → each other node, ms */
  e2e: number[]
  hops: number
  loops: number
  opens: number
  reason: string
  /** The node whose fluff ended the stem is the author. */
  atAuthor: boolean
}

/** A way of running the stem: streams opened when a successor is picked or on first use, and the router's loop limit. */
interface Variant { suffix: string, preopen: boolean, loopLimit?: number, handOff?: boolean }

/** One network (the bench's topology of `seed`), every node posting once, with or without the stem. */
function simulate (seed: number, variant?: Variant): Outcome[] {
  const stem = variant !== undefined
  const preopen = variant?.preopen ?? true
  // every router, the post times and the links' jitter draw from streams of their own: both variants of a
  // seed get the same roles, successors and post times, whatever order their events come in
  const random = seededRandom(seed * 104_729 + n)
  const jitter = seededRandom(seed * 7_919 + n)
  const dials = randomTopology(n, seed)
  const adjacency = Array.from({ length: n }, () => new Map<number, boolean>())
  for (const [v, u] of dials) { adjacency[v]!.set(u, true); adjacency[u]!.set(v, false) }
  const queue = new EventQueue()
  const hop = (): number => HOP - JITTER * Math.log(1 - jitter())
  const postedAt = new Float64Array(n)
  const at = Array.from({ length: n }, () => new Float64Array(n).fill(NaN))
  const outcomes = Array.from({ length: n }, (): Outcome => ({ e2e: [], hops: 0, loops: 0, opens: 0, reason: 'direct', atAuthor: false }))
  const routers: StemRouter[] = []
  const opened = Array.from({ length: n }, () => new Set<number>())
  const held = Array.from({ length: n }, () => new Set<number>())
  const gossip = (origin: number, node: number): void => {
    if (!Number.isNaN(at[origin]![node]!)) return
    at[origin]![node] = queue.now()
    routers[node]?.seen(String(origin))
    for (const peer of adjacency[node]!.keys()) queue.setTimeout(() => { gossip(origin, peer) }, hop())
  }
  if (stem) {
    for (let v = 0; v < n; v++) {
      routers.push(new StemRouter({
        clock: queue,
        random: seededRandom((seed * 1_000 + v) * 7_927 + n),
        send: (peer, _topic, _envelope, id, publish) => {
          const to = Number(peer)
          const origin = Number(id)
          const open = opened[v]!.has(to) ? 0 : streamOpen * HOP
          if (open > 0) { opened[v]!.add(to); outcomes[origin]!.opens++ }
          queue.setTimeout(() => {
            if (held[to]!.has(origin)) outcomes[origin]!.loops++
            held[to]!.add(origin)
            routers[to]!.relay(String(v), TOPIC, ENVELOPE, id, undefined, publish)
          }, open + hop())
        },
        fluff: async () => ({ status: 'sent', recipients: 1 }),
        onEvent: (event) => {
          // opened when picked: long before the posts of the window
          if (event.type === 'epoch' && preopen) for (const peer of event.successors) opened[v]!.add(Number(peer))
          if (event.type === 'forward') outcomes[Number(event.id)]!.hops++
          if (event.type === 'fluff') {
            // the first fluff ends the stem; a later one (a late timer) only adds copies
            const outcome = outcomes[Number(event.id)]!
            if (outcome.reason === 'direct') {
              outcome.reason = event.reason
              outcome.atAuthor = event.own
            }
            gossip(Number(event.id), v)
          }
        }
      }, { fluffProbability: q, loopLimit: variant?.loopLimit, handOff: variant?.handOff }))
    }
    for (let v = 0; v < n; v++) for (const [peer, dialed] of adjacency[v]!) routers[v]!.addPeer(String(peer), dialed)
  }
  for (let origin = 0; origin < n; origin++) {
    queue.setTimeout(() => {
      postedAt[origin] = queue.now()
      held[origin]!.add(origin)
      if (stem) void routers[origin]!.originate(TOPIC, ENVELOPE, String(origin), 0)
      else gossip(origin, origin)
    }, POSTS_FROM + random() * POSTS_WINDOW)
  }
  queue.run()
  for (const router of routers) router.stop()
  for (let origin = 0; origin < n; origin++) {
    for (let v = 0; v < n; v++) if (v !== origin) outcomes[origin]!.e2e.push(at[origin]![v]! - postedAt[origin]!)
  }
  return outcomes
}

/** The router as it is first, then the rules it replaced, on the same seeds. */
const VARIANTS: Variant[] = [
  { suffix: '', preopen: true, loopLimit },
  { suffix: '_unlimited_loops', preopen: true, loopLimit: Infinity },
  { suffix: '_publish_at_loop', preopen: true, loopLimit, handOff: false },
  { suffix: '_lazy_streams', preopen: false, loopLimit }
]
const figures: Figure[] = []
for (const variant of VARIANTS) {
  const ratios: number[] = []
  const p50Ratios: number[] = []
  const hops: number[] = []
  const opens: number[] = []
  const loops: number[] = []
  const reasons: Record<string, number> = {}
  let atAuthor = 0
  for (let seed = 1; seed <= seeds; seed++) {
    const direct = simulate(seed)
    const stem = simulate(seed, variant)
    const all = (outcomes: Outcome[]): number[] => outcomes.flatMap((o) => o.e2e)
    ratios.push(quantile(all(stem), 0.99) / quantile(all(direct), 0.99))
    p50Ratios.push(quantile(all(stem), 0.5) / quantile(all(direct), 0.5))
    for (const o of stem) {
      hops.push(o.hops)
      opens.push(o.opens)
      loops.push(o.loops)
      reasons[o.reason] = (reasons[o.reason] ?? 0) + 1
      if (o.atAuthor) atAuthor++
    }
  }
  const posts = hops.length
  const limit = variant.loopLimit === undefined || variant.suffix !== '' ? '' : `_loop_limit${variant.loopLimit}`
  const suffix = `_n${n}${q === 0.1 ? '' : `_q${q}`}${limit}${variant.suffix}`
  const spread = (values: number[]): Figure['spread'] => ({ min: Math.min(...values), max: Math.max(...values), runs: values.length })
  figures.push(
    { figure: `sim_e2e_p50_vs_direct${suffix}`, value: median(p50Ratios), unit: 'ratio (median over topologies; every link hop costs the same)', spread: spread(p50Ratios) },
    { figure: `sim_e2e_p99_vs_direct${suffix}`, value: median(ratios), unit: 'ratio (median over topologies)', spread: spread(ratios) },
    { figure: `sim_stem_hops_p50${suffix}`, value: quantile(hops, 0.5), unit: 'stem hops per post' },
    { figure: `sim_stem_hops_p99${suffix}`, value: quantile(hops, 0.99), unit: `stem hops per post (a geometric stem of q = ${q}: ${Math.ceil(Math.log(0.01) / Math.log(1 - q))})` },
    { figure: `sim_stem_stream_opens_per_post${suffix}`, value: opens.reduce((a, b) => a + b, 0) / posts, unit: 'stem hops that waited for a stream to open' },
    { figure: `sim_stem_loops_per_post${suffix}`, value: loops.reduce((a, b) => a + b, 0) / posts, unit: 'copies back at a node that held the post' },
    { figure: `sim_stem_end_at_author_share${suffix}`, value: atAuthor / posts, unit: 'fraction of posts whose author ended their stem' },
    ...Object.entries(reasons).map(([reason, count]) => ({ figure: `sim_stem_end_${reason}_share${suffix}`, value: count / posts, unit: 'fraction of posts' }))
  )
}
if (values['no-write']) printFigures(figures)
else writeResults('stem-sim', figures)
