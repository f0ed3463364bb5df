// Review of issue 12, H1: nothing closed the connections a DHT query opened on a remote peer's word
// (libp2p's pruner acts only past maxConnections and skips every connection carrying a gossipsub or
// ping stream), so they piled up. idleOutboundRelease closes those the node did not choose once idle.
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p } from '../src/libp2p.js'
import { idleOutboundRelease, keptAliveIn } from '../src/outbound-connections.js'
import { addressOf, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const HOLD = '/test/hold/1.0.0'

describe('idle outbound connections to peers the node did not choose', () => {
  const cleanup = cleanedAfterEach()

  it('are closed; those to chosen peers, kept-alive peers or carrying a stream of their own stay', async () => {
    const node = await createMurmurLibp2p({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      mdns: false,
      allowPrivateAddresses: true,
      iceServers: [],
      dhtServer: false,
      tracker: new InvalidMessageTracker()
    })
    cleanup.running.push(node)
    await node.start()
    const peers = await Promise.all(Array.from({ length: 4 }, async () => startStockPeer()))
    cleanup.running.push(...peers)
    const [chosenPeer, busy, pinned, incidental] = peers as [typeof peers[0], typeof peers[0], typeof peers[0], typeof peers[0]]
    await busy.handle(HOLD, () => {})
    for (const peer of peers) await node.dial(multiaddr(addressOf(peer)))
    const stream = await node.dialProtocol(busy.peerId, HOLD)
    await node.peerStore.merge(pinned.peerId, { tags: { 'keep-alive-circuit-relay': { value: 1 } } })
    // what every connection gets does not keep it: identify ran, a gossipsub stream is open
    await waitFor(() => node.getConnections(incidental.peerId)[0]?.streams.some((s) => s.protocol?.startsWith('/meshsub/') === true), 'a gossipsub stream to the incidental peer', 10_000, 20)

    const chosen = (peer: PeerId): boolean => peer.equals(chosenPeer.peerId)
    const release = idleOutboundRelease({ connections: () => node.getConnections(), chosen, keptAlive: keptAliveIn(node.peerStore) }, { idle: 0, interval: 60_000 })
    cleanup.running.push(release)
    expect(await release.sweep()).toBe(1)
    await waitFor(() => node.getConnections(incidental.peerId).length === 0, 'the idle connection to close', 10_000, 20)
    for (const peer of [chosenPeer, busy, pinned]) expect(node.getConnections(peer.peerId).length).toBe(1)

    // once its own stream ends, the busy one is idle too
    stream.abort(new Error('done'))
    await waitFor(async () => (await release.sweep()) === 1, 'the busy connection to go idle', 10_000, 50)
    await waitFor(() => node.getConnections(busy.peerId).length === 0, 'the busy connection to close', 10_000, 20)
    expect(node.getConnections(chosenPeer.peerId).length).toBe(1)
  }, 30_000)

  it('are left alone while younger than the idle time', async () => {
    const connection = { direction: 'outbound', status: 'open', timeline: { open: Date.now() }, streams: [], remotePeer: {}, close: async () => { throw new Error('closed a young connection') } }
    const release = idleOutboundRelease({ connections: () => [connection as never], chosen: () => false }, { idle: 60_000 })
    cleanup.running.push(release)
    expect(await release.sweep()).toBe(0)
  })
})
