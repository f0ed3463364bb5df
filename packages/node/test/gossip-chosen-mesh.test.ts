// Review of issue 12, M1: gossipsub's Dout counts every outbound connection, those a DHT query opened on a
// remote peer's word too, so it kept no peer this node chose in its mesh. Peers it chose (and that sent
// nothing rejected) now score CHOSEN_PEER_SCORE more: when an oversized mesh is trimmed, the best-scored
// slots (Dscore) go to them. Here 20 stock gossipsub peers the node dialed all graft it; 3 were chosen.
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p } from '../src/libp2p.js'
import { addressOf, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const TOPIC = 'murmur/2/#chosen-mesh'
const PEERS = 20
const CHOSEN = 3
/** gossipsub's Dhi: past it a heartbeat trims the mesh to D, keeping the Dscore best-scored peers. */
const DHI = 12

describe('the gossip mesh of a node that dialed many peers', () => {
  const cleanup = cleanedAfterEach()

  it(`keeps the ${CHOSEN} peers it chose when ${PEERS} outbound peers graft it and the mesh is trimmed`, async () => {
    const peers = await Promise.all(Array.from({ length: PEERS }, async () => startStockPeer()))
    cleanup.running.push(...peers)
    const chosen = new Set(peers.slice(0, CHOSEN).map((peer) => peer.peerId.toString()))
    const node = await createMurmurLibp2p({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      mdns: false,
      allowPrivateAddresses: true,
      iceServers: [],
      dhtServer: false,
      tracker: new InvalidMessageTracker(),
      chosen: (peer: PeerId) => chosen.has(peer.toString()),
      extra: { connectionManager: { inboundConnectionThreshold: 1_000 } }
    })
    cleanup.running.push(node)
    await node.start()
    for (const peer of peers) peer.services.pubsub.subscribe(TOPIC)
    for (const peer of peers) await node.dial(multiaddr(addressOf(peer)))
    await waitFor(() => node.services.pubsub.getSubscribers(TOPIC).length === PEERS, 'every peer\'s subscription', 20_000, 50)
    node.services.pubsub.subscribe(TOPIC)

    // every peer grafts the node (it is their only topic peer), past Dhi; a heartbeat trims the mesh
    // the mesh is gossipsub's own state, public on its class but not on the PubSub interface libp2p types it by
    const mesh = (): string[] => (node.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(TOPIC)
    let peaked = false
    await waitFor(() => {
      if (mesh().length > DHI) peaked = true
      return peaked && mesh().length <= DHI
    }, 'the mesh to grow past Dhi and be trimmed', 30_000, 20)
    expect(mesh().filter((peer) => chosen.has(peer)).sort()).toEqual([...chosen].sort())
  }, 60_000)
})
