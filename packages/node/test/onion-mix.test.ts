/**
 * The onion layer on real libp2p nodes (loopback): each node a mix with createOnion, a stock libp2p
 * peer as the attacker sending hand-built packets, and a black-holing mix.
 */
import { logger } from '@libp2p/logger'
import { ONION_PACKET_BYTES, encodeOnionMessage, fromHex, generateMixKey, messageId, toHex, wrapOnion } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { MIX_KEY_PROTOCOL, MIX_PROTOCOL, createOnion } from '../src/onion/index.js'
import { readExactly, writeAll } from '../src/onion/stream.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { mixKeyOf } from './onion-harness.js'
import type { Onion, OnionInit, MixDropCode } from '../src/onion/index.js'
import type { StockPeer } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const TOPIC = 'murmur/2/#onion'
const FAST: OnionInit = { meanDelay: 20, loopsPerMinute: 0 }

interface MixNode {
  peer: StockPeer
  onion: Onion
  delivered: Array<{ topic: string, envelope: string }>
  fallback: string[]
  penalized: Array<{ peer: string, code: string }>
  dropped: MixDropCode[]
}

async function mixNode (cleanup: ReturnType<typeof cleanedAfterEach>, init: OnionInit = FAST): Promise<MixNode> {
  const peer = await startStockPeer()
  const node: MixNode = { peer, onion: undefined as unknown as Onion, delivered: [], fallback: [], penalized: [], dropped: [] }
  node.onion = createOnion({
    libp2p: peer,
    deliver: async (topic, envelope) => { node.delivered.push({ topic, envelope: toHex(envelope) }) },
    fallback: (_topic, envelope) => { node.fallback.push(toHex(envelope)) },
    penalize: (from, code) => { node.penalized.push({ peer: from.toString(), code }) },
    log: logger('murmur:test:onion')
  }, init)
  node.onion.addEventListener('dropped', (evt) => { node.dropped.push(evt.detail.code) })
  await node.onion.start()
  cleanup.running.push({ stop: () => { node.onion.stop() } }, peer)
  return node
}

/** Dials every pair, and waits until each node knows every other as a mix. */
async function mesh (nodes: StockPeer[], mixes: MixNode[]): Promise<void> {
  const pairs = nodes.flatMap((node, i) => nodes.slice(i + 1).map((other) => [node, other] as const))
  await Promise.all(pairs.map(async ([node, other]) => node.dial(other.getMultiaddrs()[0]!)))
  for (const mix of mixes) await waitFor(() => mix.onion.mixes >= nodes.length - 1, 'every mix key known')
}

async function sendRaw (attacker: StockPeer, peer: PeerId, bytes: Uint8Array): Promise<void> {
  await writeAll(await attacker.dialProtocol(peer, MIX_PROTOCOL), bytes)
}

describe('onion layer on real libp2p nodes', () => {
  const cleanup = cleanedAfterEach()

  it('an own post goes through 3 mixes to an exit, which delivers it once; a loop comes back to its sender', async () => {
    const nodes = await Promise.all(Array.from({ length: 5 }, async () => mixNode(cleanup)))
    await mesh(nodes.map((node) => node.peer), nodes)
    const [author] = nodes
    const envelope = fromHex('0a0b0c0d')
    await author!.onion.send(TOPIC, envelope, Math.floor(Date.now() / 1000) + 3600)
    expect(author!.onion.pending).toBe(1)
    const exit = await waitFor(() => nodes.find((node) => node.delivered.length > 0), 'a node delivers the post')
    expect(exit.delivered).toEqual([{ topic: TOPIC, envelope: '0a0b0c0d' }])
    expect(exit).not.toBe(author)
    author!.onion.seen(messageId(TOPIC, envelope))
    expect(author!.onion.pending).toBe(0)
    const back = new Promise((resolve) => { author!.onion.addEventListener('loop', resolve, { once: true }) })
    expect(await author!.onion.sendLoop()).toBe(true)
    await back
    // the status counts what happened: the loop out and back, the post handed on by the exit alone
    expect(author!.onion.status()).toEqual({ enabled: true, mixes: 4, pending: 0, loopsSent: 1, loopsReturned: 1, delivered: 0 })
    expect(nodes.map((node) => node.onion.status().delivered)).toEqual(nodes.map((node) => node === exit ? 1 : 0))
    expect(nodes.flatMap((node) => node.delivered)).toHaveLength(1)
    expect(nodes.flatMap((node) => node.dropped)).toEqual([])
    // a post no packet holds (a ring signature over a large ring) is refused at once, for the stem to take
    await expect(author!.onion.send(TOPIC, new Uint8Array(ONION_PACKET_BYTES), 0)).rejects.toMatchObject({ name: 'NoMixPathError', code: 'ERR_NO_MIX_PATH' })
    expect(author!.onion.pending).toBe(0)
    // options out of range are refused when the layer is made
    expect(() => createOnion({ ...nodes[0]!, libp2p: nodes[0]!.peer } as never, { pathLength: 4 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
  })

  it('a stock peer: a packet of the wrong size is refused and penalised, a replayed packet dropped (ERR_ONION_REPLAY), a tampered one ERR_ONION_MAC', async () => {
    const target = await mixNode(cleanup)
    const attacker = await startStockPeer()
    cleanup.running.push(attacker)
    await attacker.dial(target.peer.getMultiaddrs()[0]!)
    const publicKey = await mixKeyOf(attacker, target.peer.peerId)
    const packet = wrapOnion({ hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay: 0 }], message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: fromHex('ff') }) })

    await sendRaw(attacker, target.peer.peerId, packet.subarray(1))
    await waitFor(() => target.dropped.includes('ERR_ONION_SIZE'), 'the short packet refused')
    expect(target.penalized).toEqual([{ peer: attacker.peerId.toString(), code: 'ERR_ONION_SIZE' }])

    await sendRaw(attacker, target.peer.peerId, packet)
    await waitFor(() => target.delivered.length === 1, 'the packet delivered')
    await sendRaw(attacker, target.peer.peerId, packet)
    await waitFor(() => target.dropped.includes('ERR_ONION_REPLAY'), 'the replay dropped')

    const tampered = wrapOnion({ hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay: 0 }], message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: fromHex('ee') }) })
    tampered[ONION_PACKET_BYTES - 1] = tampered[ONION_PACKET_BYTES - 1]! ^ 1
    await sendRaw(attacker, target.peer.peerId, tampered)
    await waitFor(() => target.dropped.includes('ERR_ONION_MAC'), 'the tampered packet dropped')
    expect(target.delivered).toHaveLength(1)
    // refusals of packets an honest mix may have forwarded are not penalised
    expect(target.penalized).toHaveLength(1)
  })

  it('a black-holing mix on every path: the post is sent again through new first hops, then handed to the fallback', async () => {
    const honest = await Promise.all(Array.from({ length: 3 }, async () => mixNode(cleanup, { ...FAST, resendAfter: 400, maxAttempts: 2 })))
    // the hole answers with a key and swallows every packet
    const hole = await startStockPeer()
    cleanup.running.push(hole)
    const holeKey = generateMixKey().publicKey
    const swallowed: number[] = []
    await hole.handle(MIX_KEY_PROTOCOL, (stream) => { void writeAll(stream, new Uint8Array([...holeKey, 0, 0, 14, 16])) })
    await hole.handle(MIX_PROTOCOL, (stream) => { void readExactly(stream, ONION_PACKET_BYTES, 5_000).then((bytes) => swallowed.push(bytes.byteLength)) })
    const author = honest[0]!
    // the author knows 3 mixes: the hole and two honest ones, so every path of 3 crosses the hole
    for (const peer of [hole, honest[1]!.peer, honest[2]!.peer]) await author.peer.dial(peer.getMultiaddrs()[0]!)
    await honest[1]!.peer.dial(honest[2]!.peer.getMultiaddrs()[0]!)
    await waitFor(() => author.onion.mixes === 3, 'the author knows 3 mixes')
    await author.onion.send(TOPIC, fromHex('abcd'), Math.floor(Date.now() / 1000) + 3600)
    await waitFor(() => author.fallback.length === 1, 'the fallback takes the post', 10_000)
    expect(author.fallback).toEqual(['abcd'])
    // each path lost the post at the hole: swallowed there, or the honest mix before it could not reach it
    await waitFor(() => swallowed.length + honest.flatMap((node) => node.dropped).filter((code) => code === 'ERR_MIX_UNREACHABLE').length >= 2, 'both paths lost at the hole')
    expect(author.onion.pending).toBe(0)
  })
})
