// Second read of issue 12. H1: a peer the node dialed (on a DHT answer) opened a stream back on that
// connection, for a protocol the node serves, and sent nothing: the stream counted as "in use", so the
// idle release never closed the connection, and ~maxConnections such peers held the node at its
// outbound cap, where its gate refused every new dial by PeerId (the DHT eclipsed by those connected).
// H2: the gate compared OPEN outbound connections with the cap when a dial started, not those in
// flight: a burst of parallel dials near the cap went through, and libp2p's total limit (twice
// maxConnections) then refused a newcomer's inbound connection before any gate.
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p } from '../src/libp2p.js'
import { idleOutboundRelease } from '../src/outbound-connections.js'
import { addressOf, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { clientsFrom, connectInbound, inboundFrom, loopbackLibp2p } from './inbound-fixtures.js'
import type { MurmurLibp2p } from '../src/libp2p.js'
import type { Cleanup, StockPeer } from './harness.js'

/** A protocol the node serves whose handler waits for bytes that never come (as the stem's read does). */
const SERVED = '/test/served/1.0.0'

/** Murmur's libp2p composition on loopback with `maxConnections`, serving {@link SERVED}. */
async function startTarget (cleanup: Cleanup, maxConnections: number): Promise<MurmurLibp2p> {
  const node = await loopbackLibp2p({ extra: { connectionManager: { maxConnections, inboundConnectionThreshold: 1_000 } } })
  cleanup.running.push(node)
  await node.start()
  await node.handle(SERVED, () => {})
  return node
}

/** `count` stock peers that, once the node dials them, open a silent {@link SERVED} stream back on that connection. */
async function holders (cleanup: Cleanup, count: number): Promise<StockPeer[]> {
  const peers = await Promise.all(Array.from({ length: count }, async () => startStockPeer()))
  cleanup.running.push(...peers)
  return peers
}

/** Dials `peer` from `node`, then has `peer` open a silent stream back on that connection and waits for the node to see it. */
async function dialHeld (node: MurmurLibp2p, peer: StockPeer): Promise<void> {
  const connection = await node.dial(multiaddr(addressOf(peer)))
  await waitFor(() => peer.getConnections(node.peerId).length > 0, 'the peer to see the connection', 10_000, 20)
  await peer.getConnections(node.peerId)[0]!.newStream(SERVED)
  await waitFor(() => connection.streams.some((s) => s.protocol === SERVED && s.direction === 'inbound'), 'the held stream to open', 10_000, 20)
}

/** The open outbound connections of `node`. */
function outbound (node: MurmurLibp2p): number {
  return node.getConnections().filter((c) => c.direction === 'outbound' && c.status === 'open').length
}

describe('outbound connections held by the remote peer', () => {
  const cleanup = cleanedAfterEach()

  it('are released when idle: a stream the remote opened does not keep the connection', async () => {
    const node = await startTarget(cleanup, 12)
    const peers = await holders(cleanup, 3)
    for (const peer of peers) await dialHeld(node, peer)
    const release = idleOutboundRelease({ connections: () => node.getConnections(), chosen: () => false }, { idle: 0, interval: 60_000 })
    cleanup.running.push(release)
    // each sweep closes those carrying no stream of the node's own (a DHT query of its own may still run on one)
    await waitFor(async () => { await release.sweep(); return outbound(node) === 0 }, 'the held connections to close', 20_000, 100)
  }, 30_000)

  it('never stop the node dialing a new peer: past maxConnections the oldest unchosen one is closed', async () => {
    const node = await startTarget(cleanup, 4)
    const peers = await holders(cleanup, 4)
    for (const peer of peers) await dialHeld(node, peer)
    expect(outbound(node)).toBe(4)
    // a peer the node wants (a DHT walk, a rendezvous provider, a bootstrap redial) is still dialed by PeerId
    const wanted = await startStockPeer()
    cleanup.running.push(wanted)
    await node.peerStore.merge(wanted.peerId, { multiaddrs: wanted.getMultiaddrs() })
    await node.dial(wanted.peerId)
    await waitFor(() => node.getConnections(peers[0]!.peerId).length === 0, 'the oldest held connection to close', 10_000, 20)
    expect(outbound(node)).toBe(4)
    expect(node.getConnections(wanted.peerId).length).toBe(1)
  }, 30_000)

  it('leave inbound room after a burst of parallel dials near the cap: a newcomer from another address gets in', async () => {
    const maxConnections = 8
    const node = await startTarget(cleanup, maxConnections)
    const peers = await holders(cleanup, 24)
    for (const peer of peers.slice(0, 6)) await node.dial(multiaddr(addressOf(peer)))
    // what one DHT query does: many dials at once
    const results = await Promise.allSettled(peers.slice(6).map(async (peer) => node.dial(multiaddr(addressOf(peer)))))
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(18)
    const [newcomer] = await clientsFrom('127.0.0.2', 1)
    cleanup.running.push(newcomer!)
    expect(await connectInbound(node, newcomer!)).toBe(true)
    expect(inboundFrom(node, '127.0.0.2')).toBe(1)
    await waitFor(() => outbound(node) <= maxConnections, 'outbound connections back at the cap', 10_000, 20)
  }, 60_000)

  it('keep the peers the node chose: 30 dials on an attacker\'s word at a cap of 4 close none of them (third read, Low)', async () => {
    const maxConnections = 4
    const chosen = new Set<string>()
    const node: MurmurLibp2p = await createMurmurLibp2p({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      mdns: false,
      allowPrivateAddresses: true,
      iceServers: [],
      dhtServer: false,
      tracker: new InvalidMessageTracker(),
      chosen: (peer) => chosen.has(peer.toString()) && node.getConnections(peer).some((c) => c.direction === 'outbound' && c.status === 'open'),
      extra: { connectionManager: { maxConnections } }
    })
    cleanup.running.push(node)
    await node.start()
    // the node's own choices are dialed first, so they are its oldest outbound connections
    const good = await holders(cleanup, 2)
    for (const peer of good) {
      chosen.add(peer.peerId.toString())
      await node.dial(multiaddr(addressOf(peer)))
    }
    // then 30 peers a DHT answer named, dialed at once
    const bad = await holders(cleanup, 30)
    await Promise.allSettled(bad.map(async (peer) => await node.dial(multiaddr(addressOf(peer)))))
    await waitFor(() => outbound(node) <= maxConnections, 'outbound connections back at the cap', 20_000, 20)
    for (const peer of good) expect(node.getConnections(peer.peerId).some((c) => c.direction === 'outbound' && c.status === 'open')).toBe(true)
  }, 90_000)
})
