// Review of issue 12, Medium: outboundCap closed an unchosen connection while a stream of the node's own
// (a sync session, a stem frame) was in flight on it. Two ways: every unchosen connection was in use when
// an attacker's dial pushed the count past the cap (the oldest in use was closed), or the node opened its
// stream on the oldest idle one while the cap, already set on closing it, awaited the peer store (the
// connection was not looked at again for streams after the await). An unchosen connection carrying a
// stream of the node's is now never a victim: the next oldest idle one is, or none.
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'


import { outboundCap } from '../src/outbound-connections.js'
import { SYNC_PROTOCOL } from '../src/sync/constants.js'
import { addressOf, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { loopbackLibp2p } from './inbound-fixtures.js'
import type { MurmurLibp2p } from '../src/libp2p.js'
import type { Cleanup, StockPeer } from './harness.js'
import type { Connection, Stream } from '@libp2p/interface'

/** Murmur's libp2p composition on loopback, at `maxConnections`. */
async function startNode (cleanup: Cleanup, maxConnections: number): Promise<MurmurLibp2p> {
  const node = await loopbackLibp2p({ extra: { connectionManager: { maxConnections, inboundConnectionThreshold: 1_000 } } })
  cleanup.running.push(node)
  await node.start()
  return node
}

/** `count` stock peers serving {@link SYNC_PROTOCOL} with a handler that holds each stream open, as a slow sync peer does. */
async function slowPeers (cleanup: Cleanup, count: number): Promise<StockPeer[]> {
  const peers = await Promise.all(Array.from({ length: count }, async () => startStockPeer()))
  cleanup.running.push(...peers)
  for (const peer of peers) await peer.handle(SYNC_PROTOCOL, () => {})
  return peers
}

/** Opens a stream of the node's own on `connection` (a sync session waiting for its answer). */
async function ownStream (connection: Connection): Promise<Stream> {
  const stream = await connection.newStream(SYNC_PROTOCOL)
  expect(stream.status).toBe('open')
  return stream
}

/** The open outbound connections of `node`. */
function outbound (node: MurmurLibp2p): Connection[] {
  return node.getConnections().filter((c) => c.direction === 'outbound' && c.status === 'open')
}

describe('outboundCap and the node\'s own streams in flight', () => {
  const cleanup = cleanedAfterEach()

  it('closes no unchosen connection carrying a stream of the node\'s when an attacker\'s dial pushes past the cap', async () => {
    const node = await startNode(cleanup, 2)
    const [first, second, third] = await slowPeers(cleanup, 3)
    // two connections a DHT answer led to, each carrying a sync session of the node's waiting for its answer
    const a = await node.dial(multiaddr(addressOf(first!)))
    const b = await node.dial(multiaddr(addressOf(second!)))
    const streams = [await ownStream(a), await ownStream(b)]
    const closed: string[] = []
    for (const stream of streams) stream.addEventListener('close', () => { closed.push(stream.id) })
    // the attacker's word: a third dial, past the cap of 2
    const c = await node.dial(multiaddr(addressOf(third!)))
    // the cap acts on the open event, after one peer-store read per candidate: a read started now ends after
    // its; a close under way shows well within the grace (no event marks a close that did not happen)
    await node.peerStore.get(first!.peerId)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(closed).toEqual([])
    expect(streams.map((s) => s.status)).toEqual(['open', 'open'])
    expect([a.status, b.status, c.status]).toEqual(['open', 'open', 'open'])
    // once the session is over, the next dial past the cap closes that connection (and the idle third): the cap still holds
    streams[0]!.abort(new Error('the session is over'))
    const [fourth] = await slowPeers(cleanup, 1)
    await node.dial(multiaddr(addressOf(fourth!)))
    await waitFor(() => a.status !== 'open' && c.status !== 'open', 'the idle connections to close', 10_000, 20)
    expect(b.status).toBe('open')
    expect(streams[1]!.status).toBe('open')
  }, 60_000)

  it('looks at a connection again after the peer-store await: a stream of the node\'s opened meanwhile keeps it, the next oldest is closed', async () => {
    // the shipped cap stays far away; the one under test holds 2 and opens the node's stream during its await
    const node = await startNode(cleanup, 96)
    const [oldest, next, third] = await slowPeers(cleanup, 3)
    const victim = await node.dial(multiaddr(addressOf(oldest!)))
    const other = await node.dial(multiaddr(addressOf(next!)))
    let opened: Stream | undefined
    const stop = outboundCap({
      events: node,
      connections: () => node.getConnections(),
      chosen: () => false,
      // the await the cap makes per candidate (the peer store's tags); the node starts a sync session on the
      // oldest connection right then, as it may at any time
      keptAlive: async (peer) => {
        if (peer.equals(oldest!.peerId) && opened === undefined) opened = await ownStream(victim)
        return false
      }
    }, { maxOutbound: 2 })
    cleanup.running.push({ stop })
    await node.dial(multiaddr(addressOf(third!)))
    await waitFor(() => other.status !== 'open', 'the next oldest connection to close', 10_000, 20)
    expect(opened?.status).toBe('open')
    expect(victim.status).toBe('open')
    expect(outbound(node).length).toBe(2)
  }, 60_000)
})
