/**
 * Issue 12, High 3: an own post that has not come back from the network yet must not be handed out by
 * history sync after a restart, and a post still queued when the node stopped must leave after it.
 */
import { logger } from '@libp2p/logger'
import { channelTopic, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { HistorySync } from '../src/index.js'
import { addressOf, cleanedAfterEach, nextPost, startNode, startStockPeer, waitFor } from './harness.js'
import type { SyncHost } from '../src/index.js'

const CHANNEL = '#restart'
const TOPIC = channelTopic(CHANNEL)

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
    // a spy: stock libp2p, in the channel, asking the author for its history (it runs no stem)
    const spy = await startStockPeer()
    running.push(spy)
    const seen: Array<'gossip' | 'sync'> = []
    spy.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === TOPIC && toHex(messageId(TOPIC, evt.detail.data)) === queued.id) seen.push('gossip')
    })
    const host: SyncHost = {
      channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
      items: async () => [],
      envelope: async () => undefined,
      ingest: async (topic, envelope) => {
        if (toHex(messageId(topic, envelope)) === queued.id) seen.push('sync')
        return 'accept'
      },
      penalise: () => {},
      topics: () => [TOPIC],
      members: () => []
    }
    const spySync = new HistorySync(spy, host, { log: logger('murmur:test:spy') })
    spy.services.pubsub.subscribe(TOPIC)
    await spy.dial(author.getMultiaddrs()[0]!)
    await waitFor(() => author.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(spy.peerId)), 'the author sees the spy in the channel')
    await spySync.syncWith(author.peerId, TOPIC)

    // a stem peer joins: the queued post leaves through it and comes back through gossip
    const relay = await startNode({ bootstrap: [addressOf(author)], channels: [CHANNEL], sync: false })
    running.push(relay)
    const arrived = await nextPost(relay, (p) => p.id === queued.id, 60_000)
    expect(arrived.body).toBe('written offline')
    await waitFor(() => seen.includes('gossip'), 'the spy to get the post through gossip')
    await spySync.syncWith(author.peerId, TOPIC)
    // whatever the spy got by sync, it had the post from gossip first
    expect(seen[0]).toBe('gossip')
  }, 120_000)
})
