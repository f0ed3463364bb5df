/**
 * Issue 12, High 1 (node test): a relay that re-signs a post (same post bytes, its own one-time key,
 * fresh proof of work) and delivers its copy first cannot take over the thread's "OP" mark.
 */
import { randomBytes } from 'node:crypto'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import {
  authBinding, buildEnvelope, channelTopic, contentDigest, decodeEnvelope, encodeEnvelope, fromHex, messageId, minePow,
  oneTimeKey, postId, powDigest, signOneTime, toHex
} from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, nextPost, startNode, startStockPeer, TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS, waitFor } from './harness.js'

const CHANNEL = '#hijack'
const TOPIC = channelTopic(CHANNEL)

describe('the OP mark', () => {
  const { running } = cleanedAfterEach()

  it('a relay re-signing the root and delivering it first gets another thread, not the OP mark', async () => {
    const author = await startNode({ channels: [CHANNEL], stem: false })
    const reader = await startNode({ channels: [CHANNEL], stem: false })
    running.push(author, reader)
    // the forger sits between them and forwards nothing by itself
    // a fresh message id per publish: it passes on the genuine root it has seen already
    const forger = await startStockPeer({ msgIdFn: () => randomBytes(32) })
    running.push(forger)
    const heard: Uint8Array[] = []
    forger.services.pubsub.topicValidators.set(TOPIC, (_peer, message) => {
      heard.push(message.data)
      return TopicValidatorResult.Ignore
    })
    forger.services.pubsub.subscribe(TOPIC)
    await forger.dial(author.getMultiaddrs()[0]!)
    await forger.dial(reader.getMultiaddrs()[0]!)
    await waitFor(() => forger.services.pubsub.getSubscribers(TOPIC).length === 2, 'both nodes in the channel')

    const root = await author.post(CHANNEL, 'my thread')
    const genuine = await waitFor(() => heard[0], 'the root at the forger')

    // same post bytes, the forger's key, fresh proof of work
    const envelope = decodeEnvelope(genuine)
    const key = oneTimeKey()
    const binding = authBinding({ oneTime: { publicKey: key.publicKey } })
    const id = postId(contentDigest(TOPIC, envelope.post), binding)
    const oneTime = { publicKey: key.publicKey, signature: signOneTime(id, key.secretKey) }
    const forged = encodeEnvelope({
      post: envelope.post,
      oneTime,
      pow: await minePow(powDigest(id, { oneTime }), TEST_UNVERIFIED_POW_BITS)
    } as unknown as Parameters<typeof encodeEnvelope>[0])
    expect(toHex(id)).not.toBe(root.id)
    const forgedAtReader = nextPost(reader, (p) => p.id === toHex(id))
    await forger.services.pubsub.publish(TOPIC, forged)
    await forgedAtReader
    // then the genuine root, and a reply to it from the forger (its own key) and from the author
    const rootAtReader = nextPost(reader, (p) => p.id === root.id)
    await forger.services.pubsub.publish(TOPIC, genuine)
    await rootAtReader
    const forgedReply = await buildEnvelope({
      channel: CHANNEL, kind: 'REPLY', parent: fromHex(root.id), body: 'I am the OP', powBits: TEST_POW_BITS, auth: { kind: 'one-time', seed: key.secretKey.slice(0, 32) }
    })
    const forgedReplyAtReader = nextPost(reader, (p) => p.id === toHex(forgedReply.id))
    await forger.services.pubsub.publish(TOPIC, forgedReply.bytes)
    await forgedReplyAtReader
    const ownReply = await author.reply(root.id, 'no, I am')
    // the forger passes the author's reply on (it forwards nothing by itself)
    const replyBytes = await waitFor(() => heard.find((data) => toHex(messageId(TOPIC, data)) === ownReply.id), 'the author\'s reply at the forger')
    await forger.services.pubsub.publish(TOPIC, replyBytes)
    await waitFor(async () => (await reader.thread(root.id)).length === 3, 'both replies at the reader')

    const thread = await reader.thread(root.id)
    expect(thread[0]).toMatchObject({ id: root.id, body: 'my thread', op: true })
    expect(thread.find((p) => p.id === ownReply.id)).toMatchObject({ op: true })
    expect(thread.find((p) => p.id === toHex(forgedReply.id))).toMatchObject({ op: false })
    // the re-signed copy is a post of its own, with a thread of its own
    expect((await reader.thread(toHex(id)))[0]).toMatchObject({ body: 'my thread' })
  }, 120_000)
})
