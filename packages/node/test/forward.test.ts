/**
 * Issue 12, High 2 (node part): whether a node forwards a post from gossip must not depend on whether it
 * held the post already. Before, a stored post was forwarded only when it was the node's own, and an
 * unsolicited sync push could plant a copy first: silence meant "not the author".
 */
import { logger } from '@libp2p/logger'
import { buildEnvelope, channelTopic, checkPow, decodeEnvelope, encodeEnvelope, powDigest, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { HistorySync } from '../src/internal.js'
import { cleanedAfterEach, collectMessages, startNode, startStockPeer, TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS, waitFor } from './harness.js'
import type { SyncHost } from '../src/internal.js'
import type { InvalidMessageTracker } from '../src/gossip.js'

const CHANNEL = '#forward'
const TOPIC = channelTopic(CHANNEL)

/** The mesh of the topic (gossipsub's class has `getMeshPeers`; its interface type does not). */
function meshOf (pubsub: object): string[] {
  return (pubsub as { getMeshPeers(topic: string): string[] }).getMeshPeers(TOPIC)
}

describe('forwarding from gossip', () => {
  const { running } = cleanedAfterEach()

  it('forwards the first gossip copy of a post that a sync planted before, as it forwards any other', async () => {
    const node = await startNode({ channels: [CHANNEL], stem: false })
    running.push(node)
    const post = await buildEnvelope({ channel: CHANNEL, body: 'planted first', powBits: TEST_POW_BITS })
    // the planter: a stock peer answering history sync with that one post
    const planter = await startStockPeer()
    running.push(planter)
    const host: SyncHost = {
      channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
      items: async () => [{ created: Number(post.post.created), id: post.id }],
      envelope: async () => post.bytes,
      ingest: async () => 'ignore',
      penalise: () => {},
      topics: () => [],
      members: () => []
    }
    const sync = new HistorySync(planter, host, { log: logger('murmur:test:planter') })
    await sync.start()
    running.push({ stop: async () => sync.stop() })
    planter.services.pubsub.subscribe(TOPIC)
    // the watcher is connected to the node only: it gets the post from the node or not at all
    const watcher = await startStockPeer()
    running.push(watcher)
    watcher.services.pubsub.subscribe(TOPIC)
    const received = collectMessages(watcher, TOPIC)
    await planter.dial(node.getMultiaddrs()[0]!)
    await watcher.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => meshOf(node.libp2p.services.pubsub).length === 2, 'both peers in the node\'s mesh')
    await waitFor(() => meshOf(planter.services.pubsub).length === 1, 'the node in the planter\'s mesh')

    await waitFor(async () => await node.get(toHex(post.id)) !== undefined || (await node.syncChannel(CHANNEL), false), 'the planted copy')
    await planter.services.pubsub.publish(TOPIC, post.bytes)
    await waitFor(() => received.some((message) => toHex(message.data) === toHex(post.bytes)), 'the watcher to get the post through the node')
    expect(received).toHaveLength(1)

    // a later copy of a post that spread already (here re-mined: other bytes, the same post) is not
    // flooded through the network again
    const envelope = decodeEnvelope(post.bytes)
    let nonce = envelope.pow + 1n
    while (!checkPow(powDigest(post.id, envelope), nonce, TEST_UNVERIFIED_POW_BITS)) nonce++
    await planter.services.pubsub.publish(TOPIC, encodeEnvelope({ ...envelope, pow: nonce })).catch(() => {})
    const marker = await buildEnvelope({ channel: CHANNEL, body: 'after the copy', powBits: TEST_POW_BITS })
    await planter.services.pubsub.publish(TOPIC, marker.bytes)
    await waitFor(() => received.some((message) => toHex(message.data) === toHex(marker.bytes)), 'the watcher to get the next post')
    expect(received).toHaveLength(2)
    // delivery credit for the new post only: the planted one was forwarded but not new to the store (review A, H2)
    // the tracker's credit (gossipsub's score adds the chosen-peer bonus once the node's discovery draws the planter)
    const tracker = (node as unknown as { tracker: InvalidMessageTracker }).tracker
    const score = await waitFor(() => { const s = tracker.score(planter.peerId.toString()); return s > 0.5 && s }, 'the credit for the new post')
    expect(score).toBeLessThan(1.5)
  }, 60_000)
})
