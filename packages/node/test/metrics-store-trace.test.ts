/**
 * Issue 16 item 14, the store's size as a metric: it must not tell a scraper when this node's own user
 * posts. A real node with a recording metrics registry: an own post moves validated, waiting and the store
 * figures exactly as a stem post it relays does, at each step (checked, out in the stem, back through gossip);
 * own and relayed circle posts never move them (an own one is stored when made, before it leaves).
 */
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { METRIC_NAMES, STEM_PROTOCOL } from '../src/index.js'
import { encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { recordingMetrics } from './metrics-fixtures.js'
import { stemHole } from './stem-hole.js'
import type { Murmur, MurmurInit } from '../src/index.js'
import type { Stem } from '../src/stem/index.js'
import type { PostStore } from '../src/store/index.js'
import type { RecordedMetrics } from './metrics-fixtures.js'

const CHANNEL = '#trace'
const TOPIC = channelTopic(CHANNEL)

/** The figures a scrape shows (`bytes` in whole MiB), and `exact`: the bytes `storeUsage()` gives, in envelopes of the post followed. */
interface Figures {
  validated: number
  waiting: number
  posts: number
  bytes: number
  exact: number
}

/** Every figure at this very moment: each gauge's value is taken when it is called, all before the first await. */
async function figures (recorded: RecordedMetrics, node: Murmur): Promise<Figures> {
  const validated = recorded.counts.get(METRIC_NAMES.validated) ?? 0
  const usage = node.storeUsage()
  const [waiting, posts, bytes] = await Promise.all([METRIC_NAMES.waiting, METRIC_NAMES.storePosts, METRIC_NAMES.storeBytes].map(async (name) => await recorded.read(name)))
  return { validated, waiting: waiting!, posts: posts!, bytes: bytes!, exact: (await usage).bytes }
}

describe('the store figures do not tell own posts from relayed ones', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('an own post moves validated, waiting and the store as a relayed stem post does, step by step', async () => {
    const holes = [await stemHole(TOPIC), await stemHole(TOPIC)]
    running.push(...holes.map(({ hole }) => hole))
    const recorded = recordingMetrics()
    // never fluffs a relayed post, and no embargo fires during the test: each post leaves through a hole
    const node = await startNode({ channels: [CHANNEL], membership: false, stem: { fluffProbability: 0, embargoMin: 600_000 }, libp2p: { metrics: () => recorded.metrics } })
    running.push(node)
    for (const { hole } of holes) await node.libp2p.dial(hole.getMultiaddrs()[0]!)
    const stem = (node as unknown as { stem: Stem }).stem
    await waitFor(() => stem.router.currentSuccessors.length === 2 && node.libp2p.services.pubsub.getSubscribers(TOPIC).length === 2, 'both holes as stem successors and in the channel')

    /** The figures, relative to before, when the post is checked, once it is out in the stem, and once a copy is back through gossip. */
    const trace = async (send: () => Promise<string>): Promise<Figures[]> => {
      const base = await figures(recorded, node)
      let checked: Promise<Figures> | undefined
      recorded.onIncrement = (name) => { if (name === METRIC_NAMES.validated) checked ??= figures(recorded, node) }
      const id = await send()
      const holder = await waitFor(() => holes.find(({ swallowed }) => swallowed.some((e) => toHex(messageId(TOPIC, e)) === id)), 'the post at a stem successor')
      const envelope = holder.swallowed.find((e) => toHex(messageId(TOPIC, e)) === id)!
      const out = await figures(recorded, node)
      await holder.hole.services.pubsub.publish(TOPIC, envelope)
      await waitFor(async () => {
        const now = await figures(recorded, node)
        return now.posts !== base.posts && now.waiting === base.waiting
      }, 'the copy back through gossip stored')
      const back = await figures(recorded, node)
      recorded.onIncrement = undefined
      const relative = (f: Figures): Figures => ({ validated: f.validated - base.validated, waiting: f.waiting - base.waiting, posts: f.posts - base.posts, bytes: f.bytes - base.bytes, exact: (f.exact - base.exact) / envelope.byteLength })
      return [relative(await waitFor(() => checked, 'the post checked')), relative(out), relative(back)]
    }

    const own = await trace(async () => {
      const sent = await node.post(CHANNEL, 'my own words')
      expect(sent).toMatchObject({ status: 'sent', recipients: 1 })
      return sent.id
    })
    const relayed = await trace(async () => {
      const stranger = await buildEnvelope({ channel: CHANNEL, body: 'words the node only passes on', powBits: TEST_POW_BITS })
      const lp = lpStream(await holes[0]!.hole.dialProtocol(node.peerId, STEM_PROTOCOL))
      await lp.write(encodeStemFrame({ topic: TOPIC, envelope: stranger.bytes }))
      return toHex(stranger.id)
    })
    expect(own).toEqual([
      { validated: 1, waiting: 0, posts: 0, bytes: 0, exact: 0 },
      { validated: 1, waiting: 1, posts: 0, bytes: 0, exact: 0 },
      { validated: 1, waiting: 0, posts: 1, bytes: 0, exact: 1 }
    ])
    expect(relayed).toEqual(own)
  }, 120_000)

  it('circle posts, own (stored when made) and relayed, never move the store figures', async () => {
    const recorded = recordingMetrics()
    const start = async (init: MurmurInit): Promise<Murmur> => {
      const node = await startNode({ membership: false, circles: { newcomerDelay: 0 }, ...init })
      running.push(node)
      return node
    }
    const owner = await start({ dataDir: await tempDir(), libp2p: { metrics: () => recorded.metrics } })
    const member = await start({ bootstrap: [addressOf(owner)] })
    await owner.circles.create('club', { minRing: 2 })
    await member.circles.join((await owner.circles.invite('club')).invite)
    await waitFor(async () => (await owner.circles.members('club')).length === 2 && (await member.circles.members('club')).length === 2, 'the roster of two at both')
    const store = (owner as unknown as { store: PostStore }).store
    const held = async (): Promise<number> => [...(await store.usage()).values()].reduce((n, usage) => n + usage.posts, 0)
    const scrape = async (): Promise<number[]> => [await recorded.read(METRIC_NAMES.storePosts), (await owner.storeUsage()).bytes]
    const before = await scrape()
    const heldBefore = await held()

    const mine = await owner.circles.post('club', 'my own circle words')
    // stored for its author at once: the store holds one more post, the figures do not move
    expect(await held()).toBe(heldBefore + 1)
    expect(await scrape()).toEqual(before)
    await waitFor(async () => (await member.circles.feed('club')).some((p) => p.id === mine.id), 'the own circle post at the member')
    const theirs = await member.circles.post('club', 'words of the other member')
    await waitFor(async () => (await owner.circles.feed('club')).some((p) => p.id === theirs.id), 'the relayed circle post at the owner')
    expect(await held()).toBe(heldBefore + 2)
    expect(await scrape()).toEqual(before)
    expect(await recorded.read(METRIC_NAMES.storeBytes)).toBe(0)
  }, 120_000)
})
