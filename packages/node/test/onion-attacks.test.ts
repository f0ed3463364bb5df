/**
 * Attacks on a mix by stock libp2p peers sending hand-built bytes (issue 19, S10O items 1 and 2):
 * - slow streams on /murmur/mix/1.0.0, 32 at once over 4 connections (a byte every 2 s, or a whole packet
 *   and the stream never closed): each is freed by its deadline and charged as ERR_ONION_SIZE, and an
 *   honest sender's packets are delivered meanwhile, well before any deadline;
 * - packets whose author MACed a next hop that is no PeerId (trailing bytes, an unknown multihash) or an
 *   address that is no multiaddr (trailing bytes, garbage), and α encodings that are not canonical: each is
 *   refused with a stable code as it arrives (not held for its delay, taking a queue slot), nothing is
 *   forwarded, even to a connected next hop, and the peer it came from is not charged (an honest mix
 *   before it could not have told).
 */
import { ONION_ALPHA_BYTES, encodeOnionMessage, fromHex, generateMixKey, wrapOnion } from '@murmur/protocol'
import { CODE_P2P } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { MAX_MIX_INBOUND_STREAMS, MIX_PROTOCOL, MIX_STREAM_TIMEOUT } from '../src/onion/index.js'
import { writeAll } from '../src/onion/stream.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { mixKeyOf, recordingMix } from './onion-harness.js'
import type { StockPeer } from './harness.js'
import type { RecordingMix } from './onion-harness.js'
import type { PeerId, Stream } from '@libp2p/interface'

const TOPIC = 'murmur/2/#onion'

async function connected (cleanup: ReturnType<typeof cleanedAfterEach>, to: StockPeer): Promise<StockPeer> {
  const peer = await startStockPeer()
  cleanup.running.push(peer)
  await peer.dial(to.getMultiaddrs()[0]!)
  return peer
}

const exitPacket = (publicKey: Uint8Array, peer: PeerId, i: number): Uint8Array => wrapOnion({
  hops: [{ publicKey, peerId: peer.toMultihash().bytes, delay: 0 }],
  message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: new Uint8Array([i]) })
})

/** Mix streams from `peer` the victim holds open now. */
const openFrom = (target: RecordingMix, peer: StockPeer): number =>
  target.peer.getConnections(peer.peerId).flatMap((connection) => connection.streams).filter((stream) => stream.protocol === MIX_PROTOCOL).length

describe('a mix under slow streams and forged next hops', () => {
  const cleanup = cleanedAfterEach()

  it('32 slow mix streams (a byte every 2 s; a whole packet never closed) are freed by their deadline while honest packets flow', async () => {
    const target = await recordingMix(cleanup)
    const attackers = await Promise.all(Array.from({ length: 4 }, async () => connected(cleanup, target.peer)))
    const honest = await connected(cleanup, target.peer)
    const publicKey = await mixKeyOf(honest, target.peer.peerId)
    const opened = Date.now()
    const streams: Stream[] = []
    // every attacker fills its connection's mix streams (MAX_MIX_INBOUND_STREAMS): half drip, half send a packet and stay open
    for (const [a, attacker] of attackers.entries()) {
      for (let i = 0; i < MAX_MIX_INBOUND_STREAMS; i++) {
        const stream = await attacker.dialProtocol(target.peer.peerId, MIX_PROTOCOL)
        streams.push(stream)
        stream.send(i % 2 === 0 ? new Uint8Array([1]) : exitPacket(publicKey, target.peer.peerId, 100 + a * 8 + i))
      }
    }
    const drip = setInterval(() => {
      for (const [i, stream] of streams.entries()) if (i % 2 === 0 && stream.status === 'open') stream.send(new Uint8Array([1]))
    }, 2_000)
    try {
      await waitFor(() => attackers.every((attacker) => openFrom(target, attacker) === MAX_MIX_INBOUND_STREAMS), 'the 32 slow streams open at the mix')
      // honest packets meanwhile: each delivered at once (its hold is 0), long before the slow streams' deadline
      for (let i = 0; i < 5; i++) await writeAll(await honest.dialProtocol(target.peer.peerId, MIX_PROTOCOL), exitPacket(publicKey, target.peer.peerId, i))
      await waitFor(() => target.delivered === 5, 'the honest packets delivered', MIX_STREAM_TIMEOUT)
      expect(Date.now() - opened).toBeLessThan(MIX_STREAM_TIMEOUT)
      expect(target.dropped).toEqual([])
      // every slow stream freed by its deadline (and its slot with it), each charged to its sender
      await waitFor(() => attackers.every((attacker) => openFrom(target, attacker) === 0), 'the slow streams freed', MIX_STREAM_TIMEOUT + 2_000)
      expect(Date.now() - opened).toBeLessThan(MIX_STREAM_TIMEOUT + 2_000)
      expect(target.dropped.map(({ code }) => code)).toEqual(new Array(32).fill('ERR_ONION_SIZE'))
      expect(target.penalized.filter(({ code }) => code === 'ERR_ONION_SIZE')).toHaveLength(32)
      // the packets sent whole but never closed were not taken: the 5 honest ones alone were delivered
      expect(target.delivered).toBe(5)
    } finally {
      clearInterval(drip)
    }
  }, 15_000)

  it('a next hop or address its author MACed but that is not canonical is refused at once (ERR_ONION_ROUTING), never forwarded, nobody charged', async () => {
    const target = await recordingMix(cleanup)
    const attacker = await connected(cleanup, target.peer)
    // the next hop is connected to the victim: a packet naming it would go straight over that connection
    const next = await connected(cleanup, target.peer)
    let forwarded = 0
    await next.handle(MIX_PROTOCOL, (stream) => { forwarded++; stream.abort(new Error('not read')) })
    const publicKey = await mixKeyOf(attacker, target.peer.peerId)
    const id = next.peerId.toMultihash().bytes
    const address = next.getMultiaddrs()[0]!.decapsulateCode(CODE_P2P).bytes
    const forged: Record<string, { peerId: Uint8Array, address?: Uint8Array }> = {
      'a PeerId with 2 bytes after it': { peerId: new Uint8Array([...id, 1, 2]) },
      'an unknown encoding (38 bytes of 7)': { peerId: new Uint8Array(38).fill(7) },
      'a multihash of an unknown hash (sha1)': { peerId: new Uint8Array([0x11, 20, ...new Uint8Array(20)]) },
      'an address with 2 bytes after it': { peerId: id, address: new Uint8Array([...address, 9, 9]) },
      'an address that is no multiaddr': { peerId: id, address: new Uint8Array(20).fill(0xee) }
    }
    for (const [what, hop] of Object.entries(forged)) {
      // held 10 s if it were taken: a refusal within 2 s was made before the hold
      const packet = wrapOnion({
        hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay: 10_000 }, { publicKey: generateMixKey().publicKey, ...hop, delay: 0 }],
        message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: fromHex('ff') })
      })
      const before = target.dropped.length
      const sent = Date.now()
      await writeAll(await attacker.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet)
      const refusal = await waitFor(() => target.dropped[before], `${what} refused`, 2_000)
      expect(refusal.code, what).toBe('ERR_ONION_ROUTING')
      expect(refusal.at - sent, what).toBeLessThan(2_000)
    }
    // α encodings that are not canonical: p = 2^255 - 19 (0 + p), and a valid α with its top bit set
    const valid = exitPacket(publicKey, target.peer.peerId, 1)
    const p = new Uint8Array(32).fill(0xff)
    p[0] = 0xed
    p[31] = 0x7f
    for (const alpha of [p, Uint8Array.from(valid.subarray(0, ONION_ALPHA_BYTES), (byte, i) => i === 31 ? byte | 0x80 : byte)]) {
      const packet = valid.slice()
      packet.set(alpha, 0)
      await writeAll(await attacker.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet)
    }
    await waitFor(() => target.dropped.length === Object.keys(forged).length + 2, 'the α encodings refused')
    expect(target.dropped.slice(-2).map(({ code }) => code)).toEqual(['ERR_ONION_POINT', 'ERR_ONION_POINT'])
    // the canonical packet itself is taken: the refusals were for the bytes, not the sender
    await writeAll(await attacker.dialProtocol(target.peer.peerId, MIX_PROTOCOL), valid)
    await waitFor(() => target.delivered === 1, 'the canonical packet delivered')
    expect(forwarded).toBe(0)
    expect(target.penalized).toEqual([])
  }, 15_000)
})
