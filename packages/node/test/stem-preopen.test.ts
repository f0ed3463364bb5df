/**
 * Issue 14 §3: a stem hop through a successor fresh in its epoch waited for the stem stream to open (a
 * multistream-select round trip) before the post was written. A node now opens its stream to each
 * successor when it picks it, so the first post sent there leaves on a stream already open. Event-based:
 * the successors see a stream open before any post is sent, and the post arrives on it, no other opened.
 */
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, createStem, decodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'

const CHANNEL = '#stem-preopen'
const TOPIC = channelTopic(CHANNEL)

/** A stock stem successor that notes every stem stream opened to it and every frame it reads. */
async function successor (): Promise<{ peer: StockPeer, streams: () => number, frames: string[] }> {
  const peer = await startStockPeer()
  let streams = 0
  const frames: string[] = []
  await peer.handle(STEM_PROTOCOL, async (stream) => {
    streams++
    const lp = lpStream(stream)
    for (;;) {
      try {
        const { topic, envelope } = decodeStemFrame((await lp.read()).subarray())
        frames.push(toHex(messageId(topic, envelope)))
      } catch {
        return
      }
    }
  })
  return { peer, streams: () => streams, frames }
}

describe('stem streams to successors', () => {
  const { running } = cleanedAfterEach()

  it('are open before the first post, which leaves on one of them', async () => {
    const node = await startStockPeer()
    running.push(node)
    const stem = createStem({
      libp2p: node,
      validate: async () => 'accept',
      penalize: () => {},
      fluff: async () => ({ status: 'sent', recipients: 0 })
    }, { fluffProbability: 0 })
    await stem.start()
    running.push({ stop: () => { stem.stop() } })
    const a = await successor()
    const b = await successor()
    running.push(a.peer, b.peer)
    await node.dial(a.peer.getMultiaddrs()[0]!)
    await node.dial(b.peer.getMultiaddrs()[0]!)
    await waitFor(() => stem.router.currentSuccessors.length === 2, 'two stem successors')

    // no post yet: each successor has a stream from the node all the same (none before the fix)
    await waitFor(() => a.streams() === 1 && b.streams() === 1, 'a stem stream open to each successor', 15_000)

    const built = await buildEnvelope({ channel: CHANNEL, body: 'first post', powBits: TEST_POW_BITS })
    expect(await stem.send(TOPIC, built.bytes, Math.floor(Date.now() / 1000) + 3600)).toEqual({ status: 'sent', recipients: 1 })
    const id = toHex(built.id)
    await waitFor(() => a.frames.includes(id) || b.frames.includes(id), 'the post at the own route')
    expect(a.streams() + b.streams()).toBe(2)
  })
})
