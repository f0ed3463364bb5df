/**
 * Abuse of the onion layer by stock libp2p peers (loopback): a connection carrying many packets, packets
 * naming sybil next hops that never close their streams,
 * a mix key answer with a huge lifetime. Each case failed on the code before the fix (the tenth adversarial read, S9X).
 */
import { encodeOnionMessage, fromHex, generateMixKey, wrapOnion } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { MAX_MIX_FORWARD_DIALS_PER_GROUP, MIX_KEY_PROTOCOL, MIX_PROTOCOL, MIX_STREAM_TIMEOUT } from '../src/onion/index.js'
import { writeAll } from '../src/onion/stream.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { mixKeyOf, recordingMix } from './onion-harness.js'
import type { PeerId } from '@libp2p/interface'

const TOPIC = 'murmur/2/#onion'

/** A packet the victim (key `publicKey`) forwards at once to `next` at `address`, for a mix key of its own. */
function forwardPacket (victimPeer: PeerId, publicKey: Uint8Array, next: PeerId, address: Uint8Array): Uint8Array {
  return wrapOnion({
    hops: [
      { publicKey, peerId: victimPeer.toMultihash().bytes, delay: 0 },
      { publicKey: generateMixKey().publicKey, peerId: next.toMultihash().bytes, address, delay: 0 }
    ],
    message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: fromHex('ff') })
  })
}

describe('onion layer under abuse', () => {
  const cleanup = cleanedAfterEach()

  it('one connection carries 50 packets in a row: the mix closes each stream once its packet is read', async () => {
    const target = await recordingMix(cleanup)
    const sender = await startStockPeer()
    cleanup.running.push(sender)
    await sender.dial(target.peer.getMultiaddrs()[0]!)
    const publicKey = await mixKeyOf(sender, target.peer.peerId)
    for (let i = 0; i < 50; i++) {
      const packet = wrapOnion({ hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay: 0 }], message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: new Uint8Array([i]) }) })
      await writeAll(await sender.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet)
    }
    await waitFor(() => target.delivered === 50, 'all 50 packets delivered', 10_000)
    expect(sender.getConnections(target.peer.peerId)).toHaveLength(1)
    await waitFor(() => target.peer.getConnections(sender.peerId).flatMap((c) => c.streams).every((s) => s.protocol !== MIX_PROTOCOL), 'no mix stream left open')
    expect(target.dropped).toEqual([])
  }, 15_000)

  it('20 packets naming sybil next hops that never close their streams: the mix holds at most the cap of connections to them at once, and none afterwards', async () => {
    const target = await recordingMix(cleanup)
    const attacker = await startStockPeer()
    cleanup.running.push(attacker)
    await attacker.dial(target.peer.getMultiaddrs()[0]!)
    const publicKey = await mixKeyOf(attacker, target.peer.peerId)
    // 20 sybils in one address group that read nothing and never close a mix stream
    const sybils = await Promise.all(Array.from({ length: 20 }, async () => startStockPeer()))
    cleanup.running.push(...sybils)
    let open = 0
    let most = 0
    let received = 0
    for (const sybil of sybils) {
      await sybil.handle(MIX_PROTOCOL, () => { received++ })
      sybil.addEventListener('connection:open', (evt) => { if (evt.detail.remotePeer.equals(target.peer.peerId)) most = Math.max(most, ++open) })
      sybil.addEventListener('connection:close', (evt) => { if (evt.detail.remotePeer.equals(target.peer.peerId)) open-- })
    }
    const packets = sybils.map((sybil) => forwardPacket(target.peer.peerId, publicKey, sybil.peerId, sybil.getMultiaddrs()[0]!.decapsulateCode(421).bytes))
    for (const packet of packets) await writeAll(await attacker.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet)
    await waitFor(() => target.dropped.length + received === packets.length, 'every packet forwarded or dropped', 15_000)
    expect(target.dropped.every(({ code }) => code === 'ERR_MIX_UNREACHABLE')).toBe(true)
    expect(received).toBeGreaterThan(0)
    await waitFor(() => sybils.every((sybil) => target.peer.getConnections(sybil.peerId).length === 0), 'no sybil connection held', MIX_STREAM_TIMEOUT * 2)
    expect(most).toBeLessThanOrEqual(MAX_MIX_FORWARD_DIALS_PER_GROUP)
    expect(most).toBeGreaterThan(0)
  }, 20_000)

  it('a full mix queue (256) filled from one address group drops that group\'s packets, not an honest one\'s', async () => {
    const honest = await startStockPeer()
    // every peer is on loopback: the honest sender is given an address group of its own
    const target = await recordingMix(cleanup, { groupOf: (peer) => peer.equals(honest.peerId) ? 'honest' : undefined })
    const flooder = await startStockPeer()
    cleanup.running.push(honest, flooder)
    await flooder.dial(target.peer.getMultiaddrs()[0]!)
    await honest.dial(target.peer.getMultiaddrs()[0]!)
    const publicKey = await mixKeyOf(flooder, target.peer.peerId)
    const packet = (delay: number, i: number): Uint8Array => wrapOnion({ hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay }], message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: new Uint8Array([i >> 8, i & 255]) }) })
    // 264 flood packets held 10 s, in 8 streams at a time, then the honest packet into the full queue
    await Promise.all(Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane; i < 264; i += 8) await writeAll(await flooder.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet(10_000, i))
    }))
    await waitFor(() => target.dropped.length === 8, 'the flood past the queue dropped')
    await writeAll(await honest.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet(0, 9999))
    await waitFor(() => target.delivered === 1, 'the honest packet delivered')
    expect(target.dropped).toHaveLength(9)
    expect(target.dropped.every(({ code }) => code === 'ERR_MIX_FULL')).toBe(true)
    expect(target.dropped.every(({ from }) => from === flooder.peerId.toString())).toBe(true)
  }, 20_000)

  it('a mix key answer with a lifetime of 0xffffffff s: the key is asked for once, not in a loop', async () => {
    const target = await recordingMix(cleanup)
    const liar = await startStockPeer()
    cleanup.running.push(liar)
    let asks = 0
    const key = generateMixKey().publicKey
    await liar.handle(MIX_KEY_PROTOCOL, (stream) => { asks++; void writeAll(stream, new Uint8Array([...key, 0xff, 0xff, 0xff, 0xff])) })
    await liar.dial(target.peer.getMultiaddrs()[0]!)
    await waitFor(() => target.onion.mixes === 1, 'the liar known as a mix')
    // what is measured is an absence: a tight loop asked 200 times a second
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(asks).toBe(1)
  })
})
