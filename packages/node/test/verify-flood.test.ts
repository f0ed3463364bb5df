/**
 * Review 5, High (issue 12 High 4 / issue 14 §1): a free flood must not fill the verification pool's
 * queue. A stock gossipsub peer sends thousands of distinct, well-formed envelopes that are expired or too
 * early and carry no proof of work: they cost their sender nothing, and the validator refuses them before
 * any curve operation. Such envelopes must never take a worker's turn (precheckEnvelope runs on the main
 * thread first), so honest posts sent meanwhile are all verified and stored. And a pool refusal during
 * history sync is no reason to abort the session: the post is deferred, the rest goes on.
 */
import { logger } from '@libp2p/logger'
import { buildEnvelope, channelTopic, decodeEnvelope, equalBytes, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { VerifyQueueFullError } from '../src/index.js'
import { HistorySync } from '../src/internal.js'
import { reachable } from '../src/outbound.js'
import { SHARED_VERIFY_POOL, TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { VerifyPool } from '../src/index.js'
import type { SyncHost } from '../src/internal.js'

const CHANNEL = '#flood'
const TOPIC = channelTopic(CHANNEL)
const DAY = 86_400
/** Junk envelopes of each kind (expired, too early): more than the default queue bound (2,048) in all. */
const JUNK = 1500
const HONEST = 10

/**
 * `count` distinct junk envelopes with `created` at `created`, no proof of work: one built, the rest
 * copies with random signature bytes (still canonical and well formed; the signature is never reached).
 */
async function junk (created: number, count: number): Promise<Uint8Array[]> {
  const { bytes } = await buildEnvelope({ channel: CHANNEL, body: `junk ${created}`, powBits: 0, created })
  const signature = decodeEnvelope(bytes).oneTime!.signature
  const at = Buffer.from(bytes).indexOf(Buffer.from(signature))
  expect(at).toBeGreaterThan(0)
  return Array.from({ length: count }, () => {
    const copy = new Uint8Array(bytes)
    copy.set(crypto.getRandomValues(new Uint8Array(signature.byteLength)), at)
    return copy
  })
}

/** The shared pool, with every envelope it is asked to validate recorded; `refuse` says which to refuse as overloaded. */
function countingPool (refuse: (bytes: Uint8Array) => boolean = () => false): { pool: VerifyPool, asked: Uint8Array[] } {
  const asked: Uint8Array[] = []
  const pool: VerifyPool = {
    get size () { return SHARED_VERIFY_POOL.size },
    get queued () { return SHARED_VERIFY_POOL.queued },
    validate: async (bytes, options, job) => {
      asked.push(new Uint8Array(bytes))
      if (refuse(bytes)) throw new VerifyQueueFullError('test: the verification queue is full')
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

describe('a free flood and the verification pool', () => {
  const { running } = cleanedAfterEach()

  it('expired and too-early junk without proof of work never reaches the pool; every honest post sent during the flood is stored', async () => {
    const { pool, asked } = countingPool()
    const node = await startNode({ channels: [CHANNEL], verify: pool, stem: false, sync: false })
    running.push(node)
    const honest = await startStockPeer()
    const attacker = await startStockPeer()
    running.push(honest, attacker)
    for (const peer of [honest, attacker]) {
      peer.services.pubsub.subscribe(TOPIC)
      await peer.dial(node.getMultiaddrs()[0]!)
    }
    await waitFor(() => [honest, attacker].every((peer) => node.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(peer.peerId))), 'the node sees both peers in the channel')

    const now = Math.floor(Date.now() / 1000)
    const flood = [...await junk(now - 30 * DAY, JUNK), ...await junk(now + 30 * DAY, JUNK)]
    const posts = await Promise.all(Array.from({ length: HONEST }, async (_, i) => await buildEnvelope({ channel: CHANNEL, body: `honest ${i}`, powBits: TEST_POW_BITS })))
    const stored = new Set<string>()
    node.addEventListener('post', (evt) => { if (evt.detail.body.startsWith('honest ')) stored.add(evt.detail.body) })

    // the flood and the honest posts interleaved, the flood first
    const step = Math.ceil(flood.length / HONEST)
    for (let i = 0; i < HONEST; i++) {
      for (const bytes of flood.slice(i * step, (i + 1) * step)) attacker.services.pubsub.publish(TOPIC, bytes).catch(() => {})
      await honest.services.pubsub.publish(TOPIC, posts[i]!.bytes)
    }
    await waitFor(() => stored.size === HONEST, 'every honest post stored', 60_000)

    const ids = new Set(posts.map((post) => toHex(messageId(TOPIC, post.bytes))))
    const junkAsked = asked.filter((bytes) => !ids.has(toHex(messageId(TOPIC, bytes))))
    expect(junkAsked.length).toBe(0)
    expect(stored.size).toBe(HONEST)
    const feed = await node.feed(CHANNEL, { limit: 100 })
    expect(feed.filter((post) => post.body.startsWith('honest ')).length).toBe(HONEST)
  }, 120_000)

  it('a pool refusal during history sync defers that post; the session goes on and stores the rest', async () => {
    const author = await startNode({ channels: [CHANNEL], stem: false })
    running.push(author)
    const reader = await startStockPeer()
    running.push(reader)
    let refusals = 0
    const ingested: Uint8Array[] = []
    const host: SyncHost = {
      channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
      items: async () => [],
      envelope: async () => undefined,
      ingest: async (_topic, envelope) => {
        // the first envelope finds the pool full, as under a flood
        if (refusals === 0) {
          refusals++
          throw new VerifyQueueFullError('test: the verification queue is full')
        }
        ingested.push(envelope)
        return 'accept'
      },
      penalise: () => {},
      topics: () => [TOPIC],
      members: () => []
    }
    const sync = new HistorySync(reader, host, { log: logger('murmur:test:reader') })
    reader.services.pubsub.subscribe(TOPIC)
    await reader.dial(author.getMultiaddrs()[0]!)
    await waitFor(() => author.libp2p.services.pubsub.getSubscribers(TOPIC).some((peer) => peer.equals(reader.peerId)), 'the author sees the reader in the channel')
    // the reader publishes: it must see the author's subscription and have its gossip stream open (a
    // loaded machine gave PublishError.NoPeersSubscribedToTopic when it published on the author's view alone)
    await waitFor(() => reachable(reader.services.pubsub, TOPIC), 'the reader can write to the author in the channel')

    // posts the author got from the network (its own would be stored only once back from it)
    const bodies = ['first', 'second', 'third']
    for (const body of bodies) await reader.services.pubsub.publish(TOPIC, (await buildEnvelope({ channel: CHANNEL, body, powBits: TEST_POW_BITS })).bytes)
    await waitFor(async () => (await author.feed(CHANNEL)).length === bodies.length, 'the author stores the posts')

    const report = await sync.syncWith(author.peerId, TOPIC)
    expect(report.deferred).toBe(1)
    expect(report.stored).toBe(bodies.length - 1)
    expect(report.rejected).toBe(0)
    expect(ingested.every((bytes) => ingested.filter((other) => equalBytes(other, bytes)).length === 1)).toBe(true)
  }, 60_000)

  it('a gossip post the pool refused is not lost for good: gossipsub drops its other copies, history sync fetches it', async () => {
    const built = await buildEnvelope({ channel: CHANNEL, body: 'refused once', powBits: TEST_POW_BITS })
    let refused = 0
    const { pool, asked } = countingPool((bytes) => equalBytes(bytes, built.bytes) && refused++ === 0)
    const sync = { interval: 500, cooldown: 500 }
    const reader = await startNode({ channels: [CHANNEL], verify: pool, stem: false, sync })
    const other = await startNode({ channels: [CHANNEL], stem: false, sync, bootstrap: [addressOf(reader)] })
    running.push(reader, other)
    const author = await startStockPeer()
    running.push(author)
    author.services.pubsub.subscribe(TOPIC)
    for (const node of [reader, other]) await author.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => [reader, other].every((node) => node.libp2p.services.pubsub.getSubscribers(TOPIC).length === 2) && author.services.pubsub.getSubscribers(TOPIC).length === 2, 'every node sees the other two in the channel')

    await author.services.pubsub.publish(TOPIC, built.bytes)
    await waitFor(async () => (await other.feed(CHANNEL)).length === 1, 'the other node stores the post')
    // the reader's pool refused the gossip copy (Ignore, its id now in gossipsub's seen cache): sync brings it
    await waitFor(async () => (await reader.feed(CHANNEL)).some((post) => post.body === 'refused once'), 'the reader gets the post through history sync', 30_000)
    expect(refused).toBeGreaterThanOrEqual(2)
    expect(asked.filter((bytes) => equalBytes(bytes, built.bytes)).length).toBeGreaterThanOrEqual(2)
  }, 60_000)
})
