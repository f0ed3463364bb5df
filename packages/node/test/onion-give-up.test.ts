/**
 * An own post whose deadline passes while the onion sender is still resending it (issue 19, S10O item 4):
 * every mix the author knows is a black hole (a stock libp2p peer that answers with a mix key and swallows
 * every packet, and logs every stem frame and gossip message it gets). The author's clock then jumps past
 * the post's forward deadline: at its next resend the post is given up once — one `dropped` event, reason
 * `expired` — and never sent again, through a mix, the stem or gossip.
 */
import { lpStream } from '@libp2p/utils'
import { ONION_PACKET_BYTES, channelTopic, generateMixKey } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { MIX_KEY_PROTOCOL, MIX_PROTOCOL } from '../src/onion/index.js'
import { readExactly, writeAll } from '../src/onion/stream.js'
import { STEM_PROTOCOL } from '../src/stem/index.js'
import { addressOf, cleanedAfterEach, collectMessages, startNode, startStockPeer, waitFor } from './harness.js'
import type { DroppedDetail } from '../src/index.js'
import type { StockPeer } from './harness.js'

const CHANNEL = '#onion-late'
const TOPIC = channelTopic(CHANNEL)
const RESEND_AFTER = 1_000

interface Hole {
  peer: StockPeer
  /** Mix streams opened to it, and stem frames read. */
  packets: number
  stemFrames: number
}

/** A mix that answers with a key and swallows every packet; it logs stem streams too, and is in the channel's topic. */
async function hole (): Promise<Hole> {
  const peer = await startStockPeer()
  const node: Hole = { peer, packets: 0, stemFrames: 0 }
  const key = generateMixKey().publicKey
  await peer.handle(MIX_KEY_PROTOCOL, (stream) => { void writeAll(stream, new Uint8Array([...key, 0, 0, 14, 16])) })
  // read and closed as an honest mix does: the sender cannot tell that the packet went no further
  await peer.handle(MIX_PROTOCOL, async (stream) => {
    await readExactly(stream, ONION_PACKET_BYTES, 5_000)
    node.packets++
    await stream.close()
  })
  await peer.handle(STEM_PROTOCOL, async (stream) => {
    const frames = lpStream(stream)
    for (;;) {
      try {
        await frames.read()
        node.stemFrames++
      } catch {
        return
      }
    }
  })
  peer.services.pubsub.subscribe(TOPIC)
  return node
}

describe('an own post overtaken by its deadline while the onion resends it', () => {
  const cleanup = cleanedAfterEach()

  it('is given up once at its next resend: one dropped event (expired), never sent again through a mix, the stem or gossip', async () => {
    let offset = 0
    const author = await startNode({ channels: [CHANNEL], onion: { meanDelay: 0, loopsPerMinute: 0, resendAfter: RESEND_AFTER, maxAttempts: 3 }, clock: () => Date.now() + offset })
    const holes = await Promise.all(Array.from({ length: 4 }, hole))
    cleanup.running.push(author, ...holes.map((h) => h.peer))
    const heard = holes.map((h) => collectMessages(h.peer, TOPIC))
    for (const h of holes) await author.libp2p.dial(multiaddr(addressOf(h.peer)))
    await waitFor(() => author.onion.mixes === holes.length, 'the author knows the 4 mixes')
    await waitFor(() => author.libp2p.services.pubsub.getSubscribers(TOPIC).length === holes.length, 'the author sees the holes in the topic')
    const dropped: DroppedDetail[] = []
    author.addEventListener('dropped', (evt) => { dropped.push(evt.detail) })

    const { id, status } = await author.post(CHANNEL, 'overtaken', { ttl: 3600 })
    expect(status).toBe('sent')
    expect(author.onion.pending).toBe(1)
    const swallowed = (): number => holes.reduce((sum, h) => sum + h.packets, 0)
    await waitFor(() => swallowed() === 1, 'the first mix swallowed the post')
    // an hour on, by the author's clock: past the post's forward deadline (its expiry less the skew and slack)
    offset = 3_600_000
    await waitFor(() => dropped.length > 0, 'the post given up', RESEND_AFTER * 3)
    expect(dropped.map((detail) => [detail.id, detail.reason])).toEqual([[id, 'expired']])
    expect(author.onion.pending).toBe(0)
    expect(swallowed()).toBe(1)
    // what is measured is an absence: nothing more leaves for three more resend periods
    await new Promise((resolve) => setTimeout(resolve, RESEND_AFTER * 3))
    expect(dropped).toHaveLength(1)
    expect(swallowed()).toBe(1)
    expect(holes.map((h) => h.stemFrames)).toEqual([0, 0, 0, 0])
    expect(heard.flat()).toEqual([])
  }, 15_000)
})
