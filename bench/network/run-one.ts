// One system at one size, in its own process (so CPU time and resident memory are its own):
//   node --expose-gc bench/network/run-one.ts --system <SystemName> --n 50 --out result.json
//     [--seed 1] [--posts 3 | --total 30] [--rate 10] [--transport tcp|memory] [--payload 300] [--drain 30000]
//     [--profile window.cpuprofile] [--trace paths.json] [--pool shared|node] [--loop-limit N]
// Builds the seeded topology, waits for every node's mesh, then runs the workload: `posts` posts from
// every node, `rate` posts a second across the network, round-robin over the nodes in a seeded order.
// `--trace`: every own post's path through the stem, by events (stem-trace.ts), and their summary.
// `--pool`: Murmur nodes share one verification pool (`shared`, the default: one worker per core for the
// process, as MurmurInit.verify advises for several nodes in one process) or each start their own (`node`).
// `--loop-limit`: the stem's `loopLimit` on every Murmur node (`Infinity`: the rule before `LOOP_LIMIT`).
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { createVerifyPool } from '@murmur/node'
import { ready } from '@murmur/protocol'
import { randomTopology, quantile } from './graph.ts'
import { seededRandom, shuffle } from '../lib/random.ts'
import { paths, StemTrace, summarisePaths } from './stem-trace.ts'
import { watchPool } from './pool-watch.ts'
import { SYSTEMS, startGossipsub, startMurmur } from './systems.ts'
import type { BenchNode, SystemInit, SystemName, TransportName } from './systems.ts'
import type { WireCounter } from './wire.ts'
import type { PoolStats } from './pool-watch.ts'
import type { GossipSub } from '@libp2p/gossipsub'

// libsodium's WASM before the first key or hash (@murmur/protocol awaits nothing at import)
await ready()

const { values: args } = parseArgs({
  options: {
    system: { type: 'string' },
    n: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    posts: { type: 'string', default: '3' },
    total: { type: 'string' },
    rate: { type: 'string', default: '10' },
    transport: { type: 'string', default: 'tcp' },
    payload: { type: 'string', default: '300' },
    body: { type: 'string', default: '200' },
    drain: { type: 'string', default: '30000' },
    setup: { type: 'string', default: '300000' },
    profile: { type: 'string' },
    trace: { type: 'string' },
    pool: { type: 'string', default: 'shared' },
    'loop-limit': { type: 'string' }
  }
})

/** What one run reports (times in ms, bytes, CPU seconds, MB). */
export interface RunResult {
  system: SystemName
  n: number
  transport: TransportName
  edges: number
  posts: number
  expected: number
  delivered: number
  setupMs: number
  windowMs: number
  gossipP50: number
  gossipP99: number
  e2eP50: number
  e2eP99: number
  wireBytes: number
  cpuSeconds: number
  rssMbBefore: number
  rssMbAfter: number
  heapMbAfter: number
  /** Posts whose first copy outside the author arrived 10 s or later (the stem's own-post fallback). */
  slowStarts: number
  /** Topology connections that closed during setup and were dialed again. */
  redials: number
  /** Building a post before the window, per post (ring-signed posts only; else about 0). */
  prepareMsPerPost: number
  /** The shared verification pool in the window (`--pool shared` Murmur runs only). */
  pool?: PoolStats
  /**
   * Nodes whose stem was a diffuser at the window's start and end (Murmur runs). A node draws its role once
   * per 10-min epoch, so a run is about one draw: with none, every post walks until it has been everywhere.
   */
  diffusers?: { start: number, end: number }
  error?: string
}

const system = args.system as SystemName
const n = Number(args.n)
const transport = args.transport as TransportName
/** Posts in the workload: `--total`, or `--posts` from every node. */
const totalPosts = args.total === undefined ? n * Number(args.posts) : Number(args.total)
const rate = Number(args.rate)
const seed = Number(args.seed)
if (!SYSTEMS.includes(system) || !(n >= 2) || args.out === undefined || !['tcp', 'memory'].includes(transport) || !['shared', 'node'].includes(args.pool)) {
  console.error(`usage: run-one.ts --system ${SYSTEMS.join('|')} --n N --out file [--transport tcp|memory] [--pool shared|node] ...`)
  process.exit(2)
}
const progress = (what: string): void => { console.error(`  ${system} n=${n}: ${what} (${(performance.now() / 1000).toFixed(1)} s)`) }
/** Peers in a node's gossipsub mesh of `topic` (a method of the gossipsub class, not of its interface). */
const meshSize = (pubsub: GossipSub, topic: string): number => (pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(topic).length
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const rssMb = (): number => { gc(); gc(); return process.memoryUsage().rss / 2 ** 20 }
/** Murmur nodes of the run whose stem is a diffuser now (the bench reaches into the node, as stem-trace.ts does). */
const diffusers = (): number => nodes.filter((node) => (node.murmur as unknown as { stem?: { router: { isDiffuser: boolean } } } | undefined)?.stem?.router.isDiffuser === true).length

const random = seededRandom(seed * 7919 + n)
const bodyChars = Number(args.body)
const BODY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz      '
const body = (): string => Array.from({ length: bodyChars }, () => BODY_ALPHABET[Math.floor(random() * BODY_ALPHABET.length)]).join('')

/** Arrival time (performance.now) of each message at each node; NaN until it arrives. */
const arrivals = new Map<string, Float64Array>()
let arrived = 0
let expectedArrivals = Infinity
let allArrived: (() => void) | undefined
const record = (node: number, key: string): void => {
  let times = arrivals.get(key)
  if (times === undefined) {
    times = new Float64Array(n).fill(NaN)
    arrivals.set(key, times)
  }
  if (Number.isNaN(times[node])) {
    times[node] = performance.now()
    if (++arrived >= expectedArrivals) allArrived?.()
  }
}

const wire: WireCounter = { bytes: 0 }
const dials = randomTopology(n, seed)
const neighbours = Array.from({ length: n }, () => new Set<string>())
const nodes: BenchNode[] = []
const trace = args.trace === undefined ? undefined : new StemTrace()
/**
 * One verification pool for every Murmur node of the process (MurmurInit.verify), one worker per core;
 * `--pool node` gives each node its own (the node's default, 2 × N threads on 2 cores), as runs did before.
 */
const watched = system.startsWith('murmur') && args.pool !== 'node' ? watchPool(createVerifyPool(), quantile) : undefined
const verify = watched?.pool
/** The shared pool's queue, for a set-up that does not finish. */
const poolState = (): string => verify === undefined ? '' : `; verification pool: ${verify.queued} jobs wait for ${verify.size} workers`
const result: RunResult = {
  system, n, transport, edges: dials.length, posts: totalPosts, expected: totalPosts * (n - 1), delivered: 0,
  setupMs: NaN, windowMs: NaN, gossipP50: NaN, gossipP99: NaN, e2eP50: NaN, e2eP99: NaN, wireBytes: 0, cpuSeconds: 0,
  rssMbBefore: rssMb(), rssMbAfter: NaN, heapMbAfter: NaN, slowStarts: 0, redials: 0, prepareMsPerPost: 0
}

async function main (): Promise<void> {
  const setupStart = performance.now()
  const setupDeadline = setupStart + Number(args.setup)
  const run = `${process.pid}-${system}`
  for (let i = 0; i < n; i++) {
    const init: SystemInit = {
      transport, index: i, run, payloadBytes: Number(args.payload), wire, neighbours: neighbours[i]!, verify,
      ...(args['loop-limit'] === undefined ? {} : { stem: { loopLimit: Number(args['loop-limit']) } }),
      onMessage: (key) => { record(i, key); trace?.record(i, 'delivered', key) },
      onPosted: (id, calledAt) => { trace?.record(i, 'call', id, calledAt) }
    }
    const node = system.startsWith('murmur') ? await startMurmur(init, body, system) : await startGossipsub(init, system)
    if (trace !== undefined && node.murmur !== undefined) trace.attach(i, node.murmur)
    nodes.push(node)
  }
  progress(`started ${n} nodes`)
  for (const [v, u] of dials) {
    neighbours[v]!.add(nodes[u]!.peerId.toString())
    neighbours[u]!.add(nodes[v]!.peerId.toString())
  }
  // dial the topology a few at a time
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < dials.length) {
      const [v, u] = dials[next++]!
      for (let attempt = 1; ; attempt++) {
        try {
          await nodes[v]!.libp2p.dial(nodes[u]!.address())
          break
        } catch (err) {
          progress(`dial ${v} -> ${u} failed (attempt ${attempt}): ${err instanceof Error ? err.message : String(err)}`)
          if (attempt === 3) throw err
        }
      }
    }
  }))
  progress(`dialed ${dials.length} edges`)
  let nextReport = performance.now() + 10_000
  // ready when every node knows that all its neighbours are in the channel's topic and has a mesh
  // (a mesh below gossipsub's Dlo is a steady state for a node whose neighbours have full meshes)
  for (;;) {
    const waiting = nodes.filter((node, i) => {
      const pubsub = node.libp2p.services.pubsub
      const topic = pubsub.getTopics()[0]
      return topic === undefined || pubsub.getSubscribers(topic).length < neighbours[i]!.size || meshSize(pubsub, topic) === 0
    }).length
    if (waiting === 0) break
    // a topology connection that closed during setup is dialed again
    for (const [v, u] of dials) {
      if (nodes[v]!.libp2p.getConnections(nodes[u]!.peerId).length === 0) {
        result.redials++
        nodes[v]!.libp2p.dial(nodes[u]!.address()).catch((err: unknown) => { progress(`redial ${v} -> ${u} failed: ${String(err)}`) })
      }
    }
    if (performance.now() > setupDeadline) throw new Error(`${waiting} of ${n} nodes had no mesh after ${args.setup} ms${poolState()}`)
    if (performance.now() >= nextReport) {
      progress(`${waiting} of ${n} nodes wait for their mesh${poolState()}`)
      nextReport += 10_000
    }
    await sleep(250)
  }
  // two more heartbeats so meshes and (Murmur) stem routes settle
  await sleep(2_000)
  result.setupMs = performance.now() - setupStart

  // the workload
  const order = shuffle(Array.from({ length: n }, (_, i) => i), random)
  const total = totalPosts
  const prepareStart = performance.now()
  for (let i = 0; i < Math.min(n, total); i++) await nodes[order[i]!]!.prepare?.(Math.ceil((total - i) / n))
  result.prepareMsPerPost = (performance.now() - prepareStart) / total
  expectedArrivals = total * n
  const done = new Promise<void>((resolve) => { allArrived = resolve })
  const session = args.profile === undefined ? undefined : new Session()
  if (session !== undefined) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  watched?.start()
  const diffusersAtStart = diffusers()
  const cpu0 = process.cpuUsage()
  const bytes0 = wire.bytes
  const start = performance.now()
  const published: Array<Promise<void>> = []
  for (let j = 0; j < total; j++) {
    const wait = start + (j * 1000) / rate - performance.now()
    if (wait > 0) await sleep(wait)
    published.push(nodes[order[j % n]!]!.publish())
  }
  await Promise.all(published)
  let drainTimer: ReturnType<typeof setTimeout> | undefined
  if (arrived < expectedArrivals) {
    await Promise.race([done, new Promise((resolve) => { drainTimer = setTimeout(resolve, Number(args.drain)) })])
  }
  clearTimeout(drainTimer)
  if (watched !== undefined) result.pool = watched.stop()
  if (system.startsWith('murmur')) result.diffusers = { start: diffusersAtStart, end: diffusers() }
  const end = performance.now()
  const cpu = process.cpuUsage(cpu0)
  result.windowMs = end - start
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6
  result.wireBytes = wire.bytes - bytes0
  if (session !== undefined) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(args.profile!, JSON.stringify(profile))
    session.disconnect()
  }
  summarise()
  result.rssMbAfter = rssMb()
  result.heapMbAfter = process.memoryUsage().heapUsed / 2 ** 20
}

/** Whether the author publishes straight into gossip (the baselines, ring posts), or through the stem. */
const publishesIntoGossip = system.startsWith('gossipsub') || system === 'murmur-ring'

/** Delivery count and latency quantiles from the arrival times. */
function summarise (): void {
  const e2e: number[] = []
  const gossip: number[] = []
  for (const times of arrivals.values()) {
    // the author's own record is the earliest: a Murmur author stores its post before sending it, a
    // baseline author records just before publishing
    let author = -1
    for (let v = 0; v < n; v++) if (!Number.isNaN(times[v]) && (author === -1 || times[v]! < times[author]!)) author = v
    // the first node after the author to have it: for Murmur with the stem, the node that fluffed it
    // (it stores the post just before publishing it into gossip); for the baseline, a direct neighbour
    let first = -1
    for (let v = 0; v < n; v++) if (v !== author && !Number.isNaN(times[v]) && (first === -1 || times[v]! < times[first]!)) first = v
    const t0 = times[author]!
    const tf = first === -1 ? NaN : times[first]!
    if (tf - t0 >= 10_000) result.slowStarts++
    for (let v = 0; v < n; v++) {
      if (v === author || Number.isNaN(times[v])) continue
      result.delivered++
      e2e.push(times[v]! - t0)
      // gossip phase: from publish into gossip. Murmur: from the fluff; the baseline publishes at once
      if (publishesIntoGossip) gossip.push(times[v]! - t0)
      else if (v !== first) gossip.push(times[v]! - tf)
    }
  }
  result.e2eP50 = quantile(e2e, 0.5)
  result.e2eP99 = quantile(e2e, 0.99)
  result.gossipP50 = quantile(gossip, 0.5)
  result.gossipP99 = quantile(gossip, 0.99)
}

try {
  await main()
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err)
  summarise()
}
await Promise.allSettled(nodes.map(async (node) => node.stop()))
await verify?.stop()
if (trace !== undefined) {
  const traced = paths(trace.events)
  writeFileSync(args.trace!, JSON.stringify({ summary: summarisePaths(traced, quantile), paths: traced }, null, 2) + '\n')
}
writeFileSync(args.out!, JSON.stringify(result, null, 2) + '\n')
process.exit(0)
