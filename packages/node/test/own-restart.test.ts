/**
 * Issue 12, High 3: an own post that has not come back from the network yet must not be handed out by
 * history sync after a restart, and a post still queued when the node stopped must leave after it.
 */
import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { channelTopic, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { HistorySync, STEM_PROTOCOL } from '../src/index.js'
import { decodeStemFrame } from '../src/stem/index.js'
import { addressOf, cleanedAfterEach, nextPost, startNode, startStockPeer, waitFor } from './harness.js'
import type { Murmur, SyncHost } from '../src/index.js'
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
    const hole = await startStockPeer({ msgIdFn: () => randomBytes(32) })
    running.push(hole)
    const swallowed: Uint8Array[] = []
    await hole.handle(STEM_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      for (;;) {
        try {
          swallowed.push(decodeStemFrame((await lp.read()).subarray()).envelope)
        } catch {
          return
        }
      }
    })
    hole.services.pubsub.subscribe(TOPIC)
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
