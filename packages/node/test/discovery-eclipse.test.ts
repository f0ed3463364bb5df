// Eclipse by inbound connections (review A, H3): peers that connect to a node must not count toward what
// it dials. A swarm of stock libp2p peers subscribed to the node's channel once satisfied its rendezvous
// target (6 peers in the channel) and its discovery target (8 connections), so it dialed no honest member
// again; and with every connection slot taken inbound, nobody could dial in either.
import { channelTopic } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { inboundConnectionLimit } from '../src/libp2p.js'
import { topicCid } from '../src/rendezvous.js'
import { addressOf, cleanedAfterEach, nextPost, startNode, startStockPeer, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { StockPeer } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const CHANNEL = '#eclipse'
const TOPIC = channelTopic(CHANNEL)
const SYBILS = 10
const HONEST = 3

/** libp2p's per-host inbound rate limit would refuse loopback peers (see harness.ts). */
const LOOPBACK_CONNECTION_MANAGER = { inboundConnectionThreshold: 1_000 }

/** A stock libp2p peer in the channel, connected to `target` (it dialed: inbound at the target). */
async function inboundSybil (target: Murmur): Promise<StockPeer> {
  const sybil = await startStockPeer()
  sybil.services.pubsub.subscribe(TOPIC)
  await sybil.dial(target.getMultiaddrs()[0]!)
  return sybil
}

/** Whether `node` has a connection it dialed itself to `peer`. */
function dialedTo (node: Murmur, peer: PeerId): boolean {
  return node.libp2p.getConnections(peer).some((connection) => connection.direction === 'outbound')
}

describe('a node whose channel is filled by inbound sybils', () => {
  const { running } = cleanedAfterEach()

  it(`still dials honest providers of its channel: ${SYBILS} inbound sybils in the channel, ${HONEST} honest members that never dial it`, async () => {
    const bootstrapNode = await startNode()
    running.push(bootstrapNode)
    // the honest members never dial the victim (as when the eclipser holds its inbound slots), and they
    // serve no DHT queries (as most members of a large network do not), so the victim's lookups never
    // connect to them in passing: the victim reaches them only if its rendezvous or discovery dials them
    const neverDial = new Set<string>()
    const honest: Murmur[] = []
    for (let i = 0; i < HONEST; i++) {
      const node = await startNode({
        channels: [CHANNEL],
        bootstrap: [addressOf(bootstrapNode)],
        dhtServer: false,
        libp2p: { connectionManager: LOOPBACK_CONNECTION_MANAGER, connectionGater: { denyDialPeer: (peer) => neverDial.has(peer.toString()) } }
      })
      running.push(node)
      honest.push(node)
    }
    const cid = await topicCid(TOPIC)
    await waitFor(async () => {
      const found = new Set<string>()
      try {
        // the bootstrap node is the only DHT server: its own records come first, then the query times out
        for await (const event of bootstrapNode.libp2p.services.dht.findProviders(cid, { signal: AbortSignal.timeout(2_000) })) {
          if (event.name === 'PROVIDER') event.providers.forEach((p) => found.add(p.id.toString()))
          if (honest.every((node) => found.has(node.peerId.toString()))) return true
        }
      } catch {
        // the timeout ends the query: what was found before it counts
      }
      return honest.every((node) => found.has(node.peerId.toString()))
    }, 'the honest members to provide the channel', 30_000, 500)

    const victim = await startNode({ channels: [CHANNEL] })
    running.push(victim)
    neverDial.add(victim.peerId.toString())
    const sybilIds = new Set<string>()
    for (let i = 0; i < SYBILS; i++) {
      const sybil = await inboundSybil(victim)
      running.push(sybil)
      sybilIds.add(sybil.peerId.toString())
    }
    await waitFor(() => victim.libp2p.services.pubsub.getSubscribers(TOPIC).filter((p) => sybilIds.has(p.toString())).length === SYBILS,
      'the victim to see every sybil in its channel')
    // more peers in the channel than the rendezvous target (6) and more connections than discovery's (8), all inbound

    // the victim's only way to the honest members: the DHT, through the bootstrap node it dials now
    await victim.libp2p.dial(multiaddr(addressOf(bootstrapNode)))
    const reached = await waitFor(() => honest.find((node) => dialedTo(victim, node.peerId) &&
      victim.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(node.peerId))),
    'the victim to dial an honest member of its channel', 60_000, 250)
    const delivered = nextPost(victim, (p) => p.body === 'past the sybils', 60_000)
    expect((await reached.post(CHANNEL, 'past the sybils')).status).toBe('sent')
    await delivered
  }, 180_000)

  it('keeps connection slots for its own dials: inbound connections stop at maxConnections minus the reserve', async () => {
    expect(inboundConnectionLimit(96)).toBe(72)
    const MAX = 8
    const limit = inboundConnectionLimit(MAX)
    expect(limit).toBe(6)
    const victim = await startNode({ libp2p: { connectionManager: { ...LOOPBACK_CONNECTION_MANAGER, maxConnections: MAX } } })
    running.push(victim)
    const sybils: StockPeer[] = []
    for (let i = 0; i < MAX; i++) {
      const sybil = await startStockPeer()
      running.push(sybil)
      sybils.push(sybil)
    }
    // one at a time, so each sees the count its predecessors left
    const outcomes: boolean[] = []
    for (const sybil of sybils) {
      outcomes.push(await sybil.dial(victim.getMultiaddrs()[0]!).then(async (connection) => {
        // a refused connection may be closed just after it opened on the dialer's side
        await new Promise((resolve) => setTimeout(resolve, 200))
        return connection.status === 'open'
      }, () => false))
    }
    const inbound = (): number => victim.libp2p.getConnections().filter((c) => c.direction === 'inbound').length
    await waitFor(() => inbound() <= limit, 'refused connections to close')
    expect(inbound()).toBe(limit)
    expect(outcomes.filter((ok) => !ok).length).toBe(MAX - limit)
    // the reserved slots are the victim's own: it can still dial a peer of its choice
    const chosen = await startStockPeer()
    running.push(chosen)
    await victim.libp2p.dial(chosen.getMultiaddrs()[0]!)
    expect(dialedTo(victim, chosen.peerId)).toBe(true)
  }, 60_000)
})
