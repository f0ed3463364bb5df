/**
 * Onion-wrapped first hops, modelled on the libp2p mix specification (`/mix/1.0.0`, Sphinx packets,
 * Loopix-style delays and loops): the author wraps its post for three mix nodes it picks at random
 * from the whole network; each mix holds a packet for an exponential delay and passes it on; the last
 * (the exit) starts the stem with it as if it were its own post. Every node also sends loop cover
 * packets (three mixes and back to itself) as a Poisson process. All packets have one size, and a mix
 * cannot tell a real packet from a loop, or its own position on the path (Sphinx), except the exit,
 * which gets the post.
 */
import { POSTS_FROM } from './network.ts'

/** Sphinx packet for 3 hops: 4,096-byte payload (a post of up to 4 KiB) and a 333-byte header. */
export const PACKET_BYTES = 4_429

/** Parameters of the onion model. */
export interface MixOptions {
  nodes: number
  /** Mix hops per packet. */
  hops: number
  /** Mean of each mix's exponential delay (ms). */
  delayMean: number
  /** Loop cover packets per node per minute (Poisson). */
  loopsPerMinute: number
  /**
   * Whether a real packet waits for the node's next loop tick and goes out in its place (Loopix: the
   * packet rate says nothing), instead of leaving at once next to the loops.
   */
  slotted: boolean
  /** Every node posts once, at a uniform time in a window this long (ms): 60 s is a busy network (one post per node per minute), 600 s a quieter one. */
  postWindow: number
  latencyMin: number
  latencyMax: number
  jitterMean: number
  random: () => number
}

/** Every packet transmission, in order: the columns of a table. */
export interface PacketLog {
  packet: number[]
  /** Index of the hop on the packet's path (0: sender to first mix). */
  hop: number[]
  from: number[]
  to: number[]
  /** Arrival time (ms). */
  at: number[]
  /** The fixed part of the link's latency (ms). */
  base: number[]
}

/** One simulated run of the mix layer. */
export interface MixRun {
  /** Per origin: the exit, the mix it got the packet from, and when it starts the stem (ms). */
  starts: Array<{ node: number, from: number, at: number }>
  /** Per origin: when the author posted (ms). */
  postAt: Float64Array
  /** Per packet: its path (sender, mixes, and for a loop the sender again) and its post (-1: a loop). */
  paths: number[][]
  post: number[]
  log: PacketLog
  /** Loop packet transmissions (every hop), over `coverMinutes`. */
  coverTransmissions: number
  coverMinutes: number
}

/** Exponential draw with mean `mean`. */
const exponential = (mean: number, random: () => number): number => -mean * Math.log(1 - random())

/**
 * Simulates the mix layer for one post per node, posted at uniform times in the posting window; the
 * loops run from 30 s before it to 30 s after it. No events interleave with the stem: a mix only hands
 * the post to its exit, so the two layers run one after the other.
 */
export function runMix (options: MixOptions): MixRun {
  const { nodes: n, random } = options
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
  const log: PacketLog = { packet: [], hop: [], from: [], to: [], at: [], base: [] }
  const paths: number[][] = []
  const post: number[] = []
  const starts: MixRun['starts'] = []
  let coverTransmissions = 0
  /** Sends packet `id` from `sender` at `at` along a fresh random path, and logs its hops. */
  const send = (sender: number, at: number, origin: number): void => {
    const path = [sender]
    while (path.length <= options.hops) {
      const m = Math.floor(random() * n)
      if (!path.includes(m)) path.push(m)
    }
    if (origin === -1) path.push(sender)
    const id = paths.length
    paths.push(path)
    post.push(origin)
    let t = at
    for (let i = 0; i + 1 < path.length; i++) {
      const base = baseLatency(path[i]!, path[i + 1]!)
      t += base + exponential(options.jitterMean, random)
      log.packet.push(id)
      log.hop.push(i)
      log.from.push(path[i]!)
      log.to.push(path[i + 1]!)
      log.at.push(t)
      log.base.push(base)
      if (origin === -1) coverTransmissions++
      if (i + 1 <= options.hops) t += exponential(options.delayMean, random) // every mix holds it, the exit too
    }
    if (origin !== -1) starts[origin] = { node: path[options.hops]!, from: path[options.hops - 1]!, at: t }
  }
  const postAt = new Float64Array(n)
  for (let v = 0; v < n; v++) postAt[v] = POSTS_FROM + random() * options.postWindow
  const coverFrom = POSTS_FROM - 30_000
  const coverTo = POSTS_FROM + options.postWindow + 30_000
  const rate = options.loopsPerMinute / 60_000
  for (let v = 0; v < n; v++) {
    let pending = options.slotted && rate > 0
    for (let t = coverFrom + (rate > 0 ? exponential(1 / rate, random) : Infinity); t < coverTo; t += exponential(1 / rate, random)) {
      if (pending && t >= postAt[v]!) {
        pending = false
        send(v, t, v) // the real packet takes this tick
      } else {
        send(v, t, -1)
      }
    }
    if (!(options.slotted && rate > 0) || pending) send(v, postAt[v]!, v)
  }
  return { starts, postAt, paths, post, log, coverTransmissions, coverMinutes: (coverTo - coverFrom) / 60_000 }
}
