/**
 * Issue 13 on a real node with history sync off: a member's ring-signed vote and post that arrive by gossip
 * (from a stock libp2p peer) before the last of their ring's stamps are taken as soon as that stamp arrives
 * on the directory topic — no sync round brings them — and the vote counts.
 */
import { DIRECTORY_TOPIC, buildEnvelope, channelTopic, compareBytes, encodeStamp, generateAuthorKey, ringSlots, toHex, weekOf } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { SHARED_VERIFY_POOL, startNode, startStockPeer, stopAll, TEST_POW_BITS, TEST_STAMP_BITS, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur, VerifyPool } from '../src/index.js'
import type { BuiltEnvelope, Stamp } from '@murmur/protocol'

const CHANNEL = '#awaiting-stamps'
const TOPIC = channelTopic(CHANNEL)
/** Ring members: a full ring, the last one's stamp sent after the vote and post. */
const RING = 16

/** The shared pool, counting the envelopes it finished validating. */
function countingPool (): { pool: VerifyPool, validated: () => number } {
  let validated = 0
  const pool: VerifyPool = {
    get size () { return SHARED_VERIFY_POOL.size },
    get queued () { return SHARED_VERIFY_POOL.queued },
    validate: async (bytes, options, job) => {
      try {
        return await SHARED_VERIFY_POOL.validate(bytes, options, job)
      } finally {
        validated++
      }
    },
    ringVerify: async (input, job) => await SHARED_VERIFY_POOL.ringVerify(input, job),
    verifyStamp: async (stamp, options, job) => await SHARED_VERIFY_POOL.verifyStamp(stamp, options, job),
    minePow: async (digest, bits, options) => await SHARED_VERIFY_POOL.minePow(digest, bits, options),
    mintStamp: async (options) => await SHARED_VERIFY_POOL.mintStamp(options),
    stop: async () => {}
  }
  return { pool, validated: () => validated }
}

describe('a ring vote and post that arrive before their stamps', () => {
  const running: Array<Murmur | StockPeer> = []
  afterEach(async () => { await stopAll(running.splice(0)) })

  it('are taken when the last stamp arrives by gossip, with history sync off', async () => {
    const counting = countingPool()
    const node = await startNode({ channels: [CHANNEL], sync: false, verify: counting.pool })
    running.push(node)
    const stock = await startStockPeer()
    running.push(stock)
    for (const topic of [DIRECTORY_TOPIC, TOPIC]) stock.services.pubsub.subscribe(topic)
    await stock.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => [DIRECTORY_TOPIC, TOPIC].every((topic) => stock.services.pubsub.getSubscribers(topic).length === 1), 'the stock peer to see the node in both topics')

    const publish = async (topic: string, bytes: Uint8Array): Promise<void> => { await stock.services.pubsub.publish(topic, bytes) }
    const root = await buildEnvelope({ channel: CHANNEL, body: 'vote on me', powBits: TEST_POW_BITS })
    await publish(TOPIC, root.bytes)
    await waitFor(async () => await node.get(toHex(root.id)), 'the root on the node')

    const week = weekOf(Math.floor(Date.now() / 1000))
    const keys = Array.from({ length: RING }, () => generateAuthorKey())
    const stamps: Stamp[] = await Promise.all(keys.map(async (key) => await SHARED_VERIFY_POOL.mintStamp({ memberKey: key.publicKey, week, bits: TEST_STAMP_BITS })))
    // all but the last member's stamp, one at a time (within the directory's evaluation limits)
    for (const [i, stamp] of stamps.slice(0, -1).entries()) {
      await publish(DIRECTORY_TOPIC, encodeStamp(stamp))
      await waitFor(() => node.membership()?.members === i + 1, `the node's directory to hold ${i + 1} stamps`)
    }
    const ring = keys.map((key) => key.publicKey).sort(compareBytes)
    const now = Math.floor(Date.now() / 1000)
    const created = now - (now % 60) - 60
    const vote = await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: root.id, vote: 1, created, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: 0 } })
    const post = await buildEnvelope({
      channel: CHANNEL,
      body: 'a member\'s post',
      created,
      powBits: TEST_POW_BITS,
      auth: { kind: 'ring', ring, secretKey: keys[1]!.secretKey, ...ringSlots(keys[1]!.secretKey, TOPIC, BigInt(created), { epoch: 0, week: 0 }) }
    })
    const validated = counting.validated()
    for (const built of [vote, post]) await publish(TOPIC, built.bytes)
    // both judged by the node (valid, refused for the missing member) before the last stamp goes out
    await waitFor(() => counting.validated() >= validated + 2, 'the node to validate the vote and the post')
    const held = async (built: BuiltEnvelope): Promise<boolean> => (await node.get(toHex(built.id))) !== undefined
    expect(await held(vote)).toBe(false)
    expect(await held(post)).toBe(false)

    await publish(DIRECTORY_TOPIC, encodeStamp(stamps.at(-1)!))
    await waitFor(async () => await held(vote) && await held(post), 'the vote and the post taken once the last stamp arrived')
    expect((await node.get(toHex(root.id)))?.score).toBe(1)
    expect(node.membership()?.members).toBe(RING)
  }, 180_000)
})
