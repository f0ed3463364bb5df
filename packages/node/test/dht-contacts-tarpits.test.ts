/**
 * Session 7, F12M item 1: lying DHT servers (stock libp2p peers answering every kad request with hand-built
 * bytes) name 100 tarpits each (a TCP port that accepts and never speaks). kad-dht pings every named peer
 * before taking it into its routing table, through one first-in first-out queue, each tarpit for its 5 s
 * timeout: the servers the node itself was connected to waited behind them (2 of 10 in the table after
 * 20 s, and no more). A peer identified over an open connection is now offered to the table at once
 * (dht-admission.ts), which also pins kad-dht's `routingTable.add` that it calls.
 */
import net from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, it } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'


import { addressOf, cleanedAfterEach, waitFor } from './harness.js'
import { loopbackLibp2p } from './inbound-fixtures.js'
import type { MurmurLibp2p } from '../src/libp2p.js'

const LIARS = 10
const NAMED = 100

/** `value` as a protobuf varint. */
function varint (value: number): number[] {
  const out: number[] = []
  while (value > 0x7f) { out.push((value & 0x7f) | 0x80); value >>>= 7 }
  out.push(value)
  return out
}

/** A length-delimited protobuf field. */
function field (tag: number, bytes: Uint8Array): number[] {
  return [tag, ...varint(bytes.length), ...bytes]
}

/** A kad-dht FIND_NODE answer naming `peers` (PeerId bytes, one address each). */
function findNodeAnswer (peers: Array<{ id: Uint8Array, addr: Uint8Array }>): Uint8Array {
  const closer = peers.flatMap(({ id, addr }) => field(66, Uint8Array.from([...field(10, id), ...field(18, addr)])))
  return Uint8Array.from([8, 4, ...closer])
}

/** Peers in the node's kad-dht routing table (kad-dht's implementation has one; the KadDHT interface does not say). */
const tableSize = (node: MurmurLibp2p): number => (node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size

describe('DHT contacts behind the tarpits a DHT answer names', () => {
  const cleanup = cleanedAfterEach()

  it(`${LIARS} connected DHT servers naming ${NAMED} tarpits each all enter the routing table`, async () => {
    const held: net.Socket[] = []
    const tarpit = net.createServer((socket) => { held.push(socket); socket.on('error', () => {}) })
    await new Promise<void>((resolve) => { tarpit.listen(0, '127.0.0.1', resolve) })
    cleanup.running.push({ stop: () => { for (const socket of held) socket.destroy(); tarpit.close() } })
    const port = (tarpit.address() as net.AddressInfo).port
    const node = await loopbackLibp2p({ dhtServer: true })
    cleanup.running.push(node)
    await node.start()
    // stock libp2p peers that answer kad-dht's routing-table ping, and every kad request with hand-built bytes
    const liars = await Promise.all(Array.from({ length: LIARS }, async () => createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() }
    })))
    cleanup.running.push(...liars)
    for (const liar of liars) {
      const named = await Promise.all(Array.from({ length: NAMED }, async () => {
        const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
        return { id: id.toMultihash().bytes, addr: multiaddr(`/ip4/127.0.0.1/tcp/${port}`).bytes }
      }))
      const answer = findNodeAnswer(named)
      await liar.handle(KAD_PROTOCOL, async (stream) => {
        const lp = lpStream(stream)
        await lp.read()
        await lp.write(answer)
      }, { runOnLimitedConnection: true })
    }
    for (const liar of liars) await node.dial(multiaddr(addressOf(liar)))
    await waitFor(() => tableSize(node) >= LIARS || undefined, `the ${LIARS} connected servers in the routing table`, 20_000, 50)
  }, 60_000)
})
