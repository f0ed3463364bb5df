/**
 * A relay keeps the node's own inbound rules (issue 12 review, Low): `relayLibp2pOptions` brings a
 * connection gate of its own (the relay's fair share), which replaced the node's gate whole, so a
 * relay took inbound connections into the slots kept for its own dials and dropped the inbound share
 * and the cut-off. Clients are stock libp2p peers on loopback.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { combineConnectionGaters, inboundConnectionLimit } from '../src/libp2p.js'
import { relayLibp2pOptions } from '../src/relay.js'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Libp2p } from '@libp2p/interface'

/** A small connection table, so that the cap is reached with a few clients. */
const MAX_CONNECTIONS = 8

describe('a relay\'s connection gate', () => {
  const cleanup = cleanedAfterEach()

  it('is added to the node\'s own: the inbound cap still keeps room for the relay\'s own dials', async () => {
    // share 1 (the relay's own gate lets everything in) leaves the node's cap as the only limit
    const relayOptions = relayLibp2pOptions({ reservationShare: 1 })
    const relay = await startNode({
      sync: false,
      stem: false,
      libp2p: { ...relayOptions, connectionManager: { maxConnections: MAX_CONNECTIONS, inboundConnectionThreshold: 1_000 } }
    })
    cleanup.running.push(relay)
    const clients: Libp2p[] = await Promise.all(Array.from({ length: MAX_CONNECTIONS + 2 }, async () =>
      createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })))
    cleanup.running.push(...clients)
    const address = multiaddr(addressOf(relay))
    // one at a time: each sees the table the previous one left
    for (const client of clients) {
      try {
        const connection = await client.dial(address)
        await waitFor(() => connection.status !== 'open' || relay.libp2p.getConnections(client.peerId).length > 0, 'the connection to settle', 10_000, 20)
      } catch {
        // refused: what the cap is for
      }
    }
    const inbound = (): number => relay.libp2p.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open').length
    // a refused connection may still be counted for a moment while it closes
    await waitFor(() => inbound() <= inboundConnectionLimit(MAX_CONNECTIONS), 'refused connections to close', 10_000)
    expect(inbound()).toBe(inboundConnectionLimit(MAX_CONNECTIONS))
  })
})

describe('combined connection gaters', () => {
  it('deny when any denies, in order, and offer an address only when all do', async () => {
    const asked: string[] = []
    const gate = combineConnectionGaters(
      { denyDialPeer: () => { asked.push('first'); return false }, filterMultiaddrForPeer: () => true },
      { denyDialPeer: async () => { asked.push('second'); return true }, filterMultiaddrForPeer: async () => false },
      { denyDialPeer: () => { asked.push('third'); return false }, denyInboundConnection: () => false }
    )
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    expect(await gate.denyDialPeer?.(peer)).toBe(true)
    expect(asked).toEqual(['first', 'second'])
    expect(await gate.filterMultiaddrForPeer?.(peer, multiaddr('/ip4/192.0.2.1/tcp/1'))).toBe(false)
    expect(await gate.denyInboundConnection?.({} as never)).toBe(false)
    expect(gate.denyOutboundConnection).toBeUndefined()
  })
})
