// Sybil providers and stem successors (issue 12, Medium 7), end to end with a real kad-dht: 50 stock
// libp2p peers join the network as DHT servers on Murmur's /murmur/kad/2.0.0, with PeerIds ground to
// sit closest to today's rendezvous key, subscribed to the channel, speaking the stem protocol (a black
// hole), providing the key; as storers of the key they keep sybil provider records only. On the honest
// nodes we count how many stem successors are sybils, over several short epochs, against the sybils'
// share of the stem-capable population a node could pick from. The test prints what lookups of the key
// find at the end: on a loaded two-core machine they found mostly honest records (the honest nodes'
// own stores answer first), so this covers sybil providers and DHT servers, not a key the sybils own.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { channelTopic } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import type { Key } from 'interface-datastore'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'
import { topicCid } from '../src/rendezvous.js'
import { STEM_PROTOCOL } from '../src/stem/index.js'
import { addressOf, cleanedAfterEach, LOOPBACK, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

const CHANNEL = '#sybil-providers'
const TOPIC = channelTopic(CHANNEL)
const SYBILS = 50
const HONEST = 16
/** Keys generated per sybil kept: the 50 closest of 4,000 sit closer to the key than any honest node (~1/20 of the space). */
const GRIND = 80
/** Short stem epochs, so that a few minutes see several of them. */
const STEM = { epochDuration: 4_000, epochJitter: 1_000, provisionalEpoch: 2_000 }
const SAMPLES = 4

/**
 * libp2p's per-host inbound rate limit would refuse loopback peers (see harness.ts), and 70 nodes on a
 * loaded two-core machine need more than the default 5 s for a handshake. Discovery is as shipped.
 */
const LOOPBACK_CONNECTION_MANAGER = { inboundConnectionThreshold: 1_000, dialTimeout: 60_000, addressDialTimeout: 60_000, inboundUpgradeTimeout: 60_000 }
const HONEST_LIBP2P = { connectionManager: LOOPBACK_CONNECTION_MANAGER }
/** History sync plays no part in discovery: off, to spare the machine. */
const HONEST_INIT = { channels: [CHANNEL], stem: STEM, sync: false as const, libp2p: HONEST_LIBP2P }

/** Reads a node's stem successors (the router is diagnostics-only, not on the public interface). */
function successorsOf (node: Murmur): readonly string[] {
  return (node as unknown as { stem: { router: { currentSuccessors: readonly string[] } } }).stem.router.currentSuccessors
}

/** Whether the routes count `peer` as dialed by the node's choice now (what successors are drawn by). */
function dialedBy (node: Murmur): (peer: string) => boolean {
  const routes = (node as unknown as { stem: { router: { routes: { dialed(peer: string): boolean } } } }).stem.router.routes
  return (peer) => routes.dialed(peer)
}

/** XOR distance of two kad ids, as a big-endian number. */
function distance (a: Uint8Array, b: Uint8Array): bigint {
  let d = 0n
  for (let i = 0; i < a.length; i++) d = (d << 8n) | BigInt(a[i]! ^ b[i]!)
  return d
}

/** The `count` keys, of `count * GRIND` generated, whose PeerIds sit closest to `cid` in kad's metric. */
async function groundKeys (cid: CID, count: number): Promise<PrivateKey[]> {
  const target = (await sha256.digest(cid.multihash.bytes)).digest
  const keys: Array<{ key: PrivateKey, d: bigint }> = []
  for (let i = 0; i < count * GRIND; i++) {
    const key = await generateKeyPair('Ed25519')
    const id = (await sha256.digest(peerIdFromPrivateKey(key).toMultihash().bytes)).digest
    keys.push({ key, d: distance(id, target) })
  }
  return keys.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0)).slice(0, count).map(({ key }) => key)
}

/** A datastore that keeps only sybil provider records: a storer that answers lookups with sybils alone. */
class SybilRecords extends MemoryDatastore {
  constructor (private readonly sybils: Set<string>) { super() }
  override put (key: Key, value: Uint8Array): ReturnType<MemoryDatastore['put']> {
    const parts = key.toString().split('/')
    if (parts.includes('provider') && !this.sybils.has(parts.at(-1)!)) return key
    return super.put(key, value)
  }
}

/** A stock libp2p peer: a kad-dht server on Murmur's protocol, in the channel, swallowing stem streams. */
async function startSybil (privateKey: PrivateKey, sybils: Set<string>): Promise<{ stop(): Promise<void>, libp2p: Awaited<ReturnType<typeof createSybilLibp2p>> }> {
  const libp2p = await createSybilLibp2p(privateKey, sybils)
  await libp2p.handle(STEM_PROTOCOL, (stream) => {
    void (async () => {
      for await (const chunk of stream) void chunk
    })().catch(() => {})
  })
  libp2p.services.pubsub.subscribe(TOPIC)
  return { libp2p, stop: async () => libp2p.stop() }
}

async function createSybilLibp2p (privateKey: PrivateKey, sybils: Set<string>) {
  return createLibp2p({
    privateKey,
    datastore: new SybilRecords(sybils),
    addresses: { listen: LOOPBACK },
    connectionManager: LOOPBACK_CONNECTION_MANAGER,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper }),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign' })
    }
  })
}

/** Dials, trying again on a loaded machine where a handshake can time out; a sybil left out of the ring costs the attack, not the test. */
async function dialHard (from: { dial(address: Multiaddr): Promise<unknown> }, address: Multiaddr): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await from.dial(address)
      return true
    } catch {
      // slow handshake: once more
    }
  }
  return false
}

describe('sybil providers of a channel\'s rendezvous key', () => {
  const { running } = cleanedAfterEach()

  it(`do not get more than their population share of stem successors: ${SYBILS} ground sybil DHT servers, ${HONEST} honest nodes`, async () => {
    const cid = await topicCid(TOPIC)
    const keys = await groundKeys(cid, SYBILS)
    const sybilIds = new Set(keys.map((key) => peerIdFromPrivateKey(key).toString()))

    // the seed: the well-known bootstrap node everyone, sybils too, first joins through
    const seed = await startNode(HONEST_INIT)
    running.push(seed)
    const honest: Murmur[] = [seed]
    const sybils = []
    for (const key of keys) {
      const sybil = await startSybil(key, sybilIds)
      running.push(sybil)
      sybils.push(sybil)
      await dialHard(sybil.libp2p, multiaddr(addressOf(seed)))
    }
    const t0 = Date.now()
    const progress = (what: string): void => { console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${what}`) }
    progress('sybils started')
    // the sybils know each other and provide the key: they are its closest servers, so they store it
    for (const [i, sybil] of sybils.entries()) {
      await dialHard(sybil.libp2p, sybils[(i + 1) % SYBILS]!.libp2p.getMultiaddrs()[0]!)
    }
    await Promise.all(sybils.map(async (sybil) => {
      try {
        for await (const event of sybil.libp2p.services.dht.provide(cid, { signal: AbortSignal.timeout(20_000) })) void event
      } catch {
        // the timeout ends the query: what was stored by then stays stored
      }
    }))

    progress('sybils provided the key')
    // honest nodes join one by one, each bootstrapping from the seed and two earlier honest nodes
    for (let i = 1; i < HONEST; i++) {
      const bootstrap = new Set([addressOf(seed)])
      while (bootstrap.size < Math.min(i, 3)) bootstrap.add(addressOf(honest[Math.floor(Math.random() * i)]!))
      const node = await startNode({ ...HONEST_INIT, bootstrap: [...bootstrap] })
      running.push(node)
      honest.push(node)
    }
    progress('honest nodes started')
    const honestIds = new Set(honest.map((node) => node.peerId.toString()))
    await waitFor(() => honest.every((node) => successorsOf(node).length >= 1), 'a stem successor at every honest node', 180_000, 500)

    progress('every honest node has a successor')
    // a node picks successors among the stem-capable peers it could reach: every other honest node and every sybil
    const populationShare = SYBILS / (SYBILS + HONEST - 1)
    let sybilSuccessors = 0
    let successors = 0
    let dialedSuccessors = 0
    for (let sample = 0; sample < SAMPLES; sample++) {
      // the next epoch (4-5 s), and DHT rounds in between
      await new Promise((resolve) => setTimeout(resolve, 5_000))
      // which successor a node takes when (dialed peers first, by address group) is the routes' unit tests'
      // to check (stem-routes, stem-draw-groups): whether a peer is dialed is read from the node's connections
      // at each draw, and changes between a draw and a sample here; this test counts whom successors end up being
      for (const node of honest) {
        const dialed = dialedBy(node)
        for (const peer of successorsOf(node)) {
          successors++
          if (sybilIds.has(peer)) sybilSuccessors++
          if (dialed(peer)) dialedSuccessors++
        }
      }
    }
    const share = sybilSuccessors / successors
    // what a rendezvous lookup of an honest node finds now: the attack is in place when sybils dominate it
    const found = { sybil: 0, honest: 0 }
    for (const node of honest.slice(-3)) {
      try {
        for await (const event of node.libp2p.services.dht.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
          if (event.name === 'PROVIDER') for (const p of event.providers) found[sybilIds.has(p.id.toString()) ? 'sybil' : 'honest']++
        }
      } catch {
        // the timeout ends the lookup: what was found by then counts
      }
    }
    console.log(`lookups of the key from three honest nodes found ${found.sybil} sybil and ${found.honest} honest providers`)
    const dialedSybils = honest.map((node) => node.libp2p.getConnections().filter((c) => c.direction === 'outbound' && sybilIds.has(c.remotePeer.toString())).length)
    const dialedHonest = honest.map((node) => node.libp2p.getConnections().filter((c) => c.direction === 'outbound' && honestIds.has(c.remotePeer.toString())).length)
    console.log(`sybil share of stem successors ${share.toFixed(3)} (${sybilSuccessors}/${successors}, ${dialedSuccessors} dialed), population share ${populationShare.toFixed(3)}; ` +
      `outbound connections per honest node: sybils ${dialedSybils.join(',')}; honest ${dialedHonest.join(',')}`)
    // up to two successors per node and epoch, 16 nodes, 4 samples: a standard error of about 0.04, far inside the
    // bound (CI measured 0.08 against 0.87)
    expect(share).toBeLessThanOrEqual(populationShare + 0.1)
  }, 600_000)
})
