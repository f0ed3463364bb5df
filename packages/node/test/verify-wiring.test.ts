/**
 * Issue 14 §1, wiring: envelopes from the network are verified on the node's verification pool, not on
 * its event loop; copies that arrive during a check wait for it instead of costing another; and a pool
 * that cannot take a job (overloaded, stopping) means the envelope was not judged: dropped, nobody
 * penalised.
 */
import { randomBytes } from 'node:crypto'
import { buildEnvelope, channelTopic, equalBytes } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { VerifyQueueFullError } from '../src/index.js'
import { cleanedAfterEach, nextPost, SHARED_VERIFY_POOL, startNode, startStockPeer, TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS, waitFor } from './harness.js'
import type { Murmur, VerifyPool } from '../src/index.js'
import type { StockPeer } from './harness.js'

const CHANNEL = '#pool'
const TOPIC = channelTopic(CHANNEL)

/**
 * The shared pool, with every envelope it is asked to validate recorded (and optionally held back or
 * refused), and the difficulty of every proof of work it is asked to mine (optionally refused).
 */
function watchedPool (options: { delayMs?: number, refuse?: boolean, refuseMining?: boolean } = {}): { pool: VerifyPool, asked: Uint8Array[], mined: number[] } {
  const asked: Uint8Array[] = []
  const mined: number[] = []
  const pool: VerifyPool = {
    get size () { return SHARED_VERIFY_POOL.size },
    get queued () { return SHARED_VERIFY_POOL.queued },
    validate: async (bytes, validateOptions, job) => {
      asked.push(new Uint8Array(bytes))
      if (options.refuse === true) throw new VerifyQueueFullError('test: the pool is full')
      if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      return await SHARED_VERIFY_POOL.validate(bytes, validateOptions, job)
    },
    ringVerify: async (input, job) => await SHARED_VERIFY_POOL.ringVerify(input, job),
    verifyStamp: async (stamp, stampOptions, job) => await SHARED_VERIFY_POOL.verifyStamp(stamp, stampOptions, job),
    minePow: async (digest, bits, mineOptions) => {
      mined.push(bits)
      if (options.refuseMining === true) throw new VerifyQueueFullError('test: the pool is full')
      return await SHARED_VERIFY_POOL.minePow(digest, bits, mineOptions)
    },
    mintStamp: async (mintOptions) => await SHARED_VERIFY_POOL.mintStamp(mintOptions),
    stop: async () => {}
  }
  return { pool, asked, mined }
}

/** A stock gossipsub peer in the channel of `node`, re-sending the same bytes as new messages if asked. */
async function attach (node: Murmur, running: Array<{ stop(): void | Promise<void> }>, repeat = false): Promise<StockPeer> {
  const peer = await startStockPeer(repeat ? { msgIdFn: () => randomBytes(32) } : {})
  running.push(peer)
  peer.services.pubsub.subscribe(TOPIC)
  await peer.dial(node.getMultiaddrs()[0]!)
  await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).length > 0, 'the peer to see the channel')
  return peer
}

describe('verification on the pool', () => {
  const { running } = cleanedAfterEach()

  it('a gossip post is validated on the node\'s pool, and copies arriving during the check wait for it', async () => {
    // each check held back, so that the copies below arrive while the first is still on the pool
    const { pool, asked } = watchedPool({ delayMs: 300 })
    const node = await startNode({ channels: [CHANNEL], verify: pool, stem: false, sync: false })
    running.push(node)
    const peer = await attach(node, running, true)
    const built = await buildEnvelope({ channel: CHANNEL, body: 'checked off the event loop', powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (post) => post.body === 'checked off the event loop')
    for (let copy = 0; copy < 20; copy++) await peer.services.pubsub.publish(TOPIC, built.bytes).catch(() => {})
    await arrived
    expect(asked.filter((bytes) => equalBytes(bytes, built.bytes))).toHaveLength(1)
  }, 60_000)

  it('a pool that refuses the job: the post is dropped unjudged and its sender is not penalised', async () => {
    const { pool, asked } = watchedPool({ refuse: true })
    const node = await startNode({ channels: [CHANNEL], verify: pool, stem: false, sync: false })
    running.push(node)
    const peer = await attach(node, running)
    // more than the cut-off (3 rejections) would need, each a distinct valid post
    for (let i = 0; i < 5; i++) {
      const built = await buildEnvelope({ channel: CHANNEL, body: `unjudged ${i}`, powBits: TEST_POW_BITS })
      await peer.services.pubsub.publish(TOPIC, built.bytes)
    }
    await waitFor(() => asked.length >= 5, 'the node to ask its pool about all five')
    expect(node.libp2p.getConnections(peer.peerId).length).toBeGreaterThan(0)
    expect(await node.feed(CHANNEL)).toEqual([])
  }, 60_000)

  it('an own post is mined on the node\'s pool; one the pool refuses is mined in this thread, and posted all the same', async () => {
    for (const refuseMining of [false, true]) {
      const { pool, mined } = watchedPool({ refuseMining })
      const node = await startNode({ channels: [CHANNEL], verify: pool, stem: false, sync: false })
      running.push(node)
      const { id } = await node.post(CHANNEL, `mined off the event loop, refused: ${String(refuseMining)}`)
      expect(mined, `refused: ${String(refuseMining)}`).toEqual([TEST_UNVERIFIED_POW_BITS])
      expect(await node.get(id)).toMatchObject({ id })
    }
  }, 60_000)
})
