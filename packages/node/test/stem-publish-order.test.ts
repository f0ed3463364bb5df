/**
 * The stem's order when this node publishes a post or circle frame its successor handed back (sixteenth
 * read of issue 12: the order had no test of its own, the hand-off timing test saw it only through time):
 * the publish comes first, and only then is it taken in here, own or relayed alike: a relayed channel
 * post stored (`keep`) and shown, a circle frame, own or relayed, kept for sync. Taken in first, the store's
 * work held up the bytes on the wire, and a successor timing the gossip copy told own from relayed. Observed
 * directly: the node's gossipsub publish, post store, frame store and view events write one log.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import {
  CIRCLE_SHARED_TOPIC, CircleRecordType, buildEnvelope, channelTopic, deriveCircleKeys, generateCircleSecret, generateMemberKeys, messageId, sealCircleFrame, toHex
} from '@murmur/protocol'
import * as lp from 'it-length-prefixed'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, decodeStemFrame, encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { MurmurNode } from '../src/murmur.js'
import type { FrameStore } from '../src/circle/frame-store.js'
import type { PostStore } from '../src/store/index.js'

const CHANNEL = '#publish-order'
const TOPIC = channelTopic(CHANNEL)

describe('a post or circle frame the stem successor hands back to publish', () => {
  const { running } = cleanedAfterEach()

  it('is published before it is taken in: a relayed post before its store write and view, a circle frame (own or relayed) before the frame store', async () => {
    const node = await startNode({ channels: [CHANNEL], sync: false, stem: { fluffProbability: 0, successors: 1 } }) as MurmurNode
    running.push(node)
    // one log of what the node does with each item, keyed by its bytes (hex)
    const order: string[] = []
    const pubsub = node.libp2p.services.pubsub
    const publish = pubsub.publish.bind(pubsub)
    pubsub.publish = async (topic, data) => {
      order.push(`publish ${toHex(data ?? new Uint8Array(0))}`)
      return await publish(topic, data)
    }
    const internals = node as unknown as { store: PostStore, nodeCircles: { circles: { components: { frames: FrameStore } } } }
    const posts = internals.store
    const putPost = posts.put.bind(posts)
    const envelopes = new Map<string, string>()
    posts.put = async (post) => {
      envelopes.set(toHex(post.id), toHex(post.envelope))
      order.push(`take ${toHex(post.envelope)}`)
      return await putPost(post)
    }
    node.addEventListener('post', (evt) => { order.push(`view ${envelopes.get(evt.detail.id) ?? evt.detail.id}`) })
    const frames = internals.nodeCircles.circles.components.frames
    const putFrame = frames.put.bind(frames)
    frames.put = async (frame, group) => {
      order.push(`take ${toHex(frame)}`)
      return await putFrame(frame, group)
    }

    // S: V's one successor (V dials it), subscribed to both topics, keeping what V hands it in the stem
    const successor = await startStockPeer()
    const predecessor = await startStockPeer()
    running.push(successor, predecessor)
    const handed = new Map<string, { topic: string, envelope: Uint8Array }>()
    await successor.handle(STEM_PROTOCOL, async (stream) => {
      try {
        for await (const data of lp.decode(stream)) {
          const frame = decodeStemFrame(data.subarray())
          handed.set(toHex(messageId(frame.topic, frame.envelope)), frame)
        }
      } catch {
        // the node hung up: the test is over
      }
    })
    for (const topic of [TOPIC, CIRCLE_SHARED_TOPIC]) successor.services.pubsub.subscribe(topic)
    await node.libp2p.dial(multiaddr(addressOf(successor)))
    await waitFor(() => [TOPIC, CIRCLE_SHARED_TOPIC].every((topic) => pubsub.getSubscribers(topic).some((p) => p.equals(successor.peerId))), 'S on both topics')
    const handBack = lpStream(await successor.dialProtocol(multiaddr(addressOf(node)), STEM_PROTOCOL))
    // P feeds V relayed items (an inbound peer: never V's successor)
    const feed = lpStream(await predecessor.dialProtocol(multiaddr(addressOf(node)), STEM_PROTOCOL))

    /** Waits for `envelope` of `topic` at S, hands it back marked "publish", and waits until V took it in. */
    const roundTrip = async (topic: string, envelope: Uint8Array): Promise<string> => {
      const key = toHex(messageId(topic, envelope))
      const back = await waitFor(() => handed.get(key), `the item at S (${topic})`, 10_000, 10)
      await handBack.write(encodeStemFrame({ topic, envelope: back.envelope, publish: true }))
      const hex = toHex(envelope)
      await waitFor(() => order.includes(`take ${hex}`), `V to take it in (${topic})`, 10_000, 10)
      return hex
    }

    const post = await buildEnvelope({ channel: CHANNEL, body: 'relayed', powBits: TEST_POW_BITS })
    await feed.write(encodeStemFrame({ topic: TOPIC, envelope: post.bytes }))
    const relayedPost = await roundTrip(TOPIC, post.bytes)
    await waitFor(() => order.includes(`view ${relayedPost}`), 'the relayed post shown', 10_000, 10)

    // a relayed post handed back while no member of its channel is reachable from V: queued in V's outbox,
    // and stored only once it leaves, as an own post is (stored while queued, a sync peer saw it listed where
    // an own post was not: seventeenth read of issue 12, Medium 1)
    const direct = (node as unknown as { direct: { queued: number } }).direct
    successor.services.pubsub.unsubscribe(TOPIC)
    await waitFor(() => !pubsub.getSubscribers(TOPIC).some((p) => p.equals(successor.peerId)), 'S off the channel')
    const queuedPost = await buildEnvelope({ channel: CHANNEL, body: 'relayed while nobody listens', powBits: TEST_POW_BITS })
    const queuedKey = toHex(messageId(TOPIC, queuedPost.bytes))
    await feed.write(encodeStemFrame({ topic: TOPIC, envelope: queuedPost.bytes }))
    const held = await waitFor(() => handed.get(queuedKey), 'the queued post at S', 10_000, 10)
    await handBack.write(encodeStemFrame({ topic: TOPIC, envelope: held.envelope, publish: true }))
    await waitFor(() => direct.queued === 1, 'the post queued in V\'s outbox', 10_000, 10)
    const queued = toHex(queuedPost.bytes)
    expect(order.filter((line) => line.endsWith(` ${queued}`)), 'nothing stored while queued').toEqual([])
    expect(await node.get(queuedKey), 'not in the store while queued').toBeUndefined()
    successor.services.pubsub.subscribe(TOPIC)
    await waitFor(() => order.includes(`view ${queued}`), 'the queued post published and shown', 10_000, 10)

    // a frame of a circle V is not in (a relay carries it unread)
    const strangers = deriveCircleKeys(generateCircleSecret(), 0, generateMemberKeys().ring.publicKey)
    const frame = await sealCircleFrame(strangers, CircleRecordType.JOIN, crypto.getRandomValues(new Uint8Array(64)))
    await feed.write(encodeStemFrame({ topic: CIRCLE_SHARED_TOPIC, envelope: frame }))
    const relayedFrame = await roundTrip(CIRCLE_SHARED_TOPIC, frame)

    // V's own frame: the JOIN of a circle it makes, sent into the stem
    const before = new Set(handed.keys())
    await node.circles.create('mine')
    const own = await waitFor(() => [...handed.entries()].find(([key, item]) => !before.has(key) && item.topic === CIRCLE_SHARED_TOPIC)?.[1], 'V\'s own JOIN at S', 10_000, 10)
    const ownFrame = await roundTrip(CIRCLE_SHARED_TOPIC, own.envelope)

    for (const [what, hex, after] of [['relayed post', relayedPost, ['take', 'view']], ['relayed post, queued first', queued, ['take', 'view']], ['relayed frame', relayedFrame, ['take']], ['own frame', ownFrame, ['take']]] as const) {
      const steps = order.filter((line) => line.endsWith(` ${hex}`)).map((line) => line.slice(0, line.indexOf(' ')))
      // once each, and the publish first (taken in first, it was stored before its bytes left)
      expect(steps, what).toEqual(['publish', ...after])
    }
  }, 30_000)
})
