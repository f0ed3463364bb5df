/**
 * Refusals that cost the sender nothing (expired, too early, a stale epoch: refused before the proof of
 * work) are Ignored, as an honest forwarder with a clock off can send them, but only up to a budget per
 * peer. Seventh read of issue 12, RV14A H1: a stock peer sent 60,000 expired envelopes (built once, 8 body
 * bytes changed per copy, no proof of work), each 0.22 ms of the victim's main thread, and stayed
 * connected with its score intact.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildEnvelope, channelTopic, ready } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT, InvalidMessageTracker, UNPAID_IGNORES, createTopicValidator } from '../src/gossip.js'
import { cleanedAfterEach, countGossipChecks, nextPost, nodeWithStockPeers, TEST_POW_BITS, waitFor } from './harness.js'
import { expiredEnvelopes } from './unpaid-fixtures.js'

const CHANNEL = '#unpaid'
const TOPIC = channelTopic(CHANNEL)

describe('free refusals from one peer', () => {
  it('are Ignored up to UNPAID_IGNORES, then each counts as a rejection until the peer is cut off', async () => {
    await ready()
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const tracker = new InvalidMessageTracker()
    const validate = createTopicValidator({
      validate: () => ({ ok: false, code: 'ERR_EXPIRED', reason: 'expired' }),
      tracker,
      accept: async () => 'stored',
      log: logger('murmur:test')
    })
    const answers: TopicValidatorResult[] = []
    for (let i = 0; i < UNPAID_IGNORES + CUT_OFF_COUNT + 1; i++) answers.push(await validate(peer, { type: 'unsigned', topic: TOPIC, data: new Uint8Array([i]) }))
    expect(answers.slice(0, UNPAID_IGNORES)).toEqual(Array(UNPAID_IGNORES).fill(TopicValidatorResult.Ignore))
    expect(answers.slice(UNPAID_IGNORES)).toEqual(Array(CUT_OFF_COUNT + 1).fill(TopicValidatorResult.Reject))
    expect(tracker.isCutOff(peer.toString())).toBe(true)
  })
})

describe('a stock libp2p peer sending 2,000 expired envelopes', () => {
  const cleanup = cleanedAfterEach()

  it('gets at most UNPAID_IGNORES + CUT_OFF_COUNT + 1 of them checked, is hung up on, and the node then takes an honest post', async () => {
    const { node, attacker, honest } = await nodeWithStockPeers(cleanup, CHANNEL, TOPIC)
    const checks = countGossipChecks(node)

    const sender = attacker.services.pubsub as unknown as { sendRpc(peer: string, rpc: { messages: Array<{ topic: string, data: Uint8Array }> }): boolean }
    // four RPCs of 500 (each batch built on its own one-time key: 2,000 distinct messages)
    for (let batch = 0; batch < 4; batch++) {
      sender.sendRpc(node.peerId.toString(), { messages: (await expiredEnvelopes(CHANNEL, 500)).map((data) => ({ topic: TOPIC, data })) })
    }
    await waitFor(() => node.libp2p.getConnections(attacker.peerId).length === 0, 'the attacker cut off and hung up on', 60_000)
    // one more than the budget and the cut-off: the count decays a little between rejections
    expect(checks()).toBeLessThanOrEqual(UNPAID_IGNORES + CUT_OFF_COUNT + 2)

    const post = await buildEnvelope({ channel: CHANNEL, body: 'after the flood', powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (p) => p.body === 'after the flood')
    await honest.services.pubsub.publish(TOPIC, post.bytes)
    expect((await arrived).body).toBe('after the flood')
  }, 120_000)
})
