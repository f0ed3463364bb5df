/**
 * A public node never dials into its own machine or networks (issue 12, review 10 Medium): learned
 * records were filtered (`learnedAddress`), but a record naming no address is dialed by PeerId, and
 * libp2p then dials whatever its peer store holds for that PeerId (identify, the DHT), loopback and LAN
 * addresses included. The node's connection gate now refuses them (`addressScopeGate`), except the
 * user's own bootstrap addresses; unroutable ones (multicast, broadcast, unspecified, reserved) on any
 * network.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { addressScopeGate, addressScopeMapper, createMurmurLibp2p, isPrivateMultiaddr } from '../src/libp2p.js'
import { SERVED_PEER_ADDRESSES } from '../src/peer-addresses.js'
import { ids } from './rendezvous-fixtures.js'
import { stopAll, waitFor } from './harness.js'
import type { Libp2p } from '@libp2p/interface'

const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const RELAY = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

describe('addressScopeGate', () => {
  // address, denied on the public network, denied on a private one
  const cases: Array<[string, boolean, boolean]> = [
    ['/ip4/8.8.8.8/tcp/4001', false, false],
    ['/ip6/2a00:1450::1/tcp/4001', false, false],
    [`/ip4/8.8.8.8/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, false, false],
    ['/dns4/relay.example.org/tcp/443/wss', false, false],
    ['/ip4/127.0.0.1/tcp/4001', true, false],
    ['/ip4/192.168.1.9/tcp/4001', true, false],
    ['/ip4/100.64.0.1/tcp/4001', true, false],
    ['/ip4/169.254.169.254/tcp/80', true, false],
    ['/ip6/::1/tcp/4001', true, false],
    ['/ip6/fe80::1/tcp/4001', true, false],
    ['/ip6zone/eth0/ip6/fe80::1/tcp/4001', true, false],
    ['/ip6/fd00::1/tcp/4001', true, false],
    ['/ip6/::ffff:127.0.0.1/tcp/4001', true, false],
    // NAT64 of loopback and of a LAN address; the local-use NAT64 prefix is never public
    ['/ip6/64:ff9b::7f00:1/tcp/4001', true, false],
    ['/ip6/64:ff9b::c0a8:109/tcp/4001', true, false],
    ['/ip6/64:ff9b:1::808:808/tcp/4001', true, false],
    ['/ip6/64:ff9b::808:808/tcp/4001', false, false],
    [`/ip4/10.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, true, false],
    // never a peer, on any network
    ['/ip4/0.0.0.0/tcp/4001', true, true],
    ['/ip4/224.0.0.1/tcp/4001', true, true],
    ['/ip4/239.255.255.250/udp/1900', true, true],
    ['/ip4/255.255.255.255/tcp/4001', true, true],
    ['/ip4/240.0.0.1/tcp/4001', true, true],
    ['/ip6/::/tcp/4001', true, true],
    ['/ip6/ff02::1/tcp/4001', true, true],
    ['/ip6/::127.0.0.1/tcp/4001', true, true],
    ['/ip6/100::1/tcp/4001', true, true],
    ['/ip6/4000::1/tcp/4001', true, true]
  ]

  it('refuses private, loopback and link-local addresses on the public network, unroutable ones on any', () => {
    const publicGate = addressScopeGate({ bootstrap: [], allowPrivateAddresses: false })
    const privateGate = addressScopeGate({ bootstrap: [], allowPrivateAddresses: true })
    expect(cases.map(([address]) => [address, publicGate.denyDialMultiaddr(multiaddr(address)), privateGate.denyDialMultiaddr(multiaddr(address))])).toEqual(cases)
  })

  it('lets the bootstrap addresses through, and relayed addresses through a bootstrap relay', () => {
    const gate = addressScopeGate({ bootstrap: [`/ip4/192.168.1.5/tcp/4001/ws/p2p/${RELAY}`, '/ip4/127.0.0.1/tcp/4002', 'not a multiaddr'], allowPrivateAddresses: false })
    expect(gate.denyDialMultiaddr(multiaddr(`/ip4/192.168.1.5/tcp/4001/ws/p2p/${RELAY}`))).toBe(false)
    expect(gate.denyDialMultiaddr(multiaddr(`/ip4/192.168.1.5/tcp/4001/ws/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`))).toBe(false)
    expect(gate.denyDialMultiaddr(multiaddr(`/ip4/127.0.0.1/tcp/4002/p2p/${PEER}`))).toBe(false)
    // the same host on another port or transport is not what the user typed
    expect(gate.denyDialMultiaddr(multiaddr(`/ip4/192.168.1.5/tcp/4001/p2p/${RELAY}`))).toBe(true)
    expect(gate.denyDialMultiaddr(multiaddr('/ip4/127.0.0.1/tcp/4003'))).toBe(true)
  })

  it('the DHT keeps the addresses of a record the gate would let through (kad-dht kept NAT64 of loopback and multicast)', async () => {
    const [id] = await ids(1)
    const peer = { id: id!, multiaddrs: cases.map(([address]) => multiaddr(address)) }
    // each judged alone: a peer is named with at most SERVED_PEER_ADDRESSES of them (below)
    const kept = (allowPrivate: boolean): string[] => peer.multiaddrs.flatMap((addr) => addressScopeMapper(allowPrivate)({ id: peer.id, multiaddrs: [addr] }).multiaddrs.map(String))
    expect(kept(false)).toEqual(cases.filter(([, publicDenied]) => !publicDenied).map(([address]) => multiaddr(address).toString()))
    expect(kept(true)).toEqual(cases.filter(([, , privateDenied]) => !privateDenied).map(([address]) => multiaddr(address).toString()))
    // the first ones let through, in order (fifteenth read of issue 12, High 1)
    expect(addressScopeMapper(true)(peer).multiaddrs.map(String)).toEqual(kept(true).slice(0, SERVED_PEER_ADDRESSES))
  })

  it('isPrivateMultiaddr reads the same scopes: NAT64 and 6to4 of private addresses are private, unroutable ones are not', () => {
    const rows: Array<[string, boolean]> = [
      ['/ip4/100.64.1.2/tcp/4001', true],
      ['/ip4/127.0.0.1/tcp/0', true],
      ['/ip6/64:ff9b::a00:1/tcp/4001', true],
      ['/ip6/2002:c0a8:101::1/tcp/4001', true],
      ['/dns4/localhost/tcp/1', true],
      ['/ip4/0.0.0.0/tcp/0', false],
      ['/ip6/::/tcp/0', false],
      ['/ip4/224.0.0.1/tcp/1', false],
      ['/ip4/8.8.8.8/tcp/1', false],
      ['/ip6/2002:808:808::1/tcp/1', false],
      ['/dns4/example.org/tcp/1', false],
      ['garbage', false]
    ]
    expect(rows.map(([address]) => [address, isPrivateMultiaddr(address)])).toEqual(rows)
  })
})

describe('a public node dialing by PeerId', () => {
  const running: Array<{ stop(): void | Promise<void> }> = []
  afterEach(async () => { await stopAll(running.splice(0)) })

  const stockPeer = async (): Promise<Libp2p> => {
    const peer = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
    running.push(peer)
    return peer
  }
  const publicNode = async (bootstrap: string[], relayed = false): Promise<Libp2p> => {
    const node = await createMurmurLibp2p({ listen: [], bootstrap, mdns: false, allowPrivateAddresses: false, iceServers: [], dhtServer: false, tracker: new InvalidMessageTracker(), extra: relayed ? { transports: [circuitRelayTransport()] } : {} })
    running.push(node)
    await node.start()
    return node
  }

  it('does not dial a learned peer whose only known address is loopback; a bootstrap peer at such an address it does', async () => {
    const target = await stockPeer()
    const node = await publicNode([])
    // what identify or a DHT answer leaves in the peer store; a drawn record naming no address is dialed by PeerId
    await node.peerStore.patch(target.peerId, { multiaddrs: target.getMultiaddrs().map((addr) => addr.decapsulateCode(421)) })
    await expect(node.dial(target.peerId)).rejects.toMatchObject({ name: 'DialDeniedError' })
    await expect(node.dial(target.getMultiaddrs())).rejects.toMatchObject({ name: 'DialDeniedError' })
    expect(target.getConnections()).toEqual([])

    const booted = await publicNode([target.getMultiaddrs()[0]!.toString()])
    await waitFor(() => booted.getConnections(target.peerId).length > 0, 'the bootstrap peer on loopback dialed')
  }, 60_000)

  it('reaches a peer through a relay on loopback only when the relay is a bootstrap address', async () => {
    const relay = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), relay: circuitRelayServer() }
    })
    running.push(relay)
    const target = await createLibp2p({
      addresses: { listen: ['/p2p-circuit'] },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    running.push(target)
    await target.dial(relay.getMultiaddrs()[0]!)
    const circuit = await waitFor(() => target.getMultiaddrs().find((addr) => addr.toString().includes('/p2p-circuit/')), 'the target holds a slot on the relay')
    // the relay is the user's bootstrap peer: the relayed address through it is dialed
    const booted = await publicNode([relay.getMultiaddrs()[0]!.toString()], true)
    const connection = await booted.dial(circuit, { signal: AbortSignal.timeout(30_000) })
    expect(connection.remotePeer.equals(target.peerId)).toBe(true)
    // through a relay on loopback that the user did not name, it is not
    const other = await publicNode([], true)
    await expect(other.dial(circuit)).rejects.toMatchObject({ name: 'DialDeniedError' })
  }, 60_000)
})
