// A crowd behind one address (issue 12, Critical): N real nodes on 127.0.0.1 (TCP over loopback, one
// process), each bootstrapping from three others and meeting the rest through the DHT topic rendezvous,
// everything else as shipped (stem, history sync, scoring). Posts from random authors; for each, the time
// until every node has it, and the share of (node, post) pairs delivered within the window.
// `npm exec -- node bench/crowd.ts [--quick]`: 200 nodes, or 30 with --quick (CROWD_NODES overrides;
// CROWD_STEM=0 turns the stem off, to tell the stem's share of the delay from the gossip's).
import { addressOf, startNode, stopAll, waitFor } from '../packages/node/dist/test/harness.js'
import { median, writeResults } from './lib/results.ts'
import { seededRandom } from './lib/random.ts'
import { channelTopic } from '@murmur/protocol'
import type { Murmur } from '@murmur/node'
import type { Figure } from './lib/results.ts'

const quick = process.argv.includes('--quick')
const SIZE = Number(process.env.CROWD_NODES ?? (quick ? 30 : 200))
const POSTS = quick ? 3 : 10
const CHANNEL = '#crowd'
const BOOTSTRAP_PEERS = 3
/** How long one post may take to reach everyone before it counts as undelivered where it is missing. */
const WINDOW = 120_000
/**
 * All nodes share one event loop (a real crowd has one per machine): handshakes and pings can be slow
 * under that load, so they get time instead of being aborted. Nothing here changes gossip or discovery.
 */
const ONE_PROCESS_LIBP2P = {
  connectionManager: { inboundConnectionThreshold: 10_000, dialTimeout: 120_000, inboundUpgradeTimeout: 120_000 },
  connectionMonitor: { abortConnectionOnPingFailure: false }
}

const random = seededRandom(200)
const nodes: Murmur[] = []
const started = performance.now()
try {
  for (let i = 0; i < SIZE; i++) {
    const bootstrap = new Set<string>()
    while (i > 0 && bootstrap.size < Math.min(i, BOOTSTRAP_PEERS)) {
      bootstrap.add(addressOf(nodes[Math.floor(random() * i)]!))
    }
    nodes.push(await startNode({ channels: [CHANNEL], bootstrap: [...bootstrap], libp2p: ONE_PROCESS_LIBP2P, ...(process.env.CROWD_STEM === '0' ? { stem: false } : {}) }))
  }
  await waitFor(() => nodes.every((node) => node.libp2p.services.pubsub.getSubscribers(channelTopic(CHANNEL)).length >= 1), 'every node in the channel', 600_000, 500)
  const formed = performance.now() - started
  console.log(`${SIZE} nodes on 127.0.0.1 in the channel after ${(formed / 1000).toFixed(1)} s; connections per node: median ${median(nodes.map((n) => n.libp2p.getConnections().length))}`)

  const fullTimes: number[] = []
  // the first other node to get a post: how long the stem held it before it was published
  const firstTimes: number[] = []
  let delivered = 0
  for (let p = 0; p < POSTS; p++) {
    const body = `crowd bench ${p}`
    const author = Math.floor(random() * SIZE)
    const have = new Set<number>([author])
    let first: number | undefined
    let start = performance.now()
    let everyone = (): void => {}
    const all = new Promise<'all'>((resolve) => { everyone = () => { resolve('all') } })
    const listeners = nodes.map((node, i) => {
      const listener = (evt: CustomEvent<{ body: string }>): void => {
        if (evt.detail.body === body) {
          have.add(i)
          first ??= performance.now() - start
          if (have.size === SIZE) everyone()
        }
      }
      node.addEventListener('post', listener)
      return listener
    })
    start = performance.now()
    await nodes[author]!.post(CHANNEL, body)
    let timer: ReturnType<typeof setTimeout> | undefined
    const outcome = await Promise.race([all, new Promise<'window'>((resolve) => { timer = setTimeout(() => { resolve('window') }, WINDOW) })])
    clearTimeout(timer)
    if (outcome === 'all') fullTimes.push(performance.now() - start)
    delivered += have.size
    nodes.forEach((node, i) => { node.removeEventListener('post', listeners[i]!) })
    if (first !== undefined) firstTimes.push(first)
    console.log(`post ${p}: first node after ${first?.toFixed(0) ?? '-'} ms, ${have.size}/${SIZE} nodes${outcome === 'all' ? ` in ${(performance.now() - start).toFixed(0)} ms` : ` within ${WINDOW / 1000} s`}`)
  }
  const ratio = delivered / (SIZE * POSTS)
  const figures: Figure[] = [{ figure: `delivery_ratio_one_ip_n${SIZE}`, value: ratio, unit: 'ratio', target: '1.0' }]
  // times to full delivery only when every post got there (a missing post has no time)
  if (fullTimes.length === POSTS) {
    figures.push(
      { figure: `full_delivery_median_ms_one_ip_n${SIZE}`, value: median(fullTimes), unit: 'ms' },
      { figure: `full_delivery_max_ms_one_ip_n${SIZE}`, value: Math.max(...fullTimes), unit: 'ms' }
    )
  }
  if (firstTimes.length > 0) figures.push({ figure: `first_delivery_median_ms_one_ip_n${SIZE}`, value: median(firstTimes), unit: 'ms' })
  figures.push({ figure: `network_formed_s_one_ip_n${SIZE}`, value: formed / 1000, unit: 's' })
  writeResults('crowd', figures)
} finally {
  await stopAll(nodes)
}
