/**
 * Issue 14, verification priority on a real node: the intake passes the path an envelope came on to the
 * pool (priorityOfPath), so a stem frame's check asks for priority 'high' and a gossip copy for 'normal'.
 */
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, equalBytes } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { encodeStemFrame, STEM_PROTOCOL } from '../src/stem/index.js'
import { SHARED_VERIFY_POOL, TEST_POW_BITS, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { VerifyJobOptions, VerifyPool } from '../src/index.js'

const CHANNEL = '#priority-wiring'
const TOPIC = channelTopic(CHANNEL)

/** The shared pool, recording the priority each validation asked for. */
function recordingPool (): { pool: VerifyPool, asked: Array<{ bytes: Uint8Array, priority: VerifyJobOptions['priority'] }> } {
  const asked: Array<{ bytes: Uint8Array, priority: VerifyJobOptions['priority'] }> = []
  const pool: VerifyPool = {
    get size () { return SHARED_VERIFY_POOL.size },
    get queued () { return SHARED_VERIFY_POOL.queued },
    validate: async (bytes, options, job) => {
      asked.push({ bytes: new Uint8Array(bytes), priority: job?.priority })
      return await SHARED_VERIFY_POOL.validate(bytes, options, job)
    },
    ringVerify: async (input, job) => await SHARED_VERIFY_POOL.ringVerify(input, job),
    verifyStamp: async (stamp, options, job) => await SHARED_VERIFY_POOL.verifyStamp(stamp, options, job),
    minePow: async (digest, bits, options) => await SHARED_VERIFY_POOL.minePow(digest, bits, options),
    mintStamp: async (options) => await SHARED_VERIFY_POOL.mintStamp(options),
    stop: async () => {}
  }
  return { pool, asked }
}

describe('verification priority by path', () => {
  const { running } = cleanedAfterEach()

  it('a stem frame is checked at priority high, a gossip post at normal', async () => {
    const { pool, asked } = recordingPool()
    const node = await startNode({ channels: [CHANNEL], verify: pool, sync: false })
    running.push(node)
    const peer = await startStockPeer()
    running.push(peer)
    peer.services.pubsub.subscribe(TOPIC)
    await peer.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).length > 0, 'the peer to see the channel')

    const gossip = (await buildEnvelope({ channel: CHANNEL, body: 'by gossip', powBits: TEST_POW_BITS })).bytes
    await peer.services.pubsub.publish(TOPIC, gossip)
    const stem = (await buildEnvelope({ channel: CHANNEL, body: 'by the stem', powBits: TEST_POW_BITS })).bytes
    const stream = await peer.dialProtocol(node.getMultiaddrs()[0]!, STEM_PROTOCOL)
    await lpStream(stream).write(encodeStemFrame({ topic: TOPIC, envelope: stem }))

    const jobOf = (bytes: Uint8Array): { priority: VerifyJobOptions['priority'] } | undefined => asked.find((job) => equalBytes(job.bytes, bytes))
    await waitFor(() => jobOf(gossip) !== undefined && jobOf(stem) !== undefined, 'the node to check both posts on its pool')
    expect(jobOf(gossip)!.priority).toBe('normal')
    expect(jobOf(stem)!.priority).toBe('high')
  }, 60_000)
})
