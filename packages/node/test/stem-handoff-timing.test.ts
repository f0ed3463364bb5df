/**
 * Issue 12 item 2, fifteenth read High 1 (timing through the hand-off mark): V's stem successor S hands
 * every post it got from V back to V marked "publish" (frame bit 0), which V does at once, own or relayed,
 * and S times how long V's gossip copy takes to reach it. V used to store a relayed post (a store write,
 * and a view built when a UI listens) before publishing it, and an own post only after: own ~3 ms,
 * relayed ~8 ms end to end, advantage 0.87. Both kinds now do the same work before the publish, and are
 * stored a turn after it (the store's work would otherwise still hold up the bytes on the wire). Handed
 * back at once, the copy also timed what V did right after sending the post on: an own post's proof of
 * work, mined in V's event loop, left garbage collected just then, while a relayed post was mined
 * elsewhere (advantage 0.43-0.51); own posts are now mined on the verification pool. V here is a real
 * node with a data dir and a view listener, in the relay role (it never fluffs a relayed post itself); S
 * and its sybil predecessor P are stock libp2p peers; own and relayed samples at both holds are
 * interleaved, and the relayed posts are mined beforehand.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { buildEnvelope, channelTopic, messageId, ready, toHex } from '@murmur/protocol'
import * as lp from 'it-length-prefixed'
import { beforeAll, describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, decodeStemFrame, encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import { advantage, timingReport } from './timing-advantage.js'
import type { StockPeer } from './harness.js'
import type { MurmurNode } from '../src/murmur.js'

const CHANNEL = '#handoff'
const TOPIC = channelTopic(CHANNEL)
/** Posts of each kind per hold. */
const SAMPLES = 80
/**
 * How long S holds a post before handing it back, uniform in [min, max) ms: as a round trip would, and at
 * once, the hardest case (the copy then also times what V does right after sending a post on).
 */
const HOLDS = [{ min: 20, max: 40 }, { min: 0, max: 1 }] as const
/** How long one post may take to show up anywhere, ms. */
const WAIT = 10_000

/** The first sighting of each id (a value, with when), and waits for one. */
class Sightings<T> {
  private readonly seen = new Map<string, T>()
  private readonly waiting = new Map<string, (value: T) => void>()

  note (id: string, value: T): void {
    if (this.seen.has(id)) return
    this.seen.set(id, value)
    this.waiting.get(id)?.(value)
  }

  async next (id: string, what: string): Promise<T> {
    const known = this.seen.get(id)
    if (known !== undefined) return known
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await new Promise<T>((resolve, reject) => {
        this.waiting.set(id, resolve)
        timer = setTimeout(() => { reject(new Error(`timed out after ${WAIT} ms waiting for ${what}`)) }, WAIT)
      })
    } finally {
      clearTimeout(timer)
      this.waiting.delete(id)
    }
  }
}

/** The successor S: a stock peer of the channel that keeps the stem frames it gets and times the gossip copies it sees. */
interface Successor {
  peer: StockPeer
  /** The envelope of each post handed to S in the stem. */
  frames: Sightings<Uint8Array>
  /** When each post's first gossip copy arrived at S (hrtime). */
  gossip: Sightings<bigint>
}

async function successor (): Promise<Successor> {
  const peer = await startStockPeer()
  const self: Successor = { peer, frames: new Sightings(), gossip: new Sightings() }
  await peer.handle(STEM_PROTOCOL, async (stream) => {
    try {
      for await (const data of lp.decode(stream)) {
        const frame = decodeStemFrame(data.subarray())
        self.frames.note(toHex(messageId(frame.topic, frame.envelope)), frame.envelope)
      }
    } catch {
      // the node hung up: the test is over
    }
  })
  peer.services.pubsub.subscribe(TOPIC)
  peer.services.pubsub.addEventListener('message', (evt) => {
    const at = process.hrtime.bigint()
    if (evt.detail.topic === TOPIC) self.gossip.note(toHex(messageId(TOPIC, evt.detail.data)), at)
  })
  return self
}

describe('a post its stem successor hands back to publish', () => {
  const { running, tempDir } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it(`reaches gossip as fast whether it is the node's own or relayed (${SAMPLES} of each per hold)`, async () => {
    // one successor: S gets V's own posts and the ones V relays alike, over one connection
    const node = await startNode({ dataDir: await tempDir(), channels: [CHANNEL], sync: false, stem: { fluffProbability: 0, successors: 1 } }) as MurmurNode
    running.push(node)
    // a UI listens, as in the CLI daemon: a new post gets its view built
    let announced = 0
    node.addEventListener('post', () => { announced++ })
    const s = await successor()
    const predecessor = await startStockPeer()
    running.push(s.peer, predecessor)
    await node.libp2p.dial(multiaddr(addressOf(s.peer)))
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(TOPIC).length === 1, 'S in the channel')
    const handBack = lpStream(await s.peer.dialProtocol(multiaddr(addressOf(node)), STEM_PROTOCOL))
    // P, S's sybil, feeds V the relayed posts (an inbound peer: never V's successor)
    const feed = lpStream(await predecessor.dialProtocol(multiaddr(addressOf(node)), STEM_PROTOCOL))

    // mined beforehand, as in the network: elsewhere, not in V's event loop
    const relayedPosts = await Promise.all(Array.from({ length: SAMPLES * HOLDS.length }, async (_, i) => await buildEnvelope({ channel: CHANNEL, body: `relayed ${i}`, powBits: TEST_POW_BITS })))
    const relayedIds = relayedPosts.map((built) => toHex(built.id))
    const samples = HOLDS.map(() => ({ own: [] as number[], relayed: [] as number[] }))
    // both holds and both kinds interleaved: a drift of the machine's load touches all four alike
    for (let i = 0; i < SAMPLES * HOLDS.length; i++) {
      const h = i % HOLDS.length
      const hold = HOLDS[h]!
      for (const kind of Math.floor(i / HOLDS.length) % 2 === 0 ? ['own', 'relayed'] as const : ['relayed', 'own'] as const) {
        let id: string
        if (kind === 'own') {
          id = (await node.post(CHANNEL, `own ${i}`)).id
        } else {
          id = relayedIds[i]!
          await feed.write(encodeStemFrame({ topic: TOPIC, envelope: relayedPosts[i]!.bytes }))
        }
        const envelope = await s.frames.next(id, `the ${kind} post at S`)
        await new Promise((resolve) => setTimeout(resolve, hold.min + (hold.max - hold.min) * Math.random()))
        const start = process.hrtime.bigint()
        await handBack.write(encodeStemFrame({ topic: TOPIC, envelope, publish: true }))
        const end = await s.gossip.next(id, `V's gossip copy of the ${kind} post`)
        samples[h]![kind].push(Number(end - start) / 1000)
      }
    }
    // nothing lost: every relayed post is stored at V (gossipsub never hands V its own publication back),
    // and announced to its UI once, as the own posts were when made
    for (const id of relayedIds) expect(await node.get(id), `relayed post ${id} stored`).toBeDefined()
    await waitFor(() => announced === relayedIds.length * 2, 'every post announced once', 10_000, 5)
    expect(announced).toBe(relayedIds.length * 2)

    // held 20-40 ms: old code own 2.4 ms, relayed 6.1 ms (medians), advantage 0.86; now 0.07-0.16.
    // handed back at once, with own posts mined in V's event loop: own 2.4 ms, relayed 1.2 ms (medians),
    // 0.43-0.51; mined on the pool 0.09-0.28 over 8 runs (at load 9-15 on 2 cores). The bound of 0.35 still
    // fails the event-loop miner, and leaves the pool's worst run (0.28) a margin: a distance of 0.3 between
    // 80 + 80 samples of one distribution comes by chance with p ~ 0.0015, 0.35 with p ~ 0.0001
    const reports = HOLDS.map((hold, h) => `held ${hold.min}-${hold.max} ms: ${timingReport(samples[h]!.own, samples[h]!.relayed)}`)
    console.log(`hand-off timing: ${reports.join('; ')}`)
    for (const [h, { own, relayed }] of samples.entries()) expect(advantage(own, relayed), reports[h]).toBeLessThan(0.35)
  }, 60_000)
})
