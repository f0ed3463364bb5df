// Issue 12, High 2 of review 4, the fluffed case through a real node: an own post whose stem successor
// swallows it is published by its embargo and stored here charged to that successor's group, as a
// relayed post fluffed here would be, not to the node's own posts (which a successor flooding from a
// second address could tell apart with a sync request).
import { channelTopic, ready } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { cleanedAfterEach, startNode, waitFor } from './harness.js'
import { stemHole } from './stem-hole.js'
import type { PostStore, StoredPost } from '../src/internal.js'

const CHANNEL = '#quota-fluff'
const TOPIC = channelTopic(CHANNEL)

describe('an own post fluffed here after its successor swallowed it', () => {
  const { running, tempDir } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it('is charged to the successor\'s address group, as a relayed post is', async () => {
    const { hole, swallowed } = await stemHole(TOPIC)
    running.push(hole)
    const author = await startNode({ dataDir: await tempDir(), channels: [CHANNEL], sync: false, stem: { fluffProbability: 0, embargoMin: 1_000, embargoMean: 500 } })
    running.push(author)
    const store = (author as unknown as { store: PostStore }).store
    const puts: StoredPost[] = []
    const put = store.put.bind(store)
    store.put = async (post, now) => { puts.push(post); return put(post, now) }
    await author.libp2p.dial(hole.getMultiaddrs()[0]!)
    await waitFor(() => author.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0, 'the hole in the channel')
    const sent = await author.post(CHANNEL, 'swallowed, then fluffed by its embargo')
    expect(sent.status).toBe('sent')
    await waitFor(() => swallowed.length > 0, 'the post at the successor')
    await waitFor(() => puts.length > 0, 'the own post stored once its embargo published it', 30_000)
    // loopback: every peer's group is 127.0.0.0's; the point is that it is a peer's, not the node's own
    expect(puts[0]!.from).toBeDefined()
    expect(puts[0]!.from).toMatch(/^ip4\/127\./)
  }, 120_000)
})
