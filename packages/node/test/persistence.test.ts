import { CREATED_GRANULARITY, buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { nextPost, startNode, startStockPeer, TEST_POW_BITS, waitFor, cleanedAfterEach } from './harness.js'

const CHANNEL = '#diary'
const TOPIC = channelTopic(CHANNEL)

describe('persistence', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a node with dataDir keeps its posts across restarts; expired posts disappear', async () => {
    const dataDir = await tempDir()
    const node = await startNode({ dataDir, channels: [CHANNEL] })
    running.push(node)
    const kept = await node.post(CHANNEL, 'still here tomorrow')
    expect(kept).toMatchObject({ status: 'queued', reason: 'no-connections' })

    // a peer delivers a post of an hour ago (created is a multiple of 60) that expires 5 s from now
    const peer = await startStockPeer()
    running.push(peer)
    await peer.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).length > 0, 'peer sees the channel')
    const now = Math.floor(Date.now() / 1000)
    const created = now - (now % CREATED_GRANULARITY) - 3600
    const ttl = now + 5 - created
    const shortLived = await buildEnvelope({ channel: CHANNEL, body: 'gone soon', created, ttl, powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (p) => p.id === toHex(shortLived.id))
    await peer.services.pubsub.publish(TOPIC, shortLived.bytes)
    expect((await arrived).expires).toBe(created + ttl)
    expect((await node.feed(CHANNEL)).map((p) => p.body).sort()).toEqual(['gone soon', 'still here tomorrow'])
    await node.stop()

    await waitFor(() => Math.floor(Date.now() / 1000) > created + ttl, 'the short-lived post to expire', 15_000, 250)
    const restarted = await startNode({ dataDir })
    running.push(restarted)
    expect(restarted.peerId.equals(node.peerId)).toBe(false)
    expect((await restarted.feed(CHANNEL)).map((p) => p.body)).toEqual(['still here tomorrow'])
    expect(await restarted.get(kept.id)).toMatchObject({ body: 'still here tomorrow', op: true })
    expect(await restarted.get(toHex(shortLived.id))).toBeUndefined()
  })

})
