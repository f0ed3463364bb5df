/**
 * One DHT reply's flood (review 11, High 1; /tmp/rv11/srcsquat.mjs), end to end: the attacker's DHT
 * server (a stock libp2p peer answering Murmur's kad protocol by hand, on the sybils' host 127.0.0.9)
 * answers every FIND_NODE with a hundred records at closed ports of each honest host's IP and its ten
 * sybils; an honest DHT server (a real kad-dht on 127.0.0.8) knows the five honest hosts (127.0.0.2-6).
 * The victim (127.0.0.1) walks the DHT (discoveryWalk): each reply's records go to its DiscoveryDialer
 * with the reply's source, and kad-dht's bare discovery events go there too with none, as the node
 * wires them. Records sampled as one pool, the honest hosts' real records were buried (0.72 of the dials
 * to the sybils at 100 fakes per IP, srcsquat); sampled by source, the sybils get their group's share.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'
import { discoveryWalk } from '../src/discovery-walk.js'
import { ProvidersMessage } from '../src/kad-providers.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { ids, victimDialer } from './rendezvous-fixtures.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const HONEST = 5
const SYBILS = 10
const FAKES = 100

type Host = Libp2p<{ identify: Identify }>
type DhtHost = Libp2p<{ identify: Identify, dht: KadDHT }>

const base = (ip: string): Parameters<typeof createLibp2p>[0] => ({
  addresses: { listen: [`/ip4/${ip}/tcp/0`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { inboundConnectionThreshold: 1_000 }
})

/** A host running a real kad-dht on Murmur's protocol (a server unless `clientMode`). */
const dhtHost = async (ip: string, clientMode = false): Promise<DhtHost> => createLibp2p({
  ...base(ip),
  services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode, peerInfoMapper: passthroughMapper }) }
})

/** Peers in a host's kad-dht routing table (kad-dht's implementation has one; the KadDHT interface does not say). */
const tableSize = (host: DhtHost): number => (host.services.dht as unknown as { routingTable: { size: number } }).routingTable.size

/** A protobuf length-delimited field. */
function field (no: number, bytes: Uint8Array): number[] {
  const length: number[] = []
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 128) { length.push(n); break }
    length.push((n & 127) | 128)
  }
  return [(no << 3) | 2, ...length, ...bytes]
}

/** A kad reply of type `type` for `key` naming `closer` (kad-dht's Message: type 1, key 2, closerPeers 8 of id 1 and addrs 2). */
const closerReply = (type: number, key: Uint8Array, closer: Array<{ id: PeerId, addr: Multiaddr }>): Uint8Array => new Uint8Array([
  0x08, type,
  ...field(2, key),
  ...closer.flatMap(({ id, addr }) => field(8, new Uint8Array([...field(1, id.toMultihash().bytes), ...field(2, addr.bytes)])))
])

/** The attacker's DHT server: answers every kad request with `closer`. */
async function floodingServer (ip: string, closer: Array<{ id: PeerId, addr: Multiaddr }>): Promise<Host> {
  const node = await createLibp2p({ ...base(ip), services: { identify: identify(), ping: ping() } })
  const Reply = { encode: (reply: Uint8Array) => reply, decode: (): never => { throw new Error('not read') } }
  await node.handle(KAD_PROTOCOL, async (stream) => {
    const pb = pbStream(stream, { maxDataLength: 4 * 1024 * 1024 })
    try {
      for (;;) {
        const request = await pb.read(ProvidersMessage)
        await pb.write(closerReply(Number(request.type ?? 0), request.key ?? new Uint8Array(), closer), Reply)
      }
    } catch {
      // the victim closed or reset the stream
    }
  })
  return node
}

describe('a DHT walk offers each reply\'s records with their source', () => {
  const { running } = cleanedAfterEach()

  it(`${FAKES} records at closed ports of each honest IP in every reply of the attacker's DHT server, ten sybils on its host: the sybils hold their group's share of the dials`, async () => {
    const honest = await Promise.all(Array.from({ length: HONEST }, async (_, i) => dhtHost(`127.0.0.${i + 2}`)))
    const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => createLibp2p({ ...base('127.0.0.9'), services: { identify: identify() } })))
    const server = await dhtHost('127.0.0.8')
    running.push(...honest, ...sybils, server)
    for (const h of honest) await h.dial(server.getMultiaddrs()[0]!)
    await waitFor(() => tableSize(server) >= HONEST || undefined, 'the honest hosts in the honest server\'s routing table', 30_000, 50)
    const flood: Array<{ id: PeerId, addr: Multiaddr }> = []
    for (const h of honest) {
      const ip = h.getMultiaddrs()[0]!.getComponents()[0]!.value!
      for (const [k, id] of (await ids(FAKES)).entries()) flood.push({ id, addr: multiaddr(`/ip4/${ip}/tcp/${k + 1}`) })
    }
    for (const s of sybils) flood.push({ id: s.peerId, addr: s.getMultiaddrs()[0]! })
    const attacker = await floodingServer('127.0.0.9', flood)
    const victim = await dhtHost('127.0.0.1', true)
    running.push(attacker, victim)

    const { dialer, dialed } = victimDialer(victim, HONEST + 1)
    /** The sources each record came with from the walk, by PeerId. */
    const sources = new Map<string, Array<string | undefined>>()
    const walk = discoveryWalk({
      dht: victim.services.dht,
      getConnections: (peer) => victim.getConnections(peer),
      offer: (peer: PeerInfo, source?: string) => {
        sources.set(peer.id.toString(), [...sources.get(peer.id.toString()) ?? [], source])
        dialer.offer(peer, source)
      },
      short: () => dialer.short()
    }, { interval: 500, firstAfter: 0 })
    // kad-dht's own discovery events, with no source, as the node wires them
    victim.addEventListener('peer:discovery', (evt) => { dialer.offer(evt.detail) })
    try {
      await victim.dial(attacker.getMultiaddrs()[0]!)
      await victim.dial(server.getMultiaddrs()[0]!)
      await waitFor(() => tableSize(victim) >= 2 || undefined, 'both DHT servers in the victim\'s routing table', 30_000, 50)
      walk.start()
      await waitFor(() => dialed().length >= HONEST + 1, 'the victim dialed as many as it wanted', 90_000, 50)
      // seven groups (five honest hosts, the honest server, the sybils' host with the attacker's
      // server), six dials: one per group, so the sybils' host holds one at most, and the honest hosts
      // at least four
      const hostOf = (peer: PeerId): string => victim.getConnections(peer).find((c) => c.direction === 'outbound')!.remoteAddr.getComponents()[0]!.value!
      const hosts = dialed().map(hostOf)
      const honestReached = hosts.filter((ip) => ip >= '127.0.0.2' && ip <= '127.0.0.6').length
      const sybilHost = hosts.filter((ip) => ip === '127.0.0.9').length
      console.log(`walk: dials to ${hosts.sort().join(', ')}: ${honestReached} honest hosts, ${sybilHost} on the sybils' host (its group share 1/7)`)
      expect(sybilHost).toBeLessThanOrEqual(1)
      expect(new Set(hosts).size).toBe(hosts.length)
      expect(honestReached).toBeGreaterThanOrEqual(HONEST - 1)
      // the flood came from the attacker's server alone, and the honest hosts' records from others
      const flooded = flood.map(({ id }) => sources.get(id.toString())).filter((s) => s !== undefined)
      expect(flooded.length).toBeGreaterThan(0)
      expect(new Set(flooded.flat())).toEqual(new Set(['ip4/127.0.0.9']))
      for (const h of honest) expect(sources.get(h.peerId.toString())?.filter((s) => s !== 'ip4/127.0.0.9').length ?? 0).toBeGreaterThan(0)
    } finally {
      walk.stop()
      dialer.stop()
    }
  }, 150_000)
})
