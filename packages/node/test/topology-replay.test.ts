/**
 * A service that starts after the node's first connections still learns of the peers on them. libp2p's
 * registrar reports to a topology only peers identified after it registered, and the node starts its stem
 * and onion layers after `libp2p.start()`, when bootstrap dials have begun: a browser tab's one relay,
 * connected and identified before the tab's onion layer started, was never asked for its mix key (a
 * fresh-clone run saw the tab know 0 mixes). `registerTopology` reports the peers already connected.
 */
import { logger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { MIX_KEY_PROTOCOL, createOnion } from '../src/onion/index.js'
import { registerTopology } from '../src/topology.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { Connection, PeerId } from '@libp2p/interface'

describe('a topology registered after the connection', () => {
  const cleanup = cleanedAfterEach()

  const onionOf = (libp2p: Awaited<ReturnType<typeof startStockPeer>>): ReturnType<typeof createOnion> =>
    createOnion({ libp2p, deliver: async () => {}, fallback: () => {}, penalize: () => {}, log: logger('murmur:test:topology') }, { loopsPerMinute: 0 })

  it('reports a peer already connected and identified: an onion layer started late fetches its mix key', async () => {
    const mix = await startStockPeer()
    const late = await startStockPeer()
    const mixOnion = onionOf(mix)
    await mixOnion.start()
    cleanup.running.push(mix, late, { stop: () => { mixOnion.stop() } })
    await late.dial(mix.getMultiaddrs()[0]!)
    await waitFor(async () => (await late.peerStore.get(mix.peerId)).protocols.includes(MIX_KEY_PROTOCOL), 'the mix identified')

    const lateOnion = onionOf(late)
    cleanup.running.push({ stop: () => { lateOnion.stop() } })
    await lateOnion.start()
    await waitFor(() => lateOnion.status().mixes === 1, 'the mix key fetched', 10_000)
  })

  it('reports each peer once and only those that support the protocol', async () => {
    const a = await startStockPeer()
    const b = await startStockPeer()
    cleanup.running.push(a, b)
    await a.handle('/murmur/test-topology/1.0.0', () => {})
    await b.dial(a.getMultiaddrs()[0]!)
    await b.dial(a.getMultiaddrs()[0]!, { force: true })
    await waitFor(async () => (await b.peerStore.get(a.peerId)).protocols.includes('/murmur/test-topology/1.0.0'), 'a identified')
    expect(b.getConnections(a.peerId).length).toBe(2)
    const reported: Array<{ peer: PeerId, connection: Connection }> = []
    await registerTopology(b, '/murmur/test-topology/1.0.0', { onConnect: (peer, connection) => { reported.push({ peer, connection }) } })
    expect(reported.map(({ peer }) => peer.toString())).toEqual([a.peerId.toString()])
    const none: string[] = []
    await registerTopology(b, '/murmur/other/1.0.0', { onConnect: (peer) => { none.push(peer.toString()) } })
    expect(none).toEqual([])
  })
})
