// One gossipsub RPC from one peer, through a real node (sixth read of issue 12, RV13B High): gossipsub hands
// every message of an RPC to the validator at once, so a free batch of 250 stuffed 16 KiB envelopes was all
// checked before the first penalty landed (2.5 s of main thread). The node now checks one peer's messages in
// turns, the cut-off asked first. Figures:
// - junk_batch_checks: intake checks of one RPC of 250 stuffed envelopes (goal <= CUT_OFF_COUNT + 1 = 4);
// - junk_batch_busy_ms: main-thread busy ms from the send until the peer was hung up on and every message
//   handed to the validator answered;
// - honest_burst_ms: ms for one peer's RPC of 200 valid one-time posts to be stored (what the turns cost an
//   honest burst: its checks run one at a time).
// Usage: node bench/gossip-batch.ts [--small] [--no-write]
import { performance } from 'node:perf_hooks'
import { buildEnvelope, channelTopic, MAX_ENVELOPE_BYTES, ready } from '@murmur/protocol'
import { startNode, startStockPeer, TEST_POW_BITS, waitFor } from '../packages/node/dist/test/harness.js'
import { medianFigure, writeResults } from './lib/results.ts'
import type { Murmur } from '@murmur/node'
import type { StockPeer } from '../packages/node/dist/test/harness.js'

const SMALL = process.argv.includes('--small')
const RUNS = SMALL ? 1 : 5
const JUNK = SMALL ? 50 : 250
const HONEST = SMALL ? 20 : 200
const CHANNEL = '#batch'
const TOPIC = channelTopic(CHANNEL)

await ready()

const varint = (n: number): number[] => {
  const out: number[] = []
  for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128)
  out.push(n)
  return out
}

/** RV13B's envelope: a Post of 8,000 empty parents, no proof of work; `n` makes each a message of its own. */
function stuffed (n: number): Uint8Array {
  const post = new Array<number[]>(Math.floor((MAX_ENVELOPE_BYTES - 120) / 2)).fill([0x1a, 0x00]).flat()
  return new Uint8Array([0x0a, ...varint(post.length), ...post, 0x12, 0x64, 0x0a, 0x20, ...new Uint8Array(32).fill(7), 0x12, 0x40, ...new Uint8Array(64).fill(9), 0x20, ...varint(n + 1)])
}

/** A node in the channel and a stock peer subscribed to it, connected. */
async function pair (): Promise<{ node: Murmur, peer: StockPeer }> {
  const node = await startNode({ channels: [CHANNEL] })
  const peer = await startStockPeer()
  peer.services.pubsub.subscribe(TOPIC)
  await peer.dial(node.getMultiaddrs().find((a) => String(a).startsWith('/ip4/127.0.0.1/tcp/'))!)
  await waitFor(() => node.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(peer.peerId)), 'the node sees the peer in the channel')
  await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(node.peerId)), 'the peer sees the node in the channel')
  return { node, peer }
}

/** gossipsub's own sender, private in its type. */
function send (peer: StockPeer, to: Murmur, data: Uint8Array[]): void {
  const sender = peer.services.pubsub as unknown as { sendRpc(to: string, rpc: { messages: Array<{ topic: string, data: Uint8Array }> }): boolean }
  if (!sender.sendRpc(to.peerId.toString(), { messages: data.map((d) => ({ topic: TOPIC, data: d })) })) throw new Error('RPC not sent')
}

async function junkRun (): Promise<{ checks: number, busy: number }> {
  const { node, peer } = await pair()
  try {
    const intake = (node as unknown as { intake: { verify: (...args: unknown[]) => Promise<unknown> } }).intake
    const verify = intake.verify.bind(intake)
    let checks = 0
    intake.verify = async (...args) => {
      if (args[2] === 'gossip') checks++
      return await verify(...args)
    }
    const pubsub = node.libp2p.services.pubsub
    const validator = pubsub.topicValidators.get(TOPIC)!
    let answered = 0
    let entered = 0
    pubsub.topicValidators.set(TOPIC, async (from, message) => {
      entered++
      try {
        return await validator(from, message)
      } finally {
        answered++
      }
    })
    const batch = Array.from({ length: JUNK }, (_, i) => stuffed(i))
    const before = performance.eventLoopUtilization()
    send(peer, node, batch)
    // a peer cut off is hung up on, and gossipsub drops its RPCs not yet read: done when it is gone and every message handed over was answered
    await waitFor(() => node.libp2p.getConnections(peer.peerId).length === 0 && answered === entered, 'the peer cut off and its messages answered', 120_000, 5)
    return { checks, busy: performance.eventLoopUtilization(before).active }
  } finally {
    await Promise.allSettled([peer.stop(), node.stop()])
  }
}

async function honestRun (): Promise<number> {
  const posts = await Promise.all(Array.from({ length: HONEST }, async (_, i) => (await buildEnvelope({ channel: CHANNEL, body: `honest ${i}`, powBits: TEST_POW_BITS })).bytes))
  const { node, peer } = await pair()
  try {
    let stored = 0
    node.addEventListener('post', () => { stored++ })
    const start = performance.now()
    send(peer, node, posts)
    await waitFor(() => stored === HONEST, 'every post stored', 120_000, 5)
    return performance.now() - start
  } finally {
    await Promise.allSettled([peer.stop(), node.stop()])
  }
}

const checks: number[] = []
const busy: number[] = []
const honest: number[] = []
for (let run = 0; run < RUNS; run++) {
  const junk = await junkRun()
  checks.push(junk.checks)
  busy.push(junk.busy)
  honest.push(await honestRun())
}
writeResults('gossip-batch', [
  medianFigure({ figure: 'junk_batch_checks', unit: 'checks', target: '<= 4', note: `one RPC of ${JUNK} stuffed 16 KiB envelopes from one peer` }, checks),
  medianFigure({ figure: 'junk_batch_busy_ms', unit: 'ms', note: 'main thread busy until the peer was hung up on and what gossipsub handed over answered (RV13B before the fix: ~2,500 ms for 250)' }, busy.map((b) => Math.round(b))),
  medianFigure({ figure: 'honest_burst_ms', unit: 'ms', note: `one RPC of ${HONEST} valid one-time posts from one peer, until all were stored` }, honest.map((h) => Math.round(h)))
])
process.exit(0)
