import { buildEnvelope, channelTopic, checkPow, decodeEnvelope, encodeEnvelope, messageId, powDigest, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, nextPost, startNode, startStockPeer, TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS, waitFor } from './harness.js'

const CHANNEL = '#front-run'
const TOPIC = channelTopic(CHANNEL)

/**
 * A copy of a genuine envelope with one byte of its signature flipped and its proof of work mined again
 * over the broken signature: same post id, the proof of work holds, the signature does not.
 */
function brokenCopy (bytes: Uint8Array, id: Uint8Array): Uint8Array {
  const envelope = decodeEnvelope(bytes)
  const signature = Uint8Array.from(envelope.oneTime!.signature)
  signature[10] = signature[10]! ^ 0x01
  const broken = { ...envelope, oneTime: { publicKey: envelope.oneTime!.publicKey, signature } }
  let nonce = 0n
  while (!checkPow(powDigest(id, broken), nonce, TEST_UNVERIFIED_POW_BITS)) nonce++
  return encodeEnvelope({ ...broken, pow: nonce })
}

describe('a relay that front-runs a post with a broken copy', () => {
  const cleanup = cleanedAfterEach()

  it('does not keep the genuine post from the node (gossip keys messages on the whole envelope)', async () => {
    const node = await startNode({ channels: [CHANNEL] })
    cleanup.running.push(node)
    // a stock gossipsub peer: it keys messages on its own hash of the bytes, so it sends both copies
    const relay = await startStockPeer()
    cleanup.running.push(relay)
    relay.services.pubsub.subscribe(TOPIC)
    await relay.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => relay.services.pubsub.getSubscribers(TOPIC).length > 0, 'the relay sees the channel')
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(TOPIC).some((peer) => peer.equals(relay.peerId)), 'the node sees the relay in the channel')

    const genuine = await buildEnvelope({ channel: CHANNEL, body: 'the genuine post', powBits: TEST_POW_BITS })
    const broken = brokenCopy(genuine.bytes, genuine.id)
    expect(toHex(messageId(TOPIC, broken))).toBe(toHex(genuine.id))

    // the broken copy first: the node refuses it (and remembers its message id as seen)
    await relay.services.pubsub.publish(TOPIC, broken)
    // then the genuine one, the same post id: before v2 the node dropped it unread as a duplicate
    const arrived = nextPost(node, (post) => post.id === toHex(genuine.id), 20_000)
    await relay.services.pubsub.publish(TOPIC, genuine.bytes)
    const post = await arrived
    expect(post.body).toBe('the genuine post')
    expect((await node.feed(CHANNEL)).map((p) => p.id)).toEqual([toHex(genuine.id)])
  })
})
