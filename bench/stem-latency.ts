// Latency the Dandelion++ stem adds (issue 4): 10 real nodes on loopback in a ring with chords; the time
// from post() to the first delivery at the node farthest (in connection hops) from the author, with the
// stem on (default parameters) and off (direct publish), in the same run.
import { addressOf, nextPost, startNode, stopAll, waitFor } from '../packages/node/dist/test/harness.js'
import { channelTopic } from '@murmur/protocol'
import { quantile } from './network/graph.ts'
import { median, writeResults } from './lib/results.ts'
import type { Murmur } from '@murmur/node'

const SIZE = 10
const POSTS = Number(process.env.STEM_LATENCY_POSTS ?? 200)
const CHANNEL = '#latency'

async function network (stem: boolean): Promise<Murmur[]> {
  const nodes: Murmur[] = []
  for (let i = 0; i < SIZE; i++) {
    const bootstrap = i === 0 ? [] : [addressOf(nodes[i - 1]!), ...(i >= 3 && i % 2 === 1 ? [addressOf(nodes[i - 3]!)] : [])]
    nodes.push(await startNode({ channels: [CHANNEL], bootstrap, ...(stem ? {} : { stem: false }) }))
  }
  await nodes[SIZE - 1]!.libp2p.dial(nodes[0]!.getMultiaddrs()[0]!)
  await waitFor(() => nodes.every((n) => n.libp2p.services.pubsub.getSubscribers(channelTopic(CHANNEL)).length >= 2), 'the network to form')
  return nodes
}

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

async function measure (stem: boolean): Promise<number[]> {
  const nodes = await network(stem)
  // let the stem pick its successors before measuring
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const latencies: number[] = []
  try {
    for (let i = 0; i < POSTS; i++) {
      const author = i % SIZE
      const target = nodes[farthest(nodes, author)]!
      const body = `latency probe ${stem ? 'stem' : 'direct'} ${i}`
      const arrived = nextPost(target, (post) => post.body === body, 120_000).then(() => performance.now())
      const start = performance.now()
      await nodes[author]!.post(CHANNEL, body)
      latencies.push(await arrived - start)
    }
  } finally {
    await stopAll(nodes)
  }
  return latencies
}

const p99 = (values: number[]): number => quantile(values, 0.99)
const direct = await measure(false)
const stem = await measure(true)
console.log(`direct: median ${median(direct).toFixed(1)} ms, p99 ${p99(direct).toFixed(1)} ms; stem: median ${median(stem).toFixed(1)} ms, p99 ${p99(stem).toFixed(1)} ms (${POSTS} posts each)`)
writeResults('stem-latency', [
  { figure: 'stem_added_latency_median_ms', value: median(stem) - median(direct), unit: 'ms', target: '<= 500', baseline: median(direct) },
  { figure: 'stem_added_latency_p99_ms', value: p99(stem) - p99(direct), unit: 'ms', baseline: p99(direct) },
  { figure: 'stem_latency_median_ms', value: median(stem), unit: 'ms' },
  { figure: 'stem_latency_p99_ms', value: p99(stem), unit: 'ms' }
])
