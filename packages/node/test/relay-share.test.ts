/**
 * Relay slots are shared fairly between client addresses. The attacker is a host with many PeerIds,
 * each a stock libp2p peer that sends a hand-built circuit-relay HOP RESERVE; loopback gives each
 * "host" an address of its own (all of 127.0.0.0/8 reaches 127.0.0.1 on Linux), in a /24 of its own
 * unless the test is about one network.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { relayLibp2pOptions, relayService } from '../src/relay.js'
import { UNADDRESSED_GROUP, addressGroups, fairShare } from '../src/relay-share.js'
import { admitInbound } from '../src/inbound-share.js'
import { LOOPBACK, cleanedAfterEach, waitFor } from './harness.js'
import type { CircuitRelayService } from '../src/relay.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
/** circuit-relay-v2 `Status` values (circuit.proto). */
const OK = 100
const RESERVATION_REFUSED = 200
const PERMISSION_DENIED = 202
/** `HopMessage { type: RESERVE }`: field 1, varint 0. */
const RESERVE = Uint8Array.of(0x08, 0x00)

type Relay = Libp2p<{ relay: CircuitRelayService }>

/** A relay as `relayLibp2pOptions` makes it (the fair share under test), on loopback. */
async function startRelay (maxReservations?: number): Promise<Relay> {
  const options = relayLibp2pOptions(maxReservations === undefined ? {} : { maxReservations })
  return createLibp2p({
    ...options,
    addresses: { listen: LOOPBACK },
    // clients connect all at once: libp2p's per-host rate limit (5 a second) and its limit of 10
    // connections being upgraded at once would refuse most of them before the share is asked
    connectionManager: { ...options.connectionManager, inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1_000 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  }) as Promise<Relay>
}

/** A stock libp2p peer whose TCP connections leave from `host` (one PeerId of a host). */
async function startClient (host: string): Promise<Libp2p> {
  // @libp2p/tcp hands dialOpts to net.connect, whose localAddress its type does not list
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress: host }
  return createLibp2p({ transports: [tcp({ dialOpts })], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
}

/** The varint field 5 (`status`) of a HopMessage. */
function statusOf (message: Uint8Array): number | undefined {
  let at = 0
  const varint = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      const byte = message[at++] ?? 0
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0 || at >= message.length) return value
    }
  }
  while (at < message.length) {
    const key = varint()
    const wire = key & 7
    if (wire === 0) {
      const value = varint()
      if (key >> 3 === 5) return value
    } else if (wire === 2) {
      const length = varint()
      at += length
    } else {
      return undefined
    }
  }
  return undefined
}

/** Sends one RESERVE (new, or a renewal when the client holds a slot) and returns the relay's status. */
async function reserve (client: Libp2p, relay: Relay): Promise<number | undefined> {
  const stream = await client.dialProtocol(relay.getMultiaddrs()[0] ?? multiaddr(), HOP)
  const messages = lpStream(stream)
  await messages.write(RESERVE)
  const status = statusOf((await messages.read()).subarray())
  await stream.close().catch(() => {})
  return status
}

function count (statuses: Array<number | undefined>, status: number): number {
  return statuses.filter((s) => s === status).length
}

describe('relay slot fair share', () => {
  const cleanup = cleanedAfterEach()

  async function clients (host: string, n: number): Promise<Libp2p[]> {
    const started = await Promise.all(Array.from({ length: n }, async () => startClient(host)))
    cleanup.running.push(...started)
    return started
  }

  it('groups clients by address (IPv4, IPv6 /64) and network (IPv4 /24, IPv6 /48)', () => {
    const groups = (address: string): { address: string, network: string } => addressGroups(multiaddr(`${address}/tcp/1`))
    expect(groups('/ip4/203.0.113.7')).toEqual({ address: 'ip4/203.0.113.7', network: 'ip4/203.0.113.0/24' })
    expect(groups('/ip4/203.0.113.8').network).toBe(groups('/ip4/203.0.113.7').network)
    expect(groups('/ip4/203.0.114.7').network).not.toBe(groups('/ip4/203.0.113.7').network)
    expect(groups('/ip6/2001:db8:0:1::1')).toEqual({ address: 'ip6/2001:0db8:0000:0001::/64', network: 'ip6/2001:0db8:0000::/48' })
    expect(groups('/ip6/2001:db8:0:1:ffff:1:2:3').address).toBe(groups('/ip6/2001:db8:0:1::9').address)
    // a household's /56: other /64s, the same /48
    expect(groups('/ip6/2001:db8:0:2::1').address).not.toBe(groups('/ip6/2001:db8:0:1::1').address)
    expect(groups('/ip6/2001:db8:0:2::1').network).toBe(groups('/ip6/2001:db8:0:1::1').network)
    expect(groups('/ip6/2001:db8:1:1::1').network).not.toBe(groups('/ip6/2001:db8:0:1::1').network)
    expect(groups('/ip6/::ffff:203.0.113.7')).toEqual(groups('/ip4/203.0.113.7'))
    expect(groups('/ip6/::1').address).toBe('ip6/0000:0000:0000:0000::/64')
    // every DNS name is one group: a name costs nothing (discovery-dns.test)
    expect(groups('/dns4/relay.example.org')).toEqual({ address: 'dns', network: 'dns' })
    expect(groups('/dns6/other.example.net')).toEqual(groups('/dns4/relay.example.org'))
  })

  it.each([
    ['NAT64', '/ip6/64:ff9b::cb00:7107', '/ip6/64:ff9b::cb00:7108', '203.0.113.8'],
    ['local-use NAT64', '/ip6/64:ff9b:1::cb00:7107', '/ip6/64:ff9b:1::c633:6407', '198.51.100.7'],
    ['6to4', '/ip6/2002:cb00:7107:1::1', '/ip6/2002:cb00:7107:2::5', '203.0.113.7'],
    ['Teredo', '/ip6/2001:0:4136:e378:8000:63bf:34ff:8ef8', '/ip6/2001:0:4136:e378:8000:63bf:3fff:fdd2', '192.0.2.45']
  ])('counts a %s address as the IPv4 address it carries', (_, carrier, other, otherIp4) => {
    const groups = (address: string): { address: string, network: string } => addressGroups(multiaddr(`${address}/tcp/1`))
    // a client reaching the relay through a translator or tunnel weighs what its IPv4 address weighs
    expect(groups(carrier)).toEqual(groups('/ip4/203.0.113.7'))
    // another address of the form weighs what its own IPv4 address weighs: NAT64 users are not one group
    // together, and a 6to4 host's other /64s are that one host
    expect(groups(other)).toEqual(groups(`/ip4/${otherIp4}`))
  })

  it('puts every address that names no host in one group: a browser\'s inbound WebRTC peers weigh as one host (RV10)', async () => {
    const webrtcPeer = async (): Promise<string> => `/webrtc/p2p/${peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()}`
    const first = addressGroups(multiaddr(await webrtcPeer()))
    expect(first).toEqual({ address: UNADDRESSED_GROUP, network: UNADDRESSED_GROUP })
    expect(addressGroups(multiaddr(await webrtcPeer()))).toEqual(first)
    // 72 sybil WebRTC peers holding every inbound slot no longer keep a peer from another address out
    const sybils = await Promise.all(Array.from({ length: 72 }, async (_, i) => ({ remoteAddr: multiaddr(await webrtcPeer()), timeline: { open: i }, direction: 'inbound', status: 'open' })))
    expect(admitInbound(multiaddr('/ip4/203.0.113.9/tcp/1'), sybils as unknown as Connection[], 72).admit).toBe(true)
  })

  it('lets one address hold a share of the slots others leave, never none while any is free', () => {
    expect(fairShare(256, 0, 0.5)).toBe(128)
    expect(fairShare(256, 128, 0.5)).toBe(64)
    expect(fairShare(256, 255, 0.5)).toBe(1)
    expect(fairShare(256, 256, 0.5)).toBe(0)
    expect(fairShare(256, 0, 1)).toBe(256)
  })

  it('one host with many PeerIds holds no more than its share, and other hosts still get slots', async () => {
    const relay = await startRelay(32)
    cleanup.running.push(relay)
    const attacker = await clients('127.1.0.2', 32)
    // all at once: requests racing through the gate must not pass together
    const statuses = await Promise.all(attacker.map(async (client) => reserve(client, relay)))
    expect(count(statuses, OK)).toBe(16)
    expect(count(statuses, PERMISSION_DENIED)).toBe(16)

    const honest = await clients('127.2.0.3', 10)
    const honestStatuses: Array<number | undefined> = []
    for (const client of honest) honestStatuses.push(await reserve(client, relay))
    // half of the 16 slots the attacker left
    expect(honestStatuses.slice(0, 8)).toEqual(Array(8).fill(OK))
    expect(honestStatuses.slice(8)).toEqual([PERMISSION_DENIED, PERMISSION_DENIED])
    const third = await clients('127.3.0.4', 1)
    expect(await reserve(third[0]!, relay)).toBe(OK)
    expect(relayService(relay)?.reservations.size).toBe(25)
  })

  it('many addresses of one network (a /24; an IPv6 /48 alike) hold no more than three quarters', async () => {
    const relay = await startRelay(32)
    cleanup.running.push(relay)
    const hosts = await Promise.all(Array.from({ length: 8 }, async (_, i) => clients(`127.9.0.${i + 1}`, 4)))
    const statuses = await Promise.all(hosts.flat().map(async (client) => reserve(client, relay)))
    expect(count(statuses, OK)).toBe(24)
    const outside = await clients('127.10.0.1', 1)
    expect(await reserve(outside[0]!, relay)).toBe(OK)
  })

  it('a host above its share once others came loses the surplus when it renews', async () => {
    const relay = await startRelay(32)
    cleanup.running.push(relay)
    const attacker = await clients('127.1.0.2', 16)
    for (const client of attacker) expect(await reserve(client, relay)).toBe(OK)
    const honest = await clients('127.2.0.3', 8)
    for (const client of honest) expect(await reserve(client, relay)).toBe(OK)
    // the attacker may now hold half of the 24 slots the honest host leaves: 12 of its 16 renewals pass
    const renewals: Array<number | undefined> = []
    for (const client of attacker) renewals.push(await reserve(client, relay))
    expect(count(renewals, OK)).toBe(12)
    expect(count(renewals, PERMISSION_DENIED)).toBe(4)
    // a refused renewal gives the slot back at once, not when the reservation would have expired
    expect(relayService(relay)?.reservations.size).toBe(20)
    for (const client of honest) expect(await reserve(client, relay)).toBe(OK)
  })

  it('100 honest clients behind one address all get slots on a relay that is not full', async () => {
    const relay = await startRelay()
    cleanup.running.push(relay)
    const campus = await clients('127.0.0.1', 100)
    // ten at a time: a hundred noise handshakes at once can outlast the upgrade timeout on a loaded machine
    const statuses: Array<number | undefined> = []
    for (let at = 0; at < campus.length; at += 10) {
      statuses.push(...await Promise.all(campus.slice(at, at + 10).map(async (client) => reserve(client, relay))))
    }
    expect(count(statuses, OK)).toBe(100)
    expect(relayService(relay)?.reservations.size).toBe(100)
    // the relay is not full: someone else still gets a slot
    const other = await clients('127.0.0.2', 1)
    expect(await reserve(other[0]!, relay)).toBe(OK)
  })

  it("one host cannot fill the relay's connections with idle ones, and others still connect", async () => {
    // 8 slots: room for 8 + 64 connections, of which one address may hold half
    const relay = await startRelay(8)
    cleanup.running.push(relay)
    const relayAddr = relay.getMultiaddrs()[0]!
    const attacker = await clients('127.1.0.2', 40)
    const connected: boolean[] = []
    for (const client of attacker) {
      connected.push(await client.dial(relayAddr).then(() => true, () => false))
    }
    expect(connected.filter(Boolean)).toHaveLength(36)
    expect(relay.getConnections()).toHaveLength(36)
    const [other] = await clients('127.2.0.3', 1)
    await other!.dial(relayAddr)
    expect(await reserve(other!, relay)).toBe(OK)
  })

  it('a slot is held only while its client stays connected', async () => {
    const relay = await startRelay(4)
    cleanup.running.push(relay)
    const [client] = await clients('127.1.0.2', 1)
    expect(await reserve(client!, relay)).toBe(OK)
    expect(relayService(relay)?.reservations.has(client!.peerId)).toBe(true)
    await client!.stop()
    await waitFor(() => relayService(relay)?.reservations.has(client!.peerId) === false, 'the relay to drop the slot of a client that left', 10_000)
    // a full table still refuses, as the server always did
    const statuses: Array<number | undefined> = []
    for (const host of ['127.3.0.3', '127.4.0.4', '127.5.0.5', '127.6.0.6', '127.7.0.7']) {
      const [other] = await clients(host, 1)
      statuses.push(await reserve(other!, relay))
    }
    expect(statuses).toEqual([OK, OK, OK, OK, RESERVATION_REFUSED])
  })
})
