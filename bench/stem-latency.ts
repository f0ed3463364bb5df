// Latency the Dandelion++ stem adds (issues 4 and 14 §2): ten real nodes on loopback (a ring with chords),
// twice over: one network with the stem (defaults: q = 0.1, 2 successors) and one without (`stem: false`,
// direct publish), same shape, started side by side. Posts alternate between them (direct, stem, direct,
// …), so a change of load on the machine touches both alike; each is timed from post() to the first
// delivery at the node farthest (in connection hops) from its author.
// A node draws its stem role once per epoch (10 minutes, longer than a round), so one network is one draw:
// with 10 nodes, (1 − q)^10 = 35 % of draws leave no diffuser, and then every post walks until it has been
// everywhere. The run builds ROUNDS fresh pairs of networks, pools their posts, and counts the rounds
// without a diffuser. `stem_added_latency_*` is stem minus direct, with a 95 % paired-bootstrap interval.
//   node bench/stem-latency.ts [--rounds 5] [--posts 80] [--no-write]   (--posts: pairs per round)
import { parseArgs } from 'node:util'
import { addressOf, nextPost, startNode, stopAll, waitFor } from '../packages/node/dist/test/harness.js'
import { channelTopic, ready } from '@murmur/protocol'
import { quantile } from './network/graph.ts'
import { pairedBootstrap } from './lib/bootstrap.ts'
import { median, writeResults } from './lib/results.ts'
import { FLUFF_PROBABILITY } from '@murmur/node'
import type { Murmur } from '@murmur/node'

// libsodium's WASM before the first key or hash (@murmur/protocol awaits nothing at import)
await ready()

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    posts: { type: 'string', default: process.env.STEM_LATENCY_POSTS ?? '80' },
    'no-write': { type: 'boolean', default: false }
  }
})
const SIZE = 10
/** How long a probe may take to reach the farthest node before the run fails. */
const PROBE_TIMEOUT_MS = 120_000
const ROUNDS = Number(args.rounds)
const POSTS = Number(args.posts)

/** A network of SIZE nodes in `channel`: node i bootstraps from i − 1, odd nodes from i − 3 too, the last dials the first. */
async function network (channel: string, stem: boolean): Promise<Murmur[]> {
  const nodes: Murmur[] = []
  for (let i = 0; i < SIZE; i++) {
    const bootstrap = i === 0 ? [] : [addressOf(nodes[i - 1]!), ...(i >= 3 && i % 2 === 1 ? [addressOf(nodes[i - 3]!)] : [])]
    nodes.push(await startNode({ channels: [channel], bootstrap, ...(stem ? {} : { stem: false }) }))
  }
  await nodes[SIZE - 1]!.libp2p.dial(nodes[0]!.getMultiaddrs()[0]!)
  const topic = channelTopic(channel)
  // formed once every node has two channel peers in its gossip mesh: a post sent before travels by IHAVE/IWANT at heartbeats
  await waitFor(() => nodes.every((n) => meshPeers(n, topic) >= 2), `the ${channel} network to form its meshes`, 120_000)
  return nodes
}

/** Peers in a node's gossip mesh of `topic` (a method of the gossipsub class, not of its interface). */
const meshPeers = (node: Murmur, topic: string): number => (node.libp2p.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(topic).length

/** The node with the most connection hops from `from`. */
function farthest (nodes: Murmur[], from: number): number {
  const index = new Map(nodes.map((n, i) => [n.peerId.toString(), i]))
  const hops = new Array<number>(nodes.length).fill(Infinity)
  hops[from] = 0
  const queue = [from]
  while (queue.length > 0) {
    const at = queue.shift()!
    for (const peer of nodes[at]!.libp2p.getPeers()) {
      const j = index.get(peer.toString())
      if (j !== undefined && hops[j] === Infinity) { hops[j] = hops[at]! + 1; queue.push(j) }
    }
  }
  return hops.indexOf(Math.max(...hops.filter(Number.isFinite)))
}

/** Nodes of a network whose stem is a diffuser this epoch (the bench reaches into the node, as stem-trace.ts does). */
const diffusers = (nodes: Murmur[]): number =>
  nodes.filter((node) => (node as unknown as { stem?: { router: { isDiffuser: boolean } } }).stem?.router.isDiffuser === true).length

/** post() by `author` → the first `post` event at the node farthest from it, in ms. */
async function probe (nodes: Murmur[], channel: string, author: number, body: string): Promise<number> {
  const target = farthest(nodes, author)
  const arrived = nextPost(nodes[target]!, (post) => post.body === body, PROBE_TIMEOUT_MS).then(() => performance.now())
  // a probe that never arrives fails the run with what happened to it, not as an unhandled rejection
  arrived.catch(() => {})
  const start = performance.now()
  const sent = await nodes[author]!.post(channel, body)
  try {
    return await arrived - start
  } catch (err) {
    throw new Error(`${channel}: node ${author}'s post (${sent.status} after ${Math.round(performance.now() - start)} ms) did not reach node ${target}`, { cause: err })
  }
}

interface Round { diffusers: number, direct: number[], stem: number[] }
const rounds: Round[] = []
for (let r = 0; r < ROUNDS; r++) {
  const direct = await network(`#latency-direct-${r}`, false)
  const stem = await network(`#latency-stem-${r}`, true)
  // let the stem pick its successors before measuring
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const round: Round = { diffusers: diffusers(stem), direct: [], stem: [] }
  try {
    for (let i = 0; i < POSTS; i++) {
      const author = i % SIZE
      round.direct.push(await probe(direct, `#latency-direct-${r}`, author, `latency probe direct ${r}.${i}`))
      round.stem.push(await probe(stem, `#latency-stem-${r}`, author, `latency probe stem ${r}.${i}`))
    }
  } finally {
    await stopAll([...direct, ...stem])
  }
  console.log(`round ${r + 1}/${ROUNDS}: ${round.diffusers} diffusers; direct median ${median(round.direct).toFixed(1)} ms, stem median ${median(round.stem).toFixed(1)} ms, p99 ${quantile(round.stem, 0.99).toFixed(1)} ms`)
  rounds.push(round)
}

const direct = rounds.flatMap((round) => round.direct)
const stem = rounds.flatMap((round) => round.stem)
const p99 = (values: number[]): number => quantile(values, 0.99)
const addedMedian = (s: number[], d: number[]): number => median(s) - median(d)
const addedP99 = (s: number[], d: number[]): number => p99(s) - p99(d)
const [medianLow, medianHigh] = pairedBootstrap(stem, direct, addedMedian)
const [p99Low, p99High] = pairedBootstrap(stem, direct, addedP99)
const noDiffuser = rounds.filter((round) => round.diffusers === 0).length
const pairs = `${stem.length} interleaved pairs over ${ROUNDS} pairs of networks`
const ci = (low: number, high: number): string => `95 % CI ${low.toFixed(1)} to ${high.toFixed(1)} ms (paired bootstrap, ${pairs})`
console.log(`direct: median ${median(direct).toFixed(1)} ms, p99 ${p99(direct).toFixed(1)} ms; stem: median ${median(stem).toFixed(1)} ms, p99 ${p99(stem).toFixed(1)} ms; ${noDiffuser} of ${ROUNDS} stem networks had no diffuser`)
writeResults('stem-latency', [
  { figure: 'stem_added_latency_median_ms', value: addedMedian(stem, direct), unit: 'ms', target: '<= 500', baseline: median(direct), note: ci(medianLow, medianHigh) },
  { figure: 'stem_added_latency_median_ms_ci95_low', value: medianLow, unit: 'ms' },
  { figure: 'stem_added_latency_median_ms_ci95_high', value: medianHigh, unit: 'ms' },
  { figure: 'stem_added_latency_p99_ms', value: addedP99(stem, direct), unit: 'ms', baseline: p99(direct), note: ci(p99Low, p99High) },
  { figure: 'stem_added_latency_p99_ms_ci95_low', value: p99Low, unit: 'ms' },
  { figure: 'stem_added_latency_p99_ms_ci95_high', value: p99High, unit: 'ms' },
  { figure: 'stem_latency_median_ms', value: median(stem), unit: 'ms' },
  { figure: 'stem_latency_p99_ms', value: p99(stem), unit: 'ms' },
  {
    figure: 'stem_no_diffuser_rounds',
    value: noDiffuser,
    unit: `stem networks of ${ROUNDS} with no diffuser at the start of their posts`,
    note: `each node is a diffuser with probability ${FLUFF_PROBABILITY} per 10-min epoch: ${((1 - FLUFF_PROBABILITY) ** SIZE * 100).toFixed(0)} % of ${SIZE}-node networks have none`
  }
], { rounds })
