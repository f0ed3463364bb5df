// Issue 12 (session 7, F12M item 1): do DHT contacts stick? A draft test of the last session never got a
// Murmur node to keep 5 of 10 fake DHT servers in its kad-dht routing table (their pings aborted after
// about 5 s), and the suspects were Murmur's own closers: the idle outbound release, the dropped kad
// keep-alive tag and the outbound cap. Not so: the draft's servers answered FIND_NODE naming 100 tarpits
// each, kad-dht pings every peer an answer names before it takes it into its routing table, one FIFO
// queue for all, and each tarpit's ping waited out its 5 s timeout, so the servers the node was connected
// to waited behind hundreds of them (a lying DHT server's way to keep a node's routing table from
// growing: see dht-contacts-tarpits.test.ts and dht-admission.ts). With servers that answer honestly, here stock libp2p
// peers running a real kad-dht on Murmur's protocol, each on its own loopback address, every contact is
// taken, stays when the idle release closes its connection, and is reached again by the next query.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'


import { idleOutboundRelease } from '../src/outbound-connections.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { loopbackLibp2p } from './inbound-fixtures.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from '@libp2p/interface'
import type { MurmurLibp2p } from '../src/libp2p.js'

const SERVERS = 10

type DhtServer = Libp2p<{ identify: Identify, dht: KadDHT }>

/** A stock libp2p peer running a real kad-dht server on Murmur's protocol, on `ip`. */
async function dhtServer (ip: string): Promise<DhtServer> {
  return createLibp2p({
    addresses: { listen: [`/ip4/${ip}/tcp/0`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1_000 },
    services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper }) }
  })
}

/** Peers in the node's kad-dht routing table (kad-dht's implementation has one; the KadDHT interface does not say). */
const tableSize = (node: MurmurLibp2p): number => (node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size

describe('DHT contacts of a Murmur node', () => {
  const cleanup = cleanedAfterEach()

  it(`keeps ${SERVERS} stock kad-dht servers it dialed in its routing table, after their connections are released too`, async () => {
    const node = await loopbackLibp2p({ dhtServer: true })
    cleanup.running.push(node)
    await node.start()
    const servers = await Promise.all(Array.from({ length: SERVERS }, async (_, i) => dhtServer(`127.0.0.${i + 2}`)))
    cleanup.running.push(...servers)
    for (const server of servers) await node.dial(server.getMultiaddrs()[0]!)
    await waitFor(() => tableSize(node) >= SERVERS || undefined, `${SERVERS} servers in the routing table`, 30_000, 50)
    // the idle release closes every connection to a peer the node did not choose once idle (idle 0 here:
    // what 30 s do in a running node); the routing table keeps its contacts, and the DHT dials them again
    const release = idleOutboundRelease({ connections: () => node.getConnections(), chosen: () => false }, { idle: 0, interval: 60_000 })
    cleanup.running.push(release)
    await waitFor(async () => { await release.sweep(); return node.getConnections().every((c) => c.direction === 'inbound') || undefined }, 'every outbound connection released', 20_000, 100)
    expect(tableSize(node)).toBe(SERVERS)
    // a query reaches them again (kad-dht's request timeout is 5 s: on a loaded machine a round may time out
    // whole, so up to three rounds)
    let answered = 0
    for (let round = 0; round < 3 && answered === 0; round++) {
      for await (const event of node.services.dht.getClosestPeers(new Uint8Array(32).fill(7), { signal: AbortSignal.timeout(20_000) })) {
        if (event.name === 'PEER_RESPONSE') answered++
      }
    }
    expect(answered).toBeGreaterThan(0)
    expect(tableSize(node)).toBe(SERVERS)
  }, 90_000)
})
