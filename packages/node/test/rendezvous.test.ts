import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { topicCid } from '../src/index.js'
import { addressOf, nextPost, startNode, waitFor, cleanedAfterEach } from './harness.js'

const CHANNEL = '#meet'
const TOPIC = channelTopic(CHANNEL)

describe('DHT topic rendezvous', () => {
  const { running } = cleanedAfterEach()

  it('derives a stable raw CID from the topic', async () => {
    const cid = await topicCid(TOPIC)
    expect(cid.version).toBe(1)
    expect(cid.code).toBe(0x55)
    expect((await topicCid(TOPIC)).equals(cid)).toBe(true)
    expect((await topicCid(channelTopic('#other'))).equals(cid)).toBe(false)
  })

  it('members that only share a bootstrap node find each other and keep talking after it stops', async () => {
    // the bootstrap node is not in the channel, so it never relays the channel's posts
    const bootstrapNode = await startNode()
    running.push(bootstrapNode)
    const a = await startNode({ channels: [CHANNEL], bootstrap: [addressOf(bootstrapNode)] })
    const b = await startNode({ channels: [CHANNEL], bootstrap: [addressOf(bootstrapNode)] })
    running.push(a, b)

    // the bootstrap node's DHT holds both as providers of the topic...
    const cid = await topicCid(TOPIC)
    await waitFor(async () => {
      const found = new Set<string>()
      for await (const event of bootstrapNode.libp2p.services.dht.findProviders(cid, { signal: AbortSignal.timeout(5_000) })) {
        if (event.name === 'PROVIDER') event.providers.forEach((p) => found.add(p.id.toString()))
      }
      return found.has(a.peerId.toString()) && found.has(b.peerId.toString())
    }, 'both members provide the topic', 30_000, 500)
    // ...and they meet: each sees the other subscribed over a direct connection
    await waitFor(() => a.libp2p.getConnections(b.peerId).length > 0 &&
      a.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(b.peerId)) &&
      b.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(a.peerId)), 'a and b connected in the channel', 30_000)

    await bootstrapNode.stop()
    await waitFor(() => a.libp2p.getConnections(bootstrapNode.peerId).length === 0, 'bootstrap gone')

    // with the bootstrap node gone, only the rendezvous records lead a and b back to each other
    await a.libp2p.hangUp(b.peerId)
    await waitFor(() => a.libp2p.getConnections(b.peerId).length > 0 &&
      a.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(b.peerId)) &&
      b.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(a.peerId)), 'a and b reconnected through the rendezvous', 30_000)

    const toB = nextPost(b, (p) => p.body === 'after the bootstrap left')
    expect(await a.post(CHANNEL, 'after the bootstrap left')).toMatchObject({ status: 'sent' })
    await toB
    const toA = nextPost(a, (p) => p.body === 'still here')
    expect(await b.post(CHANNEL, 'still here')).toMatchObject({ status: 'sent' })
    await toA
  })
})
