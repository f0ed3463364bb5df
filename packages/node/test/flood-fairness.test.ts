/**
 * Issue 17, the flood of valid posts: an honest neighbour of a flooder forwards the flood, valid
 * one-time-signed posts at the required proof of work, and the honest posts it forwards arrive in the
 * same gossip line. The cut-off gate (gossip-cutoff.ts) judged one peer's messages one at a time, each
 * turn lasting the whole judgement (the verification pool's round trip, the store's write): on a busy
 * node, where a check waits on the pool's workers while the main thread idles, a line took one message
 * per round trip, and an honest post behind a forwarded flood waited for every flood post before it
 * (the chaos flood scenario: lines of 300 to 900 messages, 1.2 to 7.8 s from arrival to the validator).
 * Here a stock gossipsub peer, standing for that honest forwarder, sends the node one RPC of flood posts
 * and then an honest post, each check held {@link CHECK_MS} ms as by a busy pool. The old gate stored the
 * honest post after FLOOD × CHECK_MS at the least; the line now takes GOSSIP_PEER_TURNS at a time.
 */
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { GOSSIP_PEER_TURNS } from '../src/gossip-cutoff.js'
import { cleanedAfterEach, joinedStock, nextPost, startNode, startStockPeer, TEST_POW_BITS } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { StockPeer } from './harness.js'

const CHANNEL = '#flood-fairness'
const TOPIC = channelTopic(CHANNEL)
/** Valid flood posts the forwarder relays ahead of the honest post. */
const FLOOD = 48
/** How long each gossip check waits, as on a node whose verification pool is busy (its main thread idle). */
const CHECK_MS = 100

/** gossipsub's own sender, private in its type: one RPC with these messages. */
const sendRpc = (from: StockPeer, to: Murmur, messages: Array<{ topic: string, data: Uint8Array }>): boolean =>
  (from.services.pubsub as unknown as { sendRpc(peer: string, rpc: { subscriptions: [], messages: typeof messages }): boolean }).sendRpc(to.peerId.toString(), { subscriptions: [], messages })

/** Holds every gossip check of `node` for `ms` before it runs (the node's intake, as a busy pool would). */
function slowGossipChecks (node: Murmur, ms: number): void {
  const intake = (node as unknown as { intake: { verify: (...args: unknown[]) => Promise<unknown> } }).intake
  const verify = intake.verify.bind(intake)
  intake.verify = async (...args) => {
    if (args[2] === 'gossip') await new Promise((resolve) => setTimeout(resolve, ms))
    return await verify(...args)
  }
}

describe('an honest forwarder relaying a flood of valid posts', () => {
  const { running } = cleanedAfterEach()

  it('does not make the honest post it forwards wait for its whole flood to be judged one at a time', async () => {
    const node = await startNode({ channels: [CHANNEL], sync: false, stem: false, membership: false })
    running.push(node)
    const forwarder = await startStockPeer()
    running.push(forwarder)
    await joinedStock(node, forwarder, TOPIC)
    const flood = await Promise.all(Array.from({ length: FLOOD }, async (_, i) => (await buildEnvelope({ channel: CHANNEL, body: `flood ${i}`, powBits: TEST_POW_BITS })).bytes))
    const honest = await buildEnvelope({ channel: CHANNEL, body: 'honest, behind the flood', powBits: TEST_POW_BITS })
    const stored = new Set<string>()
    node.addEventListener('post', (evt) => { stored.add(evt.detail.id) })
    slowGossipChecks(node, CHECK_MS)

    const arrived = nextPost(node, (post) => post.id === toHex(honest.id), 60_000)
    const sent = performance.now()
    expect(sendRpc(forwarder, node, [...flood.map((data) => ({ topic: TOPIC, data })), { topic: TOPIC, data: honest.bytes }])).toBe(true)
    await arrived
    const waited = performance.now() - sent
    // one at a time, the honest post came after FLOOD checks of CHECK_MS each (4.8 s) whatever the CPU;
    // GOSSIP_PEER_TURNS at a time, after FLOOD / GOSSIP_PEER_TURNS of them (1.2 s) and the real work
    expect(waited).toBeLessThan(FLOOD * CHECK_MS / 2)
    expect(waited).toBeGreaterThanOrEqual(FLOOD * CHECK_MS / GOSSIP_PEER_TURNS)
    // nothing of the flood was dropped on the way: a line this long is far within its bound
    expect(stored.size).toBe(FLOOD + 1)
  }, 60_000)
})
