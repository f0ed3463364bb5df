/**
 * Issue 12 review A, H2: gossipsub forgets a message id after two minutes, and a node's memory of what it
 * saw in gossip does not survive a restart, so a replay of a valid stored post counted as its first gossip
 * copy: the replayer earned delivery credit for nothing, and the node flooded the old post through its
 * mesh again. Now only a post new to the store earns credit, and a post stored already is forwarded only
 * while fresh (FORWARD_STORED_MAX_AGE).
 */
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, collectMessages, startNode, startStockPeer, TEST_POW_BITS, waitFor } from './harness.js'

const CHANNEL = '#replay'
const TOPIC = channelTopic(CHANNEL)

/** What gossipsub's class has and its interface type does not. */
interface GossipsubInternals {
  getMeshPeers(topic: string): string[]
  getScore(peer: string): number
}

describe('a replay of old stored posts', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('earns a stock peer no delivery credit after a restart, and is not forwarded', async () => {
    const dataDir = await tempDir()
    const init = { channels: [CHANNEL], stem: false as const, sync: false as const, dataDir }
    const hour = Math.floor(Date.now() / 1000) - 3600
    const old = []
    for (let i = 0; i < 6; i++) old.push(await buildEnvelope({ channel: CHANNEL, body: `old ${i}`, created: hour, ttl: 86_400, powBits: TEST_POW_BITS }))

    // first life: the six posts arrive by gossip and are stored
    const first = await startNode(init)
    const author = await startStockPeer()
    running.push(author)
    author.services.pubsub.subscribe(TOPIC)
    await author.dial(first.getMultiaddrs()[0]!)
    await waitFor(() => (first.libp2p.services.pubsub as unknown as GossipsubInternals).getMeshPeers(TOPIC).length === 1, 'the author in the mesh')
    for (const post of old) await author.services.pubsub.publish(TOPIC, post.bytes)
    for (const post of old) await waitFor(async () => await first.get(toHex(post.id)) !== undefined, 'an old post stored')
    await first.stop()
    await author.stop()

    // second life, on the same data: a fresh stock peer replays them, a watcher hears only from the node
    const node = await startNode(init)
    running.push(node)
    const replayer = await startStockPeer()
    running.push(replayer)
    const watcher = await startStockPeer()
    running.push(watcher)
    replayer.services.pubsub.subscribe(TOPIC)
    watcher.services.pubsub.subscribe(TOPIC)
    const received = collectMessages(watcher, TOPIC)
    await replayer.dial(node.getMultiaddrs()[0]!)
    await watcher.dial(node.getMultiaddrs()[0]!)
    const pubsub = node.libp2p.services.pubsub as unknown as GossipsubInternals
    await waitFor(() => pubsub.getMeshPeers(TOPIC).length === 2, 'both peers in the node\'s mesh')
    await waitFor(() => (replayer.services.pubsub as unknown as GossipsubInternals).getMeshPeers(TOPIC).length === 1, 'the node in the replayer\'s mesh')
    for (const post of old) await replayer.services.pubsub.publish(TOPIC, post.bytes)
    // a fresh post after them: new to the store, so forwarded and credited
    const marker = await buildEnvelope({ channel: CHANNEL, body: 'new', powBits: TEST_POW_BITS })
    await replayer.services.pubsub.publish(TOPIC, marker.bytes)
    await waitFor(() => received.some((message) => toHex(message.data) === toHex(marker.bytes)), 'the watcher to get the new post')
    expect(received.map((message) => toHex(message.data))).toEqual([toHex(marker.bytes)])
    // the marker's one point of credit, not six more for the replays
    const score = await waitFor(() => { const s = pubsub.getScore(replayer.peerId.toString()); return s > 0.5 && s }, 'the credit for the new post')
    expect(score).toBeLessThan(1.5)
  }, 120_000)
})
