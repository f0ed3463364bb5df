/**
 * A third party's addresses never void an honest DHT answer (fifteenth read of issue 12, High 1): one stock
 * kad-dht server announcing 80 addresses and connecting once to each honest node made every honest answer
 * name it with 80 addresses; the querying side aborted any answer naming a peer with more than 64, so the
 * attacker was the only peer a query ended on, took every ADD_PROVIDER and dropped it, and the rendezvous
 * found nobody (8 of 64 posts delivered in a star of 8 members). Now answers name at most 8 addresses of a
 * peer, the peer store keeps at most 16 of one write, and a surplus in an answer is cut, the answer kept.
 */
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { logger } from '@libp2p/logger'
import { ping } from '@libp2p/ping'
import { lpStream } from '@libp2p/utils'
import { channelTopic } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import * as varint from 'uint8-varint'
import { describe, expect, it } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'
import { KAD_MAX_ADDRESSES, kadMessageRead } from '../src/kad-limits.js'
import { ProviderInfo, ProvidersMessage } from '../src/kad-providers.js'
import { CONFIRMED_PEER_ADDRESSES, SERVED_PEER_ADDRESSES, STORED_PEER_ADDRESSES } from '../src/peer-addresses.js'
import { createProviderLookup } from '../src/provider-lookup.js'
import { topicCid } from '../src/rendezvous.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { loopbackLibp2p } from './inbound-fixtures.js'
import { ids, loopbackNode } from './rendezvous-fixtures.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { MurmurLibp2p } from '../src/libp2p.js'

/** Addresses the attacker announces: more than {@link KAD_MAX_ADDRESSES}, as in the reviewer's run. */
const ANNOUNCED = 80
const key = await topicCid(channelTopic('#stuffed'))

/** Peers in a node's kad-dht routing table (kad-dht's implementation has `find`; the KadDHT interface does not say). */
const inTable = async (node: MurmurLibp2p, peer: PeerId): Promise<boolean> =>
  await (node.services.dht as unknown as { routingTable: { find(peer: PeerId): Promise<unknown> } }).routingTable.find(peer) !== undefined

/** `ANNOUNCED - 1` made-up loopback addresses (the real one comes first), each refused when dialed. */
const fakeAddresses = (): string[] => Array.from({ length: ANNOUNCED - 1 }, (_, i) => `/ip4/127.0.${1 + (i >> 8)}.${1 + (i & 255)}/tcp/${4000 + i}`)

/** A kad `Message.Peer` field (`field` 8 closer, 9 provider) naming `id` with `addresses`. */
function peerField (field: 8 | 9, id: PeerId, addresses: string[]): Uint8Array {
  const peer = ProviderInfo.encode({ id: new Uint8Array(id.toMultihash().bytes), multiaddrs: addresses.map((a) => new Uint8Array(multiaddr(a).bytes)) })
  return Uint8Array.from([field << 3 | 2, ...varint.encode(peer.byteLength), ...peer])
}

/**
 * A stock kad-dht server announcing {@link ANNOUNCED} addresses that lies as the reviewer's did: names
 * no closer peers and drops every ADD_PROVIDER it is sent.
 */
async function stuffedLiar (): Promise<Libp2p<{ dht: KadDHT }>> {
  const liar = await createLibp2p({
    ...loopbackNode(),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], appendAnnounce: fakeAddresses() },
    services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper }) }
  })
  const internals = liar.services.dht as unknown as { providers: { addProvider(): Promise<void> }, peerRouting: { getClosestPeersOffline(): Promise<unknown[]> } }
  internals.providers.addProvider = async () => {}
  internals.peerRouting.getClosestPeersOffline = async () => []
  return liar
}

describe('a peer stuffing its addresses does not void honest DHT answers (fifteenth read of issue 12, High 1)', () => {
  const { running } = cleanedAfterEach()

  async function honestNode (): Promise<MurmurLibp2p> {
    const node = await loopbackLibp2p({ dhtServer: true, extra: { connectionManager: { inboundConnectionThreshold: 1_000 } } })
    running.push(node)
    await node.start()
    return node
  }

  it('a star of honest DHT servers with a stuffed liar connected to each: queries end on honest peers, and the lookup finds the honest providers', async () => {
    const hub = await honestNode()
    const members = [await honestNode(), await honestNode(), await honestNode()]
    for (const member of members) await member.dial(hub.getMultiaddrs()[0]!)
    const liar = await stuffedLiar()
    running.push(liar)
    await liar.start()
    for (const node of [hub, ...members]) await liar.dial(node.getMultiaddrs()[0]!)
    // each node's contacts: the liar, and the hub (the hub's: a member)
    const contacts = (node: MurmurLibp2p): PeerId[] => [liar.peerId, node === hub ? members[0]!.peerId : hub.peerId]
    await waitFor(async () => {
      for (const node of [hub, ...members]) for (const peer of contacts(node)) if (!await inTable(node, peer)) return false
      return true
    }, 'the liar and the hub in every routing table')
    const [asker, ...providers] = members as [MurmurLibp2p, ...MurmurLibp2p[]]
    for (const provider of providers) {
      for await (const event of provider.services.dht.provide(key, { signal: AbortSignal.timeout(10_000) })) void event
    }
    const finals: string[] = []
    const named: number[] = []
    let errors = 0
    for await (const event of asker.services.dht.getClosestPeers(key.multihash.bytes, { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'FINAL_PEER') finals.push(event.peer.id.toString())
      if (event.name === 'QUERY_ERROR') errors++
      if (event.name === 'PEER_RESPONSE') named.push(...event.closer.filter((p) => p.id.equals(liar.peerId)).map((p) => p.multiaddrs.length))
    }
    // before: finals [liar] alone, every honest answer aborted (a query error each)
    expect(errors).toBe(0)
    expect(finals.filter((id) => id !== liar.peerId.toString()).length).toBeGreaterThan(0)
    expect(Math.max(0, ...named)).toBeLessThanOrEqual(SERVED_PEER_ADDRESSES)

    const lookup = createProviderLookup({
      dht: asker.services.dht,
      peerId: asker.peerId,
      dialProtocol: async (peer, protocol, options) => asker.dialProtocol(peer, protocol, options),
      getConnections: (peer) => asker.getConnections(peer),
      log: logger('murmur:test')
    }, { peerInfoMapper: passthroughMapper })
    const found = new Set((await lookup.find(key, { signal: AbortSignal.timeout(10_000) })).flatMap((answer) => answer.providers.map((p) => p.id.toString())))
    // before: every ADD_PROVIDER went to the liar alone, and the lookup found nobody
    for (const provider of providers) expect(found.has(provider.peerId.toString())).toBe(true)
    // what the hub keeps of the liar's 80 addresses (it names 8 of them, above)
    expect((await hub.peerStore.get(liar.peerId)).addresses.length).toBeLessThanOrEqual(STORED_PEER_ADDRESSES)
  }, 60_000)

  it('an answer from a node that repeats a peer\'s 80 addresses (an older version) is read with that peer cut, its other peers kept', async () => {
    const asker = await honestNode()
    const answerer = await createLibp2p({ ...loopbackNode(), services: { identify: identify(), ping: ping() } })
    running.push(answerer)
    const [stuffed, honest] = await ids(2) as [PeerId, PeerId]
    const real = '/ip4/127.0.0.1/tcp/9'
    const answer = Uint8Array.from([0x08, 0x04, ...peerField(8, stuffed, [real, ...fakeAddresses()]), ...peerField(8, honest, [real])])
    await answerer.handle(KAD_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      try {
        await lp.read({ signal: AbortSignal.timeout(10_000) })
        await lp.write(answer)
        await stream.close()
      } catch {
        // the asker reset the stream
      }
    })
    await asker.dial(answerer.getMultiaddrs()[0]!)
    await waitFor(async () => inTable(asker, answerer.peerId), 'the answerer in the routing table')
    const heard = new Map<string, number>()
    let errors = 0
    for await (const event of asker.services.dht.getClosestPeers(new Uint8Array(32), { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'PEER_RESPONSE' && event.from.equals(answerer.peerId)) for (const p of event.closer) heard.set(p.id.toString(), p.multiaddrs.length)
      if (event.name === 'QUERY_ERROR' && event.from.equals(answerer.peerId)) errors++
    }
    // before: the whole answer was aborted (a query error, neither peer heard of)
    expect(errors).toBe(0)
    expect(heard.get(honest.toString())).toBe(1)
    expect(heard.get(stuffed.toString())).toBe(KAD_MAX_ADDRESSES)
  }, 30_000)

  it('a kad answer naming a peer with 16 junk addresses never crowds out the address this node dials it at (sixteenth read of issue 12, Low 1)', async () => {
    const asker = await honestNode()
    // the named peer runs no identify: what the dial confirms is all the asker learns of it
    const named = await createLibp2p(loopbackNode())
    const answerer = await createLibp2p({ ...loopbackNode(), services: { identify: identify(), ping: ping() } })
    running.push(named, answerer)
    const junk = fakeAddresses().slice(0, STORED_PEER_ADDRESSES)
    await answerer.handle(KAD_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      try {
        await lp.read({ signal: AbortSignal.timeout(10_000) })
        await lp.write(Uint8Array.from([0x08, 0x04, ...peerField(8, named.peerId, junk)]))
        await stream.close()
      } catch {
        // the asker reset the stream
      }
    })
    await asker.dial(answerer.getMultiaddrs()[0]!)
    await waitFor(async () => inTable(asker, answerer.peerId), 'the answerer in the routing table')
    const query = async (): Promise<void> => {
      for await (const event of asker.services.dht.getClosestPeers(new Uint8Array(32), { signal: AbortSignal.timeout(10_000) })) void event
    }
    const stored = async (): Promise<string[]> => (await asker.peerStore.get(named.peerId)).addresses.map(({ multiaddr }) => multiaddr.toString())
    await query()
    await waitFor(async () => (await stored().catch(() => [])).length === STORED_PEER_ADDRESSES, 'the junk stored')
    const real = named.getMultiaddrs()[0]!.decapsulateCode(421).toString()
    await asker.dial(named.getMultiaddrs()[0]!)
    // before: the record stayed the 16 junk addresses, the one dialed dropped, for an hour
    expect(await stored()).toContain(real)
    // the junk named again, while connected and after the connection closed: the dialed address stays
    await query()
    expect(await stored()).toContain(real)
    await asker.hangUp(named.peerId)
    await query()
    expect(await stored()).toContain(real)
    // a third party's, and the confirmed ones besides them
    expect((await stored()).length).toBeLessThanOrEqual(STORED_PEER_ADDRESSES + CONFIRMED_PEER_ADDRESSES)
  }, 30_000)

  it('kadMessageRead: a provider with 80 addresses is cut to its first ones in an answer, junk in a request; the other providers kept either way', async () => {
    const [a, b] = await ids(2) as [PeerId, PeerId]
    const addresses = ['/ip4/127.0.0.1/tcp/9', ...fakeAddresses()]
    const body = Uint8Array.from([0x08, 0x03, ...peerField(9, b, ['/ip4/127.0.0.1/tcp/1']), ...peerField(9, a, addresses), ...peerField(9, b, ['/ip4/127.0.0.1/tcp/2'])])
    expect(kadMessageRead(body, { maxProviders: Infinity })).toBeUndefined()
    const cut = ProvidersMessage.decode(kadMessageRead(body, { maxProviders: Infinity, cutAddresses: true })!)
    expect(cut.providers.map((p) => p.multiaddrs.length)).toEqual([1, KAD_MAX_ADDRESSES, 1])
    expect(cut.providers[1]!.multiaddrs.map((m) => multiaddr(m).toString())).toEqual(addresses.slice(0, KAD_MAX_ADDRESSES))
    // a message within the bounds is passed as it came
    const plain = Uint8Array.from([0x08, 0x03, ...peerField(9, b, ['/ip4/127.0.0.1/tcp/1'])])
    expect(kadMessageRead(plain, { cutAddresses: true })).toBe(plain)
  })
})
