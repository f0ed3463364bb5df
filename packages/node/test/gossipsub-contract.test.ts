// The gossipsub internals Murmur relies on (issue 16 item 13), pinned against the installed
// @libp2p/gossipsub so that an upgrade that changes one fails here, by name, rather than as a silent
// loss of posts elsewhere. Each case names the internal and what Murmur does with it (gossip.ts).
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { GOSSIPSUB_NO_PEERS, hasOutboundGossipStream, isNoPeersError } from '../src/gossip.js'
import { addressOf, cleanedAfterEach, collectMessages, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'

const TOPIC = 'murmur-contract'

/** The two internals gossip.ts reads through `GossipsubStreams`. */
interface Internals {
  streamsOutbound: Map<string, { rawStream: { abort(err: Error): void } }>
  createOutboundStream: (...args: unknown[]) => Promise<void>
}

const internals = (peer: StockPeer): Internals => peer.services.pubsub as unknown as Internals

describe('gossipsub contract', () => {
  const { running } = cleanedAfterEach()

  async function pair (): Promise<[StockPeer, StockPeer]> {
    const a = await startStockPeer()
    running.push(a)
    const b = await startStockPeer()
    running.push(b)
    b.services.pubsub.subscribe(TOPIC)
    await a.dial(multiaddr(addressOf(b)))
    await waitFor(() => a.services.pubsub.getSubscribers(TOPIC).some((peer) => peer.equals(b.peerId)) && hasOutboundGossipStream(a.services.pubsub, b.peerId), 'b subscribed, as a sees it, over an open stream')
    return [a, b]
  }

  it(`publish with no peer throws '${GOSSIPSUB_NO_PEERS}' before the message is marked seen (outbound.ts queues the post and publishes it again)`, async () => {
    const a = await startStockPeer()
    running.push(a)
    const data = new TextEncoder().encode('queued until a peer comes')
    const refused = await a.services.pubsub.publish(TOPIC, data).then(() => undefined, (err: unknown) => err)
    expect(refused, 'publish to nobody must reject').toBeInstanceOf(Error)
    expect((refused as Error).message).toBe(GOSSIPSUB_NO_PEERS)
    expect(isNoPeersError(refused)).toBe(true)

    // the same bytes (the same message id under StrictNoSign) are published once a peer is there
    const b = await startStockPeer()
    running.push(b)
    const got = collectMessages(b, TOPIC)
    b.services.pubsub.subscribe(TOPIC)
    await a.dial(multiaddr(addressOf(b)))
    await waitFor(() => a.services.pubsub.getSubscribers(TOPIC).length === 1 && hasOutboundGossipStream(a.services.pubsub, b.peerId), 'b subscribed')
    const { recipients } = await a.services.pubsub.publish(TOPIC, data)
    expect(recipients.map(String)).toEqual([b.peerId.toString()])
    await waitFor(() => got.length === 1, 'the message at b')
  }, 60_000)

  it('streamsOutbound maps a PeerId string to our open outbound stream, and drops it when the stream closes (outbound.ts: a subscriber is reachable only through one)', async () => {
    const [a, b] = await pair()
    expect(internals(a).streamsOutbound).toBeInstanceOf(Map)
    expect(internals(a).streamsOutbound.has(b.peerId.toString())).toBe(true)
    internals(a).streamsOutbound.get(b.peerId.toString())!.rawStream.abort(new Error('lost'))
    await waitFor(() => !hasOutboundGossipStream(a.services.pubsub, b.peerId), 'the closed stream to leave streamsOutbound')
    expect(a.getConnections(b.peerId).length).toBeGreaterThan(0)
  }, 60_000)

  it('createOutboundStream(peer, connection) opens a lost stream again, and gossipsub alone does not (keepGossipStreams)', async () => {
    const [a, b] = await pair()
    internals(a).streamsOutbound.get(b.peerId.toString())!.rawStream.abort(new Error('lost'))
    await waitFor(() => !hasOutboundGossipStream(a.services.pubsub, b.peerId), 'the closed stream to leave streamsOutbound')
    // a heartbeat (1 s) passes: gossipsub does not open it by itself
    await new Promise<void>((resolve) => { a.services.pubsub.addEventListener('gossipsub:heartbeat', () => { resolve() }, { once: true }) })
    expect(hasOutboundGossipStream(a.services.pubsub, b.peerId)).toBe(false)
    expect(typeof internals(a).createOutboundStream).toBe('function')
    const connection = a.getConnections(b.peerId).find((c) => c.status === 'open')!
    await internals(a).createOutboundStream(b.peerId, connection)
    expect(hasOutboundGossipStream(a.services.pubsub, b.peerId)).toBe(true)
    const got = collectMessages(b, TOPIC)
    await a.services.pubsub.publish(TOPIC, new TextEncoder().encode('over the new stream'))
    await waitFor(() => got.length === 1, 'the message at b over the new stream')
  }, 60_000)
})
