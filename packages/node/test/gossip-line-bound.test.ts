/**
 * Issue 17, the flood of valid posts: a peer's gossip messages wait their turn in its line (gossip-cutoff.ts),
 * one judged at a time, and the line had no bound: under a flood it grew for as long as the flood lasted
 * (1,300 messages per peer traced in the chaos flood), each holding its bytes. A stock gossipsub peer sends
 * the node one RPC of more messages than a line may hold while the first is being judged (held as by a
 * busy pool): only GOSSIP_PEER_WAITING of them may wait, the oldest waiting are dropped before gossipsub
 * looks at them (unseen, so another peer's copy or sync still brings them), and the post is taken.
 */
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { GOSSIP_PEER_WAITING } from '../src/gossip-cutoff.js'
import { cleanedAfterEach, joinedStock, nextPost, sendRpc, startNode, startStockPeer, TEST_POW_BITS, waitFor } from './harness.js'

const CHANNEL = '#line-bound'
const TOPIC = channelTopic(CHANNEL)
/** Messages in the RPC: more than a line may hold waiting. */
const SENT = GOSSIP_PEER_WAITING + 100
/** How long the first gossip check waits, as on a node whose verification pool is busy. */
const HELD_MS = 1_000

describe('a peer\'s gossip line under a flood', () => {
  const { running } = cleanedAfterEach()

  it('holds at most GOSSIP_PEER_WAITING messages waiting: the oldest are dropped before gossipsub sees them', async () => {
    const node = await startNode({ channels: [CHANNEL], sync: false, stem: false, membership: false })
    running.push(node)
    const peer = await startStockPeer()
    running.push(peer)
    await joinedStock(node, peer, TOPIC)
    // the messages gossipsub's handler looks at (the gate hands them over one at a time)
    const pubsub = node.libp2p.services.pubsub as unknown as { validateReceivedMessage: (...args: unknown[]) => Promise<unknown> }
    const validate = pubsub.validateReceivedMessage.bind(pubsub)
    let looked = 0
    pubsub.validateReceivedMessage = async (...args) => { looked++; return await validate(...args) }
    // the first check waits, as on a busy pool, so that the rest of the RPC lines up behind it
    const intake = (node as unknown as { intake: { verify: (...args: unknown[]) => Promise<unknown> } }).intake
    const verify = intake.verify.bind(intake)
    let first = true
    intake.verify = async (...args) => {
      if (first) {
        first = false
        await new Promise((resolve) => setTimeout(resolve, HELD_MS))
      }
      return await verify(...args)
    }
    // one valid post and copies of it: each copy is a message of its own in the line until gossipsub sees it
    const post = await buildEnvelope({ channel: CHANNEL, body: 'flooded', powBits: TEST_POW_BITS })
    const taken = nextPost(node, (view) => view.id === toHex(post.id))
    expect(sendRpc(peer, node, Array.from({ length: SENT }, () => ({ topic: TOPIC, data: post.bytes })))).toBe(true)
    await taken
    // the line drains (the held check, then the waiting copies, each a duplicate to gossipsub)
    await waitFor(async () => { const before = looked; await new Promise((resolve) => setTimeout(resolve, 300)); return looked === before && looked > 0 }, 'the line to drain')
    // the one being judged and GOSSIP_PEER_WAITING waiting; unbounded, every one of SENT
    expect(looked).toBeLessThanOrEqual(GOSSIP_PEER_WAITING + 1)
    expect(looked).toBeGreaterThan(GOSSIP_PEER_WAITING / 2)
  }, 60_000)
})
