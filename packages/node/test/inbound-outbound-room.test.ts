// Review of issue 12, H1: the inbound share's takeover never ran once a node held as many outbound
// connections as its reserve. libp2p refuses an inbound connection once its TOTAL count reaches its
// maxConnections, before any gater hook, and nothing bounded a node's outbound connections (DHT walks,
// the keep-alive that kad-dht puts on the peers closest to the node's PeerId): one host filling the
// inbound slots then locked every newcomer from any other address out ("maxConnections exceeded").
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p, inboundConnectionLimit } from '../src/libp2p.js'
import { DHT_KEEP_ALIVE_TAG } from '../src/outbound-connections.js'
import { addressOf, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { clientsFrom, connectInbound, inboundFrom } from './inbound-fixtures.js'
import type { MurmurLibp2p } from '../src/libp2p.js'
import type { Cleanup, StockPeer } from './harness.js'

/** A small table: 9 inbound slots, 3 kept for the node's own dials. */
const MAX_CONNECTIONS = 12
const LIMIT = inboundConnectionLimit(MAX_CONNECTIONS)
const RESERVE = MAX_CONNECTIONS - LIMIT

/** Murmur's libp2p composition on loopback, with `maxConnections` of its own. */
async function startTarget (cleanup: Cleanup, maxConnections = MAX_CONNECTIONS, dhtServer = false): Promise<MurmurLibp2p> {
  const node = await createMurmurLibp2p({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    mdns: false,
    allowPrivateAddresses: true,
    iceServers: [],
    dhtServer,
    tracker: new InvalidMessageTracker(),
    extra: { connectionManager: { maxConnections, inboundConnectionThreshold: 1_000 } }
  })
  cleanup.running.push(node)
  await node.start()
  return node
}

/** `count` listening stock peers. */
async function stockPeers (cleanup: Cleanup, count: number): Promise<StockPeer[]> {
  const peers = await Promise.all(Array.from({ length: count }, async () => startStockPeer()))
  cleanup.running.push(...peers)
  return peers
}

/** The open outbound connections of `node`. */
function outbound (node: MurmurLibp2p): number {
  return node.getConnections().filter((c) => c.direction === 'outbound' && c.status === 'open').length
}

describe('inbound room whatever the node dialed', () => {
  const cleanup = cleanedAfterEach()

  it('a newcomer from a second address takes a slot over from a one-host swarm while the node holds more outbound connections than its reserve', async () => {
    const node = await startTarget(cleanup)
    // the node's own dials fill its reserve
    for (const peer of await stockPeers(cleanup, RESERVE)) await node.dial(multiaddr(addressOf(peer)))
    // one host fills every inbound slot
    const crowd = await clientsFrom('127.0.0.1', LIMIT)
    cleanup.running.push(...crowd)
    for (const client of crowd) expect(await connectInbound(node, client)).toBe(true)
    expect(inboundFrom(node, '127.0.0.1')).toBe(LIMIT)
    // and the node dials more than its reserve (a DHT walk, peers redialed for being close to its PeerId)
    for (const peer of await stockPeers(cleanup, 2)) await node.dial(multiaddr(addressOf(peer)))
    expect(outbound(node)).toBe(RESERVE + 2)

    const [newcomer] = await clientsFrom('127.0.0.2', 1)
    cleanup.running.push(newcomer!)
    expect(await connectInbound(node, newcomer!)).toBe(true)
    await waitFor(() => inboundFrom(node, '127.0.0.1') === LIMIT - 1, 'one crowd connection to make room', 10_000, 20)
    expect(inboundFrom(node, '127.0.0.2')).toBe(1)
    expect(node.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open').length).toBe(LIMIT)
    // the crowd cannot take the slot back
    const [again] = await clientsFrom('127.0.0.1', 1)
    cleanup.running.push(again!)
    expect(await connectInbound(node, again!)).toBe(false)
    expect(inboundFrom(node, '127.0.0.2')).toBe(1)
  }, 60_000)

  it('dials a new peer past maxConnections outbound connections, then closes the oldest to an unchosen peer', async () => {
    const node = await startTarget(cleanup, 4)
    const peers = await stockPeers(cleanup, 5)
    for (const peer of peers.slice(0, 4)) await node.dial(multiaddr(addressOf(peer)))
    expect(outbound(node)).toBe(4)
    await node.dial(multiaddr(addressOf(peers[4]!)))
    await waitFor(() => node.getConnections(peers[0]!.peerId).length === 0, 'the oldest outbound connection to close', 10_000, 20)
    expect(outbound(node)).toBe(4)
    expect(node.getConnections(peers[4]!.peerId).length).toBe(1)
  }, 30_000)

  it('keeps no DHT peer connected for being close to the node\'s PeerId (kad-dht\'s keep-alive tag is dropped)', async () => {
    const [node, other] = await Promise.all([startTarget(cleanup, 12, true), startTarget(cleanup, 12, true)])
    await node.dial(multiaddr(addressOf(other)))
    // kad-dht pings a new contact, then tags the closest peers every 5 s: kad-close and keep-alive at once
    const tags = async (): Promise<Map<string, unknown>> => (await node.peerStore.get(other.peerId)).tags
    await waitFor(async () => (await tags()).has('kad-close'), 'the DHT to tag its closest peer', 30_000, 100)
    await waitFor(async () => !(await tags()).has(DHT_KEEP_ALIVE_TAG), 'the keep-alive tag to go', 5_000, 50)
  }, 60_000)
})
