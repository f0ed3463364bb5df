/**
 * A stock stem successor for node tests: it joins a channel, swallows every stem frame it gets, and
 * notes what reaches it through gossip.
 */
import { lpStream } from '@libp2p/utils'
import { messageId, toHex } from '@murmur/protocol'
import { STEM_PROTOCOL, decodeStemFrame } from '../src/stem/index.js'
import { collectMessages, startStockPeer } from './harness.js'
import type { StockPeer } from './harness.js'

/** A stock peer subscribed to `topic` that swallows every stem frame sent to it; `gossip()` lists the ids it got through gossip. */
export async function stemHole (topic: string, gossipInit?: Parameters<typeof startStockPeer>[0]): Promise<{ hole: StockPeer, swallowed: Uint8Array[], gossip: () => string[] }> {
  const hole = await startStockPeer(gossipInit)
  const swallowed: Uint8Array[] = []
  await hole.handle(STEM_PROTOCOL, async (stream) => {
    const lp = lpStream(stream)
    for (;;) {
      try {
        swallowed.push(decodeStemFrame((await lp.read()).subarray()).envelope)
      } catch {
        return
      }
    }
  })
  const messages = collectMessages(hole, topic)
  hole.services.pubsub.subscribe(topic)
  return { hole, swallowed, gossip: () => messages.map((m) => toHex(messageId(topic, m.data))) }
}
