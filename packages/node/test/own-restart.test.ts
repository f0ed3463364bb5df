/**
 * Issue 12, High 3: an own post that has not come back from the network yet must not be handed out by
 * history sync after a restart, and a post still queued when the node stopped must leave after it.
 * Review B, H-A: after a restart, an own post already in the stem is held there again, so that a stem
 * peer sending it back cannot tell it from a relayed post, and its embargo still gets it out.
 */
import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL } from '../src/index.js'
import { HistorySync } from '../src/internal.js'
import { encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, nextPost, startNode, startStockPeer, waitFor } from './harness.js'
import { stemHole } from './stem-hole.js'
import type { Murmur, MurmurInit } from '../src/index.js'
import type { SyncHost } from '../src/internal.js'
import type { StockPeer } from './harness.js'

const CHANNEL = '#restart'
const TOPIC = channelTopic(CHANNEL)

/**
 * A spy: stock libp2p in the channel, connected to `author`, that asks it for its history (it runs no
 * stem) and notes how the post `id` reached it, through gossip or through sync.
 */
async function syncSpy (author: Murmur, id: string): Promise<{ spy: StockPeer, seen: Array<'gossip' | 'sync'>, syncWith(): Promise<unknown> }> {
  const spy = await startStockPeer()
  const seen: Array<'gossip' | 'sync'> = []
  spy.services.pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic === TOPIC && toHex(messageId(TOPIC, evt.detail.data)) === id) seen.push('gossip')
  })
  const host: SyncHost = {
    channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
    items: async () => [],
    envelope: async () => undefined,
    ingest: async (topic, envelope) => {
      if (toHex(messageId(topic, envelope)) === id) seen.push('sync')
      return 'accept'
    },
    penalise: () => {},
    topics: () => [TOPIC],
    members: () => []
  }
  const sync = new HistorySync(spy, host, { log: logger('murmur:test:spy') })
  spy.services.pubsub.subscribe(TOPIC)
  await spy.dial(author.getMultiaddrs()[0]!)
  await waitFor(() => author.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(spy.peerId)), 'the author sees the spy in the channel')
  return { spy, seen, syncWith: async () => sync.syncWith(author.peerId, TOPIC) }
}

describe('own posts in the stem across a restart', () => {
  const { running, tempDir } = cleanedAfterEach()

  /** The author posts into `hole`, which swallows it, and stops (before its embargo); then it starts again with `stem`. */
  async function restartAfterPosting (hole: StockPeer, swallowed: Uint8Array[], stem: MurmurInit['stem']): Promise<{ author: Murmur, envelope: Uint8Array, id: string }> {
    const dataDir = await tempDir()
    const before = await startNode({ dataDir, channels: [CHANNEL], stem: { fluffProbability: 0 } })
    running.push(before)
    await before.libp2p.dial(hole.getMultiaddrs()[0]!)
    await waitFor(() => before.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0, 'the hole in the channel')
    const sent = await before.post(CHANNEL, 'into the stem, then a restart')
    expect(sent).toMatchObject({ status: 'sent' })
    await waitFor(() => swallowed.length > 0, 'the post at the stem successor')
    await before.stop()

    const author = await startNode({ dataDir, channels: [CHANNEL], stem })
    running.push(author)
    await hole.dial(author.getMultiaddrs()[0]!)
    await waitFor(() => author.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(hole.peerId)), 'the author sees the hole in the channel')
    return { author, envelope: swallowed[0]!, id: sent.id }
  }

  it('a copy of the own post sent back is handled as a relayed post sent back: both leave the stem (H-A)', async () => {
    const { hole, swallowed, gossip } = await stemHole(TOPIC)
    running.push(hole)
    // no embargo fires during the test: whatever the author publishes, the bounce made it do so
    const { author, envelope, id } = await restartAfterPosting(hole, swallowed, { fluffProbability: 0, embargoMin: 600_000 })
    // a post the author never had, as a relayed post it forgot in the restart
    const stranger = await buildEnvelope({ channel: CHANNEL, body: "a stranger's post", powBits: TEST_POW_BITS })
    const strangerId = toHex(stranger.id)

    const stream = await hole.dialProtocol(author.peerId, STEM_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(encodeStemFrame({ topic: TOPIC, envelope: stranger.bytes }))
    await lp.write(encodeStemFrame({ topic: TOPIC, envelope }))
    // the hole is the author's only stem peer: a post sent back by it has nowhere else to go
    await waitFor(() => gossip().includes(strangerId), 'the relayed post published by the author')
    // the old node dropped the own post unread here (stored, so 'ignore'): the oracle
    await waitFor(() => gossip().includes(id), 'the own post published by the author, as the relayed one', 20_000)
    expect(swallowed).toHaveLength(1)
  }, 120_000)

  it('an own post its successor swallowed before the restart is published by its embargo after it (H-A)', async () => {
    const { hole, swallowed, gossip } = await stemHole(TOPIC)
    running.push(hole)
    await restartAfterPosting(hole, swallowed, { fluffProbability: 0, embargoMin: 1_000, embargoMean: 1_000 })
    const id = toHex(messageId(TOPIC, swallowed[0]!))
    // the old node re-sent only queued posts: a post in the stem at the restart was never published
    await waitFor(() => gossip().includes(id), 'the own post published by its embargo', 30_000)
    // not sent to the hole again: it was the only stem peer, so the post left the stem here
    expect(swallowed).toHaveLength(1)
  }, 120_000)
})

describe('own posts across a restart', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a post queued before a restart is withheld from sync until it is back from gossip, and is still sent', async () => {
    const dataDir = await tempDir()
    const before = await startNode({ dataDir, channels: [CHANNEL] })
    running.push(before)
    const queued = await before.post(CHANNEL, 'written offline')
    expect(queued).toMatchObject({ status: 'queued', reason: 'no-connections' })
    await before.stop()

    const author = await startNode({ dataDir, channels: [CHANNEL] })
    running.push(author)
    const { spy, seen, syncWith } = await syncSpy(author, queued.id)
    running.push(spy)
    await syncWith()

    // a stem peer joins: the queued post leaves through it and comes back through gossip
    const relay = await startNode({ bootstrap: [addressOf(author)], channels: [CHANNEL], sync: false })
    running.push(relay)
    const arrived = await nextPost(relay, (p) => p.id === queued.id, 60_000)
    expect(arrived.body).toBe('written offline')
    await waitFor(() => seen.includes('gossip'), 'the spy to get the post through gossip')
    await syncWith()
    // whatever the spy got by sync, it had the post from gossip first
    expect(seen[0]).toBe('gossip')
  }, 120_000)

  it('a post that left through the stem just before the stop stays withheld after the restart until a copy comes back, and is not sent again', async () => {
    const dataDir = await tempDir()
    // a stem successor that swallows what it gets (and can publish it later)
    const { hole, swallowed } = await stemHole(TOPIC, { msgIdFn: () => randomBytes(32) })
    running.push(hole)
    const before = await startNode({ dataDir, channels: [CHANNEL] })
    running.push(before)
    await before.libp2p.dial(hole.getMultiaddrs()[0]!)
    await waitFor(() => before.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0, 'the hole in the channel')
    const sent = await before.post(CHANNEL, 'into the stem, then Ctrl-C')
    expect(sent).toMatchObject({ status: 'sent' })
    await waitFor(() => swallowed.length > 0, 'the post at the stem successor')
    await before.stop()

    const author = await startNode({ dataDir, channels: [CHANNEL] })
    running.push(author)
    const { spy, seen, syncWith } = await syncSpy(author, sent.id)
    running.push(spy)
    await syncWith()
    expect(seen).toEqual([])
    // the successor fluffs it at last: the author sees it come back, and sync may hand it out now
    await hole.dial(author.getMultiaddrs()[0]!)
    await waitFor(() => hole.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(author.peerId)), 'the hole sees the author in the channel')
    await hole.services.pubsub.publish(TOPIC, swallowed[0]!)
    await waitFor(() => seen.includes('gossip'), 'the spy to get the post through gossip')
    await waitFor(async () => {
      await syncWith().catch(() => {})
      return seen.includes('sync')
    }, 'sync to hand the post out now')
    expect(seen[0]).toBe('gossip')
    expect(swallowed).toHaveLength(1)
  }, 120_000)
})
