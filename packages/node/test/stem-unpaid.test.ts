/**
 * Free refusals on the stem and history sync count against the same per-peer budget as on gossip
 * (UNPAID_IGNORES, then each is a rejection). Eighth read of issue 12: the stem's verdict carried no code,
 * so a stock peer that opened `/murmur/stem` and sent expired envelopes (no proof of work, refused before
 * any is looked at) was Ignored for every one of them, never penalised, never hung up on.
 */
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT, InvalidMessageTracker, UNPAID_IGNORES } from '../src/gossip.js'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { STEM_PROTOCOL, encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, cleanedAfterEach, nextPost, nodeWithStockPeers } from './harness.js'
import { expiredEnvelopes } from './unpaid-fixtures.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#stem-unpaid'
const TOPIC = channelTopic(CHANNEL)
const FRAMES = 2_000

/** Counts the stem posts of `topic` the node's intake judges from now on. */
function countStemJudgements (node: Murmur): () => number {
  const intake = (node as unknown as { intake: { judge: (...args: unknown[]) => Promise<unknown> } }).intake
  const judge = intake.judge.bind(intake)
  let judged = 0
  intake.judge = async (...args) => {
    if (args[0] === TOPIC) judged++
    return await judge(...args)
  }
  return () => judged
}

describe('a stock libp2p peer sending expired envelopes over the stem', () => {
  const cleanup = cleanedAfterEach()

  it(`gets at most UNPAID_IGNORES + CUT_OFF_COUNT + 2 of ${FRAMES} judged, is hung up on, and the node then takes an honest post`, async () => {
    const { node, attacker, honest } = await nodeWithStockPeers(cleanup, CHANNEL, TOPIC)
    const judged = countStemJudgements(node)
    const frames = (await expiredEnvelopes(CHANNEL, FRAMES)).map((envelope) => encodeStemFrame({ topic: TOPIC, envelope }))
    const connected = (): boolean => node.libp2p.getConnections(attacker.peerId).length > 0

    // frames on one stream until the node closes it, then on a new one, until it has read FRAMES or hangs up
    // (frames written into a stream the node already closed are lost: the next stream sends them again)
    const deadline = Date.now() + 60_000
    let sent = 0
    while (connected() && judged() < FRAMES && Date.now() < deadline) {
      try {
        const raw = await attacker.dialProtocol(node.peerId, STEM_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        const stream = lpStream(raw)
        while (raw.status === 'open' && judged() < FRAMES) {
          await stream.write(frames[sent++ % FRAMES]!)
        }
      } catch {
        // the node aborted the stream (or hung up): the loop condition decides
      }
    }
    expect(connected()).toBe(false)
    // one more than the budget and the cut-off: the counts decay a little between frames
    expect(judged()).toBeLessThanOrEqual(UNPAID_IGNORES + CUT_OFF_COUNT + 2)

    const post = await buildEnvelope({ channel: CHANNEL, body: 'after the stem flood', powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (p) => p.body === 'after the stem flood')
    await honest.services.pubsub.publish(TOPIC, post.bytes)
    expect((await arrived).body).toBe('after the stem flood')
  }, 120_000)
})

describe('free refusals on the stem and history sync, judged by the intake', () => {
  it('are Ignored up to UNPAID_IGNORES per peer on both paths together, then Rejected; another peer keeps its budget', async () => {
    const tracker = new InvalidMessageTracker()
    const store = createPostStore({ db: await openDatabase(undefined) })
    const intake = new PostIntake({
      store,
      powBits: { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS },
      announce: () => {},
      refusal: (peer, code) => tracker.refusal(peer, code)
    })
    const envelopes = await expiredEnvelopes(CHANNEL, UNPAID_IGNORES + 2)
    const verdicts: string[] = []
    for (const [i, envelope] of envelopes.entries()) {
      // the stem and history sync take turns: one budget per peer, whichever path
      verdicts.push(i % 2 === 0 ? await intake.judge(TOPIC, envelope, 'ip4/192.0.2.1', 'flooder') : await intake.ingest(TOPIC, envelope, 'ip4/192.0.2.1', 'flooder'))
    }
    expect(verdicts).toEqual([...Array(UNPAID_IGNORES).fill('ignore'), 'reject', 'reject'])
    expect(await intake.judge(TOPIC, envelopes[0]!, 'ip4/192.0.2.2', 'other')).toBe('ignore')
    await store.close()
  })
})
