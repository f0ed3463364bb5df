/**
 * One simulated network: a random graph like gossipsub's mesh (or the Dandelion++ paper's 4-regular
 * graph), the real StemRouter on every node, stem hops and gossip flooding with link latencies. Spies follow the protocol (honest but curious), so the
 * propagation does not depend on who spies: each run records, for every post and every node, the
 * neighbour it first got the post from, and the estimator picks spy sets afterwards.
 */
import { StemRouter } from '../../packages/node/dist/src/stem/router.js'
import { isConnected } from '../lib/graph.ts'
import { EventQueue } from './events.ts'
import { hamiltonianUnion } from './paper.ts'

/** The spy fractions p every anonymity run scores. */
export const SPY_FRACTIONS = [0.05, 0.1, 0.2, 0.3]

/** Link latency of the simulated networks: uniform per edge, plus exponential jitter per hop (ms). */
export const LINKS = { latencyMin: 20, latencyMax: 150, jitterMean: 10 }

/** Parameters of one network. */
export interface NetworkOptions {
  nodes: number
  /** Link latency, uniform per edge, in ms. */
  latencyMin: number
  latencyMax: number
  /** Per-message extra delay per hop (exponential mean, ms): queueing and validation. */
  jitterMean: number
  /** Stem router parameters. */
  fluffProbability: number
  /** Mean of the exponential part of the embargo timer in ms (undefined: the router's default). */
  embargoMean?: number
  /** Times a held post may come back to a node and still be sent on (undefined: the router's default). */
  loopLimit?: number
  /** Whether a stem that ends on a loop is handed to a stem peer to publish (undefined: the router's default). */
  handOff?: boolean
  random: () => number
  /**
   * Where and when each post (by origin) enters the network (undefined: at its origin, at a random time
   * in the posting window drawn from `random`). The onion model starts a post at its exit hop, which got
   * it from the hop before (`from`).
   */
  starts?: Array<{ node: number, from: number, at: number }>
  /** Extra wait before a stem frame from `from` to `to` leaves at `at` (ms): the slots of stem cover traffic. */
  stemDelay?: (from: number, to: number, at: number) => number
  /** Whether to log every frame (`Propagation.frames`), for the timing adversary. */
  log?: boolean
}

/** Every frame one propagation sent, in send order: the columns of a table. */
export interface FrameLog {
  from: number[]
  to: number[]
  /** Arrival time at `to` (ms). */
  at: number[]
  /** The fixed part of the link's latency, which the receiver can learn by pinging (ms). */
  base: number[]
  origin: number[]
  /** 1: a stem frame; 0: a gossip frame. */
  stem: number[]
}

/** For each post (by origin) and node: who the node first got it from (-1: never, or the origin itself). */
export interface Propagation {
  /** firstFrom[origin * n + node] */
  firstFrom: Int32Array
  /** firstAt[origin * n + node], ms */
  firstAt: Float64Array
  /** firstByStem[origin * n + node]: 1 when that first copy came over the stem, 0 by gossip */
  firstByStem: Uint8Array
  /** Own posts the author fluffed itself (should be 0 while it has stem peers). */
  authorFluffs: number
  /** Fluffs by reason over the run. */
  reasons: Record<string, number>
  /** Mean stem length in hops (forward events per post). */
  meanStemHops: number
  /** Posts handed to a stem peer to publish (the stem ended at the sender), and those whose sender was the author. */
  handoffs: number
  handoffsByAuthor: number
  /** markFrom[origin * n + node]: the node that handed it the post to publish (-1: none). */
  markFrom: Int32Array
  /** publisher[origin]: the node whose fluff first put the post into gossip (-1: none). */
  publisher: Int32Array
  /** When each post entered the network (ms). */
  startAt: Float64Array
  /** When the last node got each post (ms). */
  doneAt: Float64Array
  /** With `log`: every frame sent. */
  frames?: FrameLog
}

/**
 * A connected random graph where every node dials `dials` distinct others (fewer when all the others are
 * connected to it already, as in a small network); adjacency with direction.
 */
export function randomGraph (n: number, dials: number, random: () => number): Array<Map<number, boolean>> {
  for (;;) {
    const adjacency = Array.from({ length: n }, () => new Map<number, boolean>())
    for (let v = 0; v < n; v++) {
      let made = 0
      while (made < dials && adjacency[v]!.size < n - 1) {
        const u = Math.floor(random() * n)
        if (u === v || adjacency[v]!.has(u)) continue
        adjacency[v]!.set(u, true) // v dialed u
        adjacency[u]!.set(v, false)
        made++
      }
    }
    if (isConnected(n, (v) => adjacency[v]!.keys())) return adjacency
  }
}

/**
 * The anonymity graph of the Dandelion++ paper's simulations: the union of two random Hamiltonian
 * cycles, where every node dials its two cycle successors (so the router's two successors are exactly
 * those, 2 in and 2 out: "4-regular"). Gossip floods the same graph.
 */
export function regularGraph (n: number, random: () => number): Array<Map<number, boolean>> {
  return connectionsOf(hamiltonianUnion(n, 2, random).succ, 0, random)
}

/**
 * A connection graph holding the stem graph `succ` (v dials its successors) plus `extraDials` random
 * dials per node, which carry gossip only (the stem graph then sits inside a denser mesh).
 */
export function connectionsOf (succ: number[][], extraDials: number, random: () => number): Array<Map<number, boolean>> {
  const n = succ.length
  const adjacency = Array.from({ length: n }, () => new Map<number, boolean>())
  const link = (v: number, u: number): void => {
    adjacency[v]!.set(u, true)
    if (adjacency[u]!.get(v) !== true) adjacency[u]!.set(v, false)
  }
  succ.forEach((targets, v) => { for (const u of targets) link(v, u) })
  for (let v = 0; v < n; v++) {
    for (let made = 0; made < extraDials;) {
      const u = Math.floor(random() * n)
      if (u === v || adjacency[v]!.has(u)) continue
      link(v, u)
      made++
    }
  }
  return adjacency
}

const TOPIC = 'murmur/1/#sim'
const ENVELOPE = new Uint8Array(1)
/** The provisional epoch (peers connecting at t = 0) is over by then; posts go out in a full epoch (ms). */
export const POSTS_FROM = 120_000
/** Every node posts once, at a uniform time in this window (ms). */
export const POSTS_WINDOW = 60_000

/**
 * Simulates one post from every node, with the stem (`stem`) or published straight into gossip. With
 * `stemPeers`, node v's router is told only of the peers in `stemPeers[v]` as stem-capable (a stem graph
 * built beforehand, see construction.ts); otherwise of all its connections.
 */
export function propagate (options: NetworkOptions, adjacency: Array<Map<number, boolean>>, stem: boolean, stemPeers?: number[][]): Propagation {
  const { nodes: n, random } = options
  const queue = new EventQueue()
  const firstFrom = new Int32Array(n * n).fill(-1)
  const firstAt = new Float64Array(n * n).fill(Infinity)
  const firstByStem = new Uint8Array(n * n)
  const gossiped = new Uint8Array(n * n)
  const latency = new Map<number, number>()
  const baseLatency = (a: number, b: number): number => {
    const key = a < b ? a * n + b : b * n + a
    let value = latency.get(key)
    if (value === undefined) {
      value = options.latencyMin + random() * (options.latencyMax - options.latencyMin)
      latency.set(key, value)
    }
    return value
  }
  const frames: FrameLog | undefined = options.log === true ? { from: [], to: [], at: [], base: [], origin: [], stem: [] } : undefined
  /** Draws one frame's latency, and logs the frame. */
  const linkLatency = (a: number, b: number, origin: number, stem: boolean, wait = 0): number => {
    const base = baseLatency(a, b)
    const delay = wait + base - options.jitterMean * Math.log(1 - random())
    if (frames !== undefined) {
      frames.from.push(a)
      frames.to.push(b)
      frames.at.push(queue.now() + delay)
      frames.base.push(base)
      frames.origin.push(origin)
      frames.stem.push(stem ? 1 : 0)
    }
    return delay
  }
  const startAt = new Float64Array(n)
  const doneAt = new Float64Array(n)
  const reached = new Int32Array(n)
  const record = (origin: number, node: number, from: number, stem: boolean): void => {
    const k = origin * n + node
    if (firstFrom[k] === -1 && node !== origin) {
      firstFrom[k] = from
      firstAt[k] = queue.now()
      firstByStem[k] = stem ? 1 : 0
      reached[origin] = reached[origin]! + 1
      if (reached[origin] === n - 1) doneAt[origin] = queue.now()
    }
  }
  const routers: StemRouter[] = []
  const reasons: Record<string, number> = {}
  let authorFluffs = 0
  let forwards = 0
  let handoffs = 0
  const markFrom = new Int32Array(n * n).fill(-1)
  const publisher = new Int32Array(n).fill(-1)
  let handoffsByAuthor = 0
  const gossip = (origin: number, node: number, from: number): void => {
    const k = origin * n + node
    if (gossiped[k] === 1) return
    gossiped[k] = 1
    if (from !== -1) record(origin, node, from, false)
    routers[node]?.seen(String(origin))
    for (const peer of adjacency[node]!.keys()) {
      if (peer !== from) queue.setTimeout(() => { gossip(origin, peer, node) }, linkLatency(node, peer, origin, false))
    }
  }
  if (stem) {
    for (let v = 0; v < n; v++) {
      routers.push(new StemRouter({
        clock: queue,
        random,
        send: (peer, _topic, _envelope, id, publish) => {
          const to = Number(peer)
          if (publish) {
            markFrom[Number(id) * n + to] = v
            handoffs++
            if (v === Number(id)) handoffsByAuthor++
          }
          const wait = options.stemDelay?.(v, to, queue.now()) ?? 0
          queue.setTimeout(() => {
            record(Number(id), to, v, true)
            routers[to]!.relay(String(v), TOPIC, ENVELOPE, id, undefined, publish)
          }, linkLatency(v, to, Number(id), true, wait))
        },
        fluff: async (_topic, _envelope) => {
          return { status: 'sent', recipients: adjacency[v]!.size }
        },
        onEvent: (event) => {
          if (event.type === 'forward') forwards++
          if (event.type !== 'fluff') return
          reasons[event.reason] = (reasons[event.reason] ?? 0) + 1
          if (event.own) {
            authorFluffs++
            reasons[`own-${event.reason}`] = (reasons[`own-${event.reason}`] ?? 0) + 1
          }
          if (publisher[Number(event.id)] === -1) publisher[Number(event.id)] = v
          gossip(Number(event.id), v, -1)
        }
      }, { fluffProbability: options.fluffProbability, embargoMean: options.embargoMean, loopLimit: options.loopLimit, handOff: options.handOff }))
    }
    for (let v = 0; v < n; v++) {
      const peers = stemPeers === undefined ? adjacency[v]! : new Map(stemPeers[v]!.map((peer) => [peer, true]))
      for (const [peer, dialed] of peers) routers[v]!.addPeer(String(peer), dialed)
    }
  }
  for (let origin = 0; origin < n; origin++) {
    // a post started at another node (an onion's exit) is that node's to send, as its own
    const start = options.starts?.[origin]
    const node = start?.node ?? origin
    const at = start?.at ?? POSTS_FROM + random() * POSTS_WINDOW
    startAt[origin] = at
    queue.setTimeout(() => {
      if (node !== origin) record(origin, node, start!.from, false)
      if (stem) {
        void routers[node]!.originate(TOPIC, ENVELOPE, String(origin), 0)
      } else {
        gossip(origin, node, -1)
      }
    }, at)
  }
  queue.run()
  for (const router of routers) router.stop()
  return { firstFrom, firstAt, firstByStem, authorFluffs, reasons, meanStemHops: forwards / n, handoffs, handoffsByAuthor, markFrom, publisher, startAt, doneAt, ...(frames === undefined ? {} : { frames }) }
}
