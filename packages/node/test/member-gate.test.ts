import { buildEnvelope, channelTopic, MAX_ENVELOPE_BYTES, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT } from '../src/gossip.js'
import { cleanedAfterEach, countGossipChecks, nextPost, nodeWithStockPeers, TEST_POW_BITS, waitFor } from './harness.js'

const CHANNEL = '#gate'
const TOPIC = channelTopic(CHANNEL)

const varint = (n: number): number[] => {
  const out: number[] = []
  for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128)
  out.push(n)
  return out
}

/**
 * A canonical-looking one-time envelope of ~16 KB whose Post is `unit` repeated (RV13B: `0x1a 0x00`, an empty
 * parent, 8,000 times), the nonce `n` making each a message of its own; no proof of work.
 */
function stuffed (unit: number[], n: number): Uint8Array {
  const room = MAX_ENVELOPE_BYTES - 120
  const post = Array.from({ length: Math.floor(room / unit.length) }, () => unit).flat()
  return new Uint8Array([0x0a, ...varint(post.length), ...post, 0x12, 0x64, 0x0a, 0x20, ...new Uint8Array(32).fill(7), 0x12, 0x40, ...new Uint8Array(64).fill(9), 0x20, ...varint(n + 1)])
}

describe('a stock libp2p peer sending one RPC of 250 stuffed envelopes', () => {
  const cleanup = cleanedAfterEach()

  it('is cut off after at most CUT_OFF_COUNT + 1 checks of its batch, and the node then takes an honest post (sixth read of issue 12, RV13B High)', async () => {
    const { node, attacker, honest } = await nodeWithStockPeers(cleanup, CHANNEL, TOPIC)

    // count the node's gossip checks, and each message gossipsub hands its validator
    const checks = countGossipChecks(node)
    const pubsub = node.libp2p.services.pubsub
    const validator = pubsub.topicValidators.get(TOPIC)!
    let handed = 0
    let answered = 0
    pubsub.topicValidators.set(TOPIC, async (from, message) => {
      if (from.equals(attacker.peerId)) handed++
      try {
        return await validator(from, message)
      } finally {
        if (from.equals(attacker.peerId)) answered++
      }
    })

    const batch = Array.from({ length: 250 }, (_, i) => ({ topic: TOPIC, data: stuffed(i % 2 === 0 ? [0x1a, 0x00] : [0x7b], i) }))
    // gossipsub's own sender, private in its type: one RPC of 250 messages (about 4 MB)
    const sender = attacker.services.pubsub as unknown as { sendRpc(peer: string, rpc: { messages: typeof batch }): boolean }
    expect(sender.sendRpc(node.peerId.toString(), { messages: batch })).toBe(true)
    // a peer cut off is hung up on, and gossipsub drops what it had not read yet of the batch (the stock
    // peer may split it into several RPCs): done once it is gone and every message handed over was answered
    await waitFor(() => node.libp2p.getConnections(attacker.peerId).length === 0 && handed > 0 && answered === handed, 'the attacker hung up on and its messages answered', 60_000)
    expect(checks()).toBeLessThanOrEqual(CUT_OFF_COUNT + 1)
    expect(checks()).toBeGreaterThanOrEqual(CUT_OFF_COUNT)

    const post = await buildEnvelope({ channel: CHANNEL, body: 'after the batch', powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (p) => p.id === toHex(post.id))
    await honest.services.pubsub.publish(TOPIC, post.bytes)
    expect((await arrived).body).toBe('after the batch')
  }, 120_000)
})
