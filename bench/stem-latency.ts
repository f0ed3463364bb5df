// Latency the Dandelion++ stem adds (issue 4): 10 real nodes on loopback in a ring with chords; the time
// from post() to the first delivery at the node farthest (in connection hops) from the author, with the
// stem on (default parameters) and off (direct publish), in the same run.
import { createMurmur } from '@murmur/node'
import { median, writeResults } from './lib/results.ts'
import type { Murmur, PostView } from '@murmur/node'

const SIZE = 10
const POSTS = Number(process.env.STEM_LATENCY_POSTS ?? 200)
const CHANNEL = '#latency'
const listen = ['/ip4/127.0.0.1/tcp/0']
// every node dials from 127.0.0.1: lift libp2p's per-host inbound limit, as a real network of many hosts would
const connectionManager = { inboundConnectionThreshold: 1_000 }

const address = (node: Murmur): string => node.getMultiaddrs().map(String).find((a) => a.includes('/tcp/') && !a.includes('/ws'))!

async function network (stem: boolean): Promise<Murmur[]> {
  const nodes: Murmur[] = []
  for (let i = 0; i < SIZE; i++) {
    const bootstrap = i === 0 ? [] : [address(nodes[i - 1]!), ...(i >= 3 && i % 2 === 1 ? [address(nodes[i - 3]!)] : [])]
    nodes.push(await createMurmur({ listen, channels: [CHANNEL], bootstrap, powBits: 8, libp2p: { connectionManager }, ...(stem ? {} : { stem: false }) }))
  }
  await nodes[SIZE - 1]!.libp2p.dial(nodes[0]!.getMultiaddrs()[0]!)
  const deadline = Date.now() + 30_000
  while (!nodes.every((n) => n.libp2p.services.pubsub.getSubscribers(`murmur/1/${CHANNEL}`).length >= 2)) {
    if (Date.now() > deadline) throw new Error('the network did not form')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
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
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`post ${i} did not arrive within 120 s`)) }, 120_000)
        const listener = (evt: CustomEvent<PostView>): void => {
          if (evt.detail.body === body) {
            clearTimeout(timer)
            target.removeEventListener('post', listener)
            resolve(performance.now())
          }
        }
        target.addEventListener('post', listener)
      })
      const start = performance.now()
      await nodes[author]!.post(CHANNEL, body)
      latencies.push(await arrived - start)
    }
  } finally {
    await Promise.allSettled(nodes.map(async (n) => n.stop()))
  }
  return latencies
}

const p99 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)]!
const direct = await measure(false)
const stem = await measure(true)
console.log(`direct: median ${median(direct).toFixed(1)} ms, p99 ${p99(direct).toFixed(1)} ms; stem: median ${median(stem).toFixed(1)} ms, p99 ${p99(stem).toFixed(1)} ms (${POSTS} posts each)`)
writeResults('stem-latency', [
  { figure: 'stem_added_latency_median_ms', value: median(stem) - median(direct), unit: 'ms', target: '<= 500', baseline: median(direct) },
  { figure: 'stem_added_latency_p99_ms', value: p99(stem) - p99(direct), unit: 'ms', baseline: p99(direct) },
  { figure: 'stem_latency_median_ms', value: median(stem), unit: 'ms' },
  { figure: 'stem_latency_p99_ms', value: p99(stem), unit: 'ms' }
])
