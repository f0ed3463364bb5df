/**
 * Issue 12, High 2 (timing): V's stem successor S sends a post it got from V back to V by gossip, and a
 * sybil W in V's mesh times how long V takes to forward it. V's own post used to be in its store
 * already, so the first copy back was a look-up ('duplicate', answered as new); a post V only passed on
 * in the stem was a real store write and a view built first: own ~70 µs, relayed ~530 µs to the verdict,
 * a threshold told them apart with advantage 0.98. Own posts are now kept out of the store until they
 * come back, so both kinds take the same path. This compares the two time-to-verdict distributions of a
 * real node (its PostIntake behind its gossip validator, its store on disk), own posts made by `post()`
 * and relayed ones sent in by a stock peer over the stem, with generous bounds (many interleaved
 * samples, medians against the spread) so that a loaded machine does not make it flaky.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { buildEnvelope, channelTopic, messageId, ready, toHex } from '@murmur/protocol'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import * as lp from 'it-length-prefixed'
import { beforeAll, describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, decodeStemFrame, encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import { advantage, quantile, timingReport } from './timing-advantage.js'
import type { StockPeer } from './harness.js'
import type { MurmurNode } from '../src/murmur.js'
import type { Message } from '@libp2p/gossipsub'

const CHANNEL = '#timing'
const TOPIC = channelTopic(CHANNEL)
/** Posts of each kind. */
const SAMPLES = 150

/** A stock peer in the channel that takes stem frames and keeps what it got, by id. */
async function successor (frames: Map<string, Uint8Array>): Promise<StockPeer> {
  const peer = await startStockPeer()
  await peer.handle(STEM_PROTOCOL, async (stream) => {
    try {
      for await (const data of lp.decode(stream)) {
        const frame = decodeStemFrame(data.subarray())
        frames.set(toHex(messageId(frame.topic, frame.envelope)), frame.envelope)
      }
    } catch {
      // the node hung up: the test is over
    }
  })
  peer.services.pubsub.subscribe(TOPIC)
  return peer
}

describe('time to the gossip verdict for a post sent back to its author', () => {
  const { running, tempDir } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it(`is the same for an own post and a post only relayed in the stem (${SAMPLES} of each)`, async () => {
    const node = await startNode({ dataDir: await tempDir(), channels: [CHANNEL], sync: false, stem: { fluffProbability: 0 } }) as MurmurNode
    running.push(node)
    // a UI listens, as in the CLI daemon: new posts get their view built
    let announced = 0
    node.addEventListener('post', () => { announced++ })
    const frames = new Map<string, Uint8Array>()
    const s1 = await successor(frames)
    const s2 = await successor(frames)
    running.push(s1, s2)
    await node.libp2p.dial(multiaddr(addressOf(s1)))
    await node.libp2p.dial(multiaddr(addressOf(s2)))
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(TOPIC).length === 2, 'both successors in the channel')
    const validator = node.libp2p.services.pubsub.topicValidators.get(TOPIC)!
    const stem = lpStream(await s1.dialProtocol(multiaddr(addressOf(node)), STEM_PROTOCOL))

    const own: number[] = []
    const relayed: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      for (const kind of ['own', 'relayed'] as const) {
        let bytes: Uint8Array
        let id: string
        if (kind === 'own') {
          const posted = await node.post(CHANNEL, `own ${i}`)
          id = posted.id
          await waitFor(() => frames.has(id), 'the own post at a successor', 30_000, 2)
          bytes = frames.get(id)!
        } else {
          const built = await buildEnvelope({ channel: CHANNEL, body: `relayed ${i}`, powBits: TEST_POW_BITS })
          id = toHex(built.id)
          bytes = built.bytes
          await stem.write(encodeStemFrame({ topic: TOPIC, envelope: bytes }))
          await waitFor(() => frames.has(id), 'the relayed post at a successor', 30_000, 2)
        }
        // the successor sends it back by gossip: the time to V's verdict is what W sees of V's forward
        const message: Message = { type: 'unsigned', topic: TOPIC, data: bytes }
        const start = process.hrtime.bigint()
        const verdict = await validator(s1.peerId, message)
        const micros = Number(process.hrtime.bigint() - start) / 1000
        expect(verdict).toBe(TopicValidatorResult.Accept)
        ;(kind === 'own' ? own : relayed).push(micros)
      }
    }
    // the own posts were announced when made, the relayed ones when they came by gossip (a turn after the verdict)
    await waitFor(() => announced === 2 * SAMPLES, 'every post announced once', 30_000, 5)
    expect(announced).toBe(2 * SAMPLES)

    own.sort((a, b) => a - b)
    relayed.sort((a, b) => a - b)
    const spread = Math.max(quantile(own, 0.75) - quantile(own, 0.25), quantile(relayed, 0.75) - quantile(relayed, 0.25))
    const gap = Math.abs(quantile(own, 0.5) - quantile(relayed, 0.5))
    const report = timingReport(own, relayed)
    expect(gap, report).toBeLessThan(spread)
    expect(advantage(own, relayed), report).toBeLessThan(0.4)
  }, 300_000)
})
