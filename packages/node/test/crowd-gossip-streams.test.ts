// A gossip stream lost on a live connection (bench/crowd.ts, issue 12 Critical): gossipsub opens one
// outbound stream per peer when it connects and never again, so a stream that failed to open on a busy
// node, or closed later, left the peer connected but deaf to us for good: it never heard our
// subscriptions nor got our posts. In the 60-node crowd, nodes sat with 20 connections and no channel
// peer for minutes. keepGossipStreams (gossip.ts) opens it again.
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, nextPost, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#streams'
const TOPIC = channelTopic(CHANNEL)

/** The gossipsub internals keepGossipStreams relies on (see `GossipsubStreams` in gossip.ts). */
interface Internals {
  streamsOutbound: Map<string, { rawStream: { abort(err: Error): void } }>
  createOutboundStream: unknown
}

const internals = (node: Murmur): Internals => node.libp2p.services.pubsub as unknown as Internals

describe('lost gossip streams', () => {
  const { running } = cleanedAfterEach()

  it('gossipsub still has the stream map and the method the keeper uses', async () => {
    const node = await startNode()
    running.push(node)
    expect(internals(node).streamsOutbound).toBeInstanceOf(Map)
    expect(typeof internals(node).createOutboundStream).toBe('function')
  })

  it('are opened again: a peer whose stream from us was lost hears our subscription and gets our posts', async () => {
    // no stem, no sync: what reaches b can only come over a's gossip stream
    const a = await startNode({ channels: [CHANNEL], stem: false, sync: false })
    running.push(a)
    const b = await startNode({ channels: [CHANNEL], stem: false, sync: false, bootstrap: [addressOf(a)] })
    running.push(b)
    const bId = b.peerId.toString()
    await waitFor(() => internals(a).streamsOutbound.has(bId) && b.libp2p.services.pubsub.getSubscribers(TOPIC).length === 1, 'a gossip stream from a to b')

    // a's stream to b goes down while the connection stays up (a negotiation timeout looks the same: no stream)
    internals(a).streamsOutbound.get(bId)!.rawStream.abort(new Error('lost'))
    await waitFor(() => !internals(a).streamsOutbound.has(bId), 'the lost stream to be dropped')
    expect(a.libp2p.getConnections(b.peerId).length).toBeGreaterThan(0)

    // opened again by the keeper (after GOSSIP_STREAM_RETRY, at a heartbeat); gossipsub alone never does
    await waitFor(() => internals(a).streamsOutbound.has(bId), 'the gossip stream from a to b to be opened again', 60_000, 250)
    const arrived = nextPost(b, (post) => post.body === 'after the loss', 60_000)
    const sent = await a.post(CHANNEL, 'after the loss')
    expect(sent.status).toBe('sent')
    expect((await arrived).body).toBe('after the loss')
  }, 120_000)
})
