import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { initiatesWebRTC, relayedConnectionCloser } from '../src/relay-connections.js'
import type { Connection, Libp2pEvents, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const RELAY = '/ip4/127.0.0.1/tcp/4002/ws/p2p/12D3KooWGRUVh7Zt4CRWVUpkfNdWGJ3ytEfXDSrcRypDwkCHEnJR'

async function peer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A connection stand-in with what the service reads; `closed` says whether it was closed. */
interface FakeConnection extends Connection { closed: boolean }

function connection (remotePeer: PeerId, options: { relayed: boolean, direction?: 'inbound' | 'outbound' }): FakeConnection {
  const fake = {
    remotePeer,
    remoteAddr: multiaddr(options.relayed ? `${RELAY}/p2p-circuit/p2p/${remotePeer.toString()}` : `/ip4/127.0.0.1/udp/9/webrtc/p2p/${remotePeer.toString()}`),
    limits: options.relayed ? { bytes: 1n << 20n, seconds: 120 } : undefined,
    direction: options.direction ?? 'outbound',
    status: 'open',
    closed: false,
    close: async () => { fake.closed = true; fake.status = 'closed' },
    abort: () => { fake.closed = true; fake.status = 'closed' }
  }
  return fake as unknown as FakeConnection
}

/** The service over fakes: `open()` reports a connection as libp2p would; `dials` records upgrade dials. */
async function setup (self: PeerId, dial: (target: Multiaddr) => Promise<Connection>) {
  const events = new TypedEventEmitter<Libp2pEvents>()
  const connections: FakeConnection[] = []
  const dials: string[] = []
  const service = relayedConnectionCloser()({
    peerId: self,
    events,
    connectionManager: {
      getConnections: (p?: PeerId) => connections.filter((c) => p === undefined || c.remotePeer.equals(p)),
      openConnection: async (target: Multiaddr) => { dials.push(target.toString()); return dial(target) }
    },
    transportManager: { dialTransportForMultiaddr: (target: Multiaddr) => target.toString().includes('/webrtc') ? {} : undefined },
    logger: defaultLogger()
  })
  await service.start()
  const open = (c: FakeConnection): void => {
    connections.push(c)
    events.safeDispatchEvent('connection:open', { detail: c })
  }
  return { service, open, dials, connections }
}

/** Lets the service's pending upgrade attempts run. */
async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('relayed connections between browsers', () => {
  it('picks exactly one initiator per pair', async () => {
    const [a, b] = [await peer(), await peer()]
    expect(initiatesWebRTC(a.toString(), b.toString())).toBe(!initiatesWebRTC(b.toString(), a.toString()))
  })

  it('closes the relayed connections to a peer once a direct one is open, and relayed ones that come up later', async () => {
    const self = await peer()
    const other = await peer()
    const { service, open, connections } = await setup(self, async () => { throw new Error('not dialed here') })
    const relayed = connection(other, { relayed: true, direction: 'outbound' })
    open(relayed)
    expect(relayed.closed).toBe(false)
    open(connection(other, { relayed: false }))
    expect(relayed.closed).toBe(true)
    const late = connection(other, { relayed: true, direction: 'outbound' })
    open(late)
    expect(late.closed).toBe(true)
    expect(connections.filter((c) => !c.closed)).toHaveLength(1)
    await service.stop()
  })

  it('starts WebRTC over an inbound relayed connection from a peer that sorts after it, retrying once', async () => {
    const [x, y] = [await peer(), await peer()]
    const [self, later] = initiatesWebRTC(x.toString(), y.toString()) ? [x, y] : [y, x]
    let attempts = 0
    const { service, open, dials } = await setup(self, async () => {
      attempts++
      if (attempts === 1) throw new Error('signalling timed out')
      const direct = connection(later, { relayed: false })
      open(direct)
      return direct
    })
    const relayed = connection(later, { relayed: true, direction: 'inbound' })
    open(relayed)
    await settle()
    expect(dials).toEqual([`${RELAY}/p2p-circuit/webrtc/p2p/${later.toString()}`, `${RELAY}/p2p-circuit/webrtc/p2p/${later.toString()}`])
    // the second attempt brought the direct connection: the relayed one is gone
    expect(relayed.closed).toBe(true)
    await service.stop()
  })

  it('leaves the signalling to the other side when that side sorts first, or when the relayed connection is ours', async () => {
    const [x, y] = [await peer(), await peer()]
    const [first, self] = initiatesWebRTC(x.toString(), y.toString()) ? [x, y] : [y, x]
    const { service, open, dials } = await setup(self, async () => { throw new Error('must not dial') })
    open(connection(first, { relayed: true, direction: 'inbound' }))
    const third = await peer()
    open(connection(third, { relayed: true, direction: 'outbound' }))
    await settle()
    expect(dials.filter((d) => d.includes(first.toString()))).toEqual([])
    expect(dials.filter((d) => d.includes(third.toString()))).toEqual([])
    await service.stop()
  })
})
