/**
 * Abuse of the onion layer by stock libp2p peers (loopback): a connection carrying many packets,
 * a mix key answer with a huge lifetime. Each case failed on the code before the fix (the tenth adversarial read, S9X).
 */
import { logger } from '@libp2p/logger'
import { encodeOnionMessage, generateMixKey, ready, wrapOnion } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { MIX_KEY_PROTOCOL, MIX_PROTOCOL, createOnion } from '../src/onion/index.js'
import { readExactly, writeAll } from '../src/onion/stream.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { MixDropCode, Onion } from '../src/onion/index.js'
import type { StockPeer } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const TOPIC = 'murmur/2/#onion'

interface Victim {
  peer: StockPeer
  onion: Onion
  delivered: number
  dropped: MixDropCode[]
}

async function victim (cleanup: ReturnType<typeof cleanedAfterEach>): Promise<Victim> {
  const peer = await startStockPeer()
  const node: Victim = { peer, onion: undefined as unknown as Onion, delivered: 0, dropped: [] }
  node.onion = createOnion({
    libp2p: peer,
    deliver: async () => { node.delivered++ },
    fallback: () => {},
    penalize: () => {},
    log: logger('murmur:test:onion-abuse')
  }, { meanDelay: 0, loopsPerMinute: 0 })
  node.onion.addEventListener('dropped', (evt) => { node.dropped.push(evt.detail.code) })
  await node.onion.start()
  cleanup.running.push({ stop: () => { node.onion.stop() } }, peer)
  return node
}

/** The victim's mix key, read by `attacker` over /murmur/mix-key/1.0.0. */
async function keyOf (attacker: StockPeer, peer: PeerId): Promise<Uint8Array> {
  const stream = await attacker.dialProtocol(peer, MIX_KEY_PROTOCOL)
  const reading = readExactly(stream, 36, 5_000)
  await stream.close()
  return (await reading).slice(0, 32)
}

describe('onion layer under abuse', () => {
  const cleanup = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it('one connection carries 50 packets in a row: the mix closes each stream once its packet is read', async () => {
    const target = await victim(cleanup)
    const sender = await startStockPeer()
    cleanup.running.push(sender)
    await sender.dial(target.peer.getMultiaddrs()[0]!)
    const publicKey = await keyOf(sender, target.peer.peerId)
    for (let i = 0; i < 50; i++) {
      const packet = wrapOnion({ hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay: 0 }], message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: new Uint8Array([i]) }) })
      await writeAll(await sender.dialProtocol(target.peer.peerId, MIX_PROTOCOL), packet)
    }
    await waitFor(() => target.delivered === 50, 'all 50 packets delivered', 10_000)
    expect(sender.getConnections(target.peer.peerId)).toHaveLength(1)
    await waitFor(() => target.peer.getConnections(sender.peerId).flatMap((c) => c.streams).every((s) => s.protocol !== MIX_PROTOCOL), 'no mix stream left open')
    expect(target.dropped).toEqual([])
  }, 15_000)

  it('a mix key answer with a lifetime of 0xffffffff s: the key is asked for once, not in a loop', async () => {
    const target = await victim(cleanup)
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
