// Shared by the rendezvous tests: fresh PeerIds, rounds of a real TopicRendezvous counting who it dials,
// stock libp2p storers answering the kad protocol by hand, and victims running a real kad-dht that reach them.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import * as varint from 'uint8-varint'
import { KAD_PROTOCOL, RENDEZVOUS_TARGET_PEERS } from '../src/constants.js'
import { dialDrawn } from '../src/discovery-dial.js'
import { DiscoveryDialer } from '../src/discovery.js'
import { MessageType, ProvidersMessage } from '../src/kad-providers.js'
import type { ProviderInfo } from '../src/kad-providers.js'
import { createProviderLookup } from '../src/provider-lookup.js'
import type { ProviderLookup, ProviderLookupInit } from '../src/provider-lookup.js'
import { TopicRendezvous, topicCid } from '../src/rendezvous.js'
import type { TopicRendezvousComponents } from '../src/rendezvous.js'
import { waitFor } from './harness.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PeerId, PeerInfo, Stream } from '@libp2p/interface'

/** `n` fresh Ed25519 PeerIds. */
export const ids = async (n: number): Promise<PeerId[]> => Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

/** A GET_PROVIDERS message body: one record per (id, address). */
export function answerOf (records: Array<[PeerId, string]>): Uint8Array {
  const body: number[] = [0x08, 3]
  for (const [id, address] of records) {
    const idBytes = [...id.toMultihash().bytes]
    const addressBytes = [...multiaddr(address).bytes]
    const record = [0x0a, idBytes.length, ...idBytes, 0x12, ...varint.encode(addressBytes.length), ...addressBytes]
    body.push(0x4a, ...varint.encode(record.length), ...record)
  }
  return Uint8Array.from(body)
}

/**
 * The victim's dialer, wired as the node wires it: chosen peers, dialed count, dialDrawn; `relaying`:
 * relayed addresses kept and dialed (a victim with a circuit-relay transport).
 */
export function victimDialer (victim: Libp2p<{ identify: Identify }>, below: number, relaying = false): { dialer: DiscoveryDialer, dialed: () => PeerId[] } {
  const chosen = new Set<string>()
  const dialed = (): PeerId[] => [...new Map(victim.getConnections()
    .filter((c) => c.direction === 'outbound' && c.status === 'open' && chosen.has(c.remotePeer.toString()))
    .map((c) => [c.remotePeer.toString(), c.remotePeer])).values()]
  const dialer = new DiscoveryDialer({
    dialedCount: () => dialed().length,
    isConnected: (peer) => victim.getConnections(peer).length > 0,
    isDialed: (peer) => dialed().some((p) => p.equals(peer)),
    dial: async (peer, signal, exact) => dialDrawn({
      getConnections: () => victim.getConnections(),
      dial: async (target, options) => victim.dial(target, options),
      identify: async (connection, options) => victim.services.identify.identify(connection, options),
      choose: (c) => { chosen.add(c.remotePeer.toString()) },
      relayedAddresses: relaying
    }, peer, signal, exact)
  }, { below, window: 50, retryDelay: 50, relayedAddresses: relaying })
  return { dialer, dialed }
}

/** What {@link dialRounds} counted. */
export interface DialCounts {
  dialed: number
  dialedSybils: number
  /** The PeerIds not in the sybil set that were dialed. */
  honestDialed: Set<string>
}

/**
 * Runs `rounds` rendezvous rounds on `topic`, each a new {@link TopicRendezvous} that is stopped after
 * its {@link RENDEZVOUS_TARGET_PEERS}th dial, for a node with no peers in the topic and no connections;
 * every dial reaches the peer dialed.
 */
export async function dialRounds (components: Pick<TopicRendezvousComponents, 'dht' | 'peerId' | 'lookup'>, topic: string, sybilSet: Set<string>, rounds: number): Promise<DialCounts> {
  const counts: DialCounts = { dialed: 0, dialedSybils: 0, honestDialed: new Set() }
  for (let round = 0; round < rounds; round++) {
    let roundDone = (): void => {}
    const done = new Promise<void>((resolve) => { roundDone = resolve })
    const rendezvous = new TopicRendezvous({
      ...components,
      dialedInTopic: () => 0,
      isConnected: () => false,
      addressCount: () => 0,
      dial: async (peer: PeerInfo) => {
        counts.dialed++
        if (sybilSet.has(peer.id.toString())) counts.dialedSybils++
        else counts.honestDialed.add(peer.id.toString())
        if (counts.dialed % RENDEZVOUS_TARGET_PEERS === 0) roundDone()
        // reached: its group holds a dialed peer now
        return peer.id
      },
      log: logger('murmur:test')
    }, { window: 10 })
    rendezvous.join(topic)
    await done
    rendezvous.stop()
  }
  return counts
}

/** A libp2p node's options for these tests: TCP on loopback (`ip`), noise, yamux, no inbound connection limit to speak of. */
export const loopbackNode = (ip = '127.0.0.1'): Parameters<typeof createLibp2p>[0] => ({
  addresses: { listen: [`/ip4/${ip}/tcp/0`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { inboundConnectionThreshold: 1000 }
})

/** A copy of `b` on its own ArrayBuffer (what protons fields take). */
export const bytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b)

/** How a hand-built storer answers GET_PROVIDERS (FIND_NODE and the rest it answers with no records). */
export type StorerAnswer = (stream: Stream, key: Uint8Array<ArrayBuffer>) => Promise<void>

/**
 * Answers with these records after `delay` ms, then closes its side of the stream as kad-dht's storers
 * do. A storer that keeps its side open holds each stream until the lookup's storer timeout (the
 * lookup's close waits for it); in the hour after midnight UTC a round looks up two keys, and the held
 * streams passed the storer's inbound stream limit, so later rounds found nobody (the failure 1 run in
 * 4 of the first attempt to share this set-up, made in that hour).
 */
export const answering = (providers: ProviderInfo[], delay = 0): StorerAnswer => async (stream, key) => {
  await new Promise((resolve) => setTimeout(resolve, delay))
  await pbStream(stream, { maxDataLength: 4 * 1024 * 1024 }).write({ type: MessageType.GET_PROVIDERS, key, providers }, ProvidersMessage)
  await stream.close()
}

/** A stock libp2p peer that speaks Murmur's kad protocol by hand, listening on `ip`. */
export async function stubStorer (answer: StorerAnswer, ip?: string): Promise<Libp2p> {
  const node = await createLibp2p({ ...loopbackNode(ip), services: { identify: identify(), ping: ping() } })
  await node.handle(KAD_PROTOCOL, async (stream) => {
    const pb = pbStream(stream, { maxDataLength: 4 * 1024 * 1024 }).pb(ProvidersMessage)
    try {
      for (;;) {
        const request = await pb.read()
        if (request.type === MessageType.GET_PROVIDERS) await answer(stream, request.key ?? new Uint8Array())
        else await pb.write({ type: request.type, key: request.key, providers: [] })
      }
    } catch {
      // the victim closed or reset the stream
    }
  })
  return node
}

/** A node running a real kad-dht on Murmur's protocol (every record kept: loopback addresses are private). */
export type DhtNode = Libp2p<{ dht: KadDHT, identify: Identify }>

/** A {@link DhtNode}, a DHT server unless `clientMode`. */
export const dhtNode = async (clientMode: boolean): Promise<DhtNode> => createLibp2p({
  ...loopbackNode(),
  services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode, peerInfoMapper: passthroughMapper }) }
})

/** A victim {@link DhtNode} connected to `storers`, once every one of them is among the closest peers of `topic`'s key. */
export async function reachStorers (storers: Libp2p[], topic: string, clientMode: boolean): Promise<DhtNode> {
  const node = await dhtNode(clientMode)
  for (const s of storers) await node.dial(s.getMultiaddrs()[0]!)
  const key = await topicCid(topic)
  await waitFor(async () => {
    const found = new Set<string>()
    for await (const event of node.services.dht.getClosestPeers(key.multihash.bytes, { signal: AbortSignal.timeout(5_000) })) {
      if (event.name === 'FINAL_PEER') found.add(event.peer.id.toString())
    }
    return found.size >= storers.length
  }, 'the storers in the victim\'s routing table')
  return node
}

/** The provider lookup of a victim `node`, every record kept unless `init` says otherwise. */
export const lookupOf = (node: DhtNode, init: ProviderLookupInit = {}): ProviderLookup => createProviderLookup({
  dht: node.services.dht,
  peerId: node.peerId,
  dialProtocol: async (peer, protocol, options) => node.dialProtocol(peer, protocol, options),
  getConnections: (peer) => node.getConnections(peer),
  log: logger('murmur:test')
}, { peerInfoMapper: passthroughMapper, ...init })
