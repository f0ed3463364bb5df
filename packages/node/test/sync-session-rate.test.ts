/**
 * Final review of issue 12, Medium (items 9 and 10): history sync bounded the sessions running at once and
 * the streams one PeerId opens a minute, but not how many sessions one address opens: with free PeerIds, one
 * host ran session after session, each loading the channel's whole id list and reconciling it on the main
 * thread. Now new sessions are counted per address group, as a fair share of a rate: one address alone is
 * held to the rate, and another group still gets sessions whatever the first does.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { channelTopic, ready } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { beforeAll, describe, expect, it } from 'vitest'
import { HistorySync } from '../src/internal.js'
import { SessionRate, rateLimitedSync } from '../src/sync-session-rate.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import type { SyncComponents } from '../src/internal.js'
import type { Libp2p } from '@libp2p/interface'

const CHANNEL = '#sync-rate'
const TOPIC = channelTopic(CHANNEL)
const MINUTE = 60_000

async function startPeer (host: string): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [`/ip4/${host}/tcp/0`] },
    // every sybil dials from 127.0.0.1: libp2p's per-host inbound rate (5 a second) would refuse them first
    connectionManager: { inboundConnectionThreshold: 1_000 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

/** A libp2p node running HistorySync over an empty channel through `wrap`, counting the sessions it answers. */
async function syncNode (host: string, wrap: (libp2p: Libp2p) => SyncComponents = (libp2p) => libp2p): Promise<{ libp2p: Libp2p, sync: HistorySync, answered: () => number, stop(): Promise<void> }> {
  const libp2p = await startPeer(host)
  let answered = 0
  const sync = new HistorySync(wrap(libp2p), {
    channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
    // read once per session answered (and once per session begun here, which these nodes never do unasked)
    items: async () => { answered++; return [] },
    envelope: async () => undefined,
    ingest: async () => 'ignore',
    penalise: () => {},
    topics: () => [TOPIC],
    members: () => [],
    chosen: () => false,
    groupOf: (peer) => peer.toString()
  }, { log: logger('test:sync'), interval: 3_600_000 })
  await sync.start()
  return { libp2p, sync, answered: () => answered, stop: async () => { await sync.stop(); await libp2p.stop() } }
}

describe('the rate of sync sessions per address group', () => {
  const { running } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it('holds one group to the rate when alone, and to its share once another group asks', () => {
    const rate = new SessionRate({ perMinute: 10 })
    let taken = 0
    for (let i = 0; i < 1_000; i++) if (rate.take('sybil', i)) taken++
    expect(taken).toBe(10)
    // another group in the same minute: served, up to its share
    expect(Array.from({ length: 5 }, () => rate.take('honest', 2_000)).filter(Boolean)).toHaveLength(5)
    expect(rate.take('honest', 2_000)).toBe(false)
    expect(rate.take('sybil', 2_000)).toBe(false)
    // a third group always gets its first
    expect(rate.take('newcomer', 2_000)).toBe(true)
    // a minute on, the sybil's sessions aged out: it may open again
    expect(rate.take('sybil', MINUTE + 1_000)).toBe(true)
  })

  it('lets a crowd behind one address use the whole rate while nobody else asks', () => {
    const rate = new SessionRate({ perMinute: 10 })
    // one session every 6 s, for ten minutes: never refused
    for (let t = 0; t < 10 * MINUTE; t += 6_000) expect(rate.take('crowd', t)).toBe(true)
  })

  it('on real nodes: many PeerIds of one address are served at most the rate, a second address still is', async () => {
    const PER_MINUTE = 4
    const victim = await syncNode('127.0.0.1', (libp2p) => rateLimitedSync(libp2p, { perMinute: PER_MINUTE, chosen: () => false }))
    running.push(victim)
    // eight PeerIds on one address, three sessions each: within every per-PeerId limit
    const sybils = await Promise.all(Array.from({ length: 8 }, async () => await syncNode('127.0.0.1')))
    running.push(...sybils)
    for (const sybil of sybils) await sybil.libp2p.dial(victim.libp2p.getMultiaddrs()[0]!)
    const outcomes: boolean[] = []
    for (let round = 0; round < 3; round++) {
      for (const sybil of sybils) {
        outcomes.push(await sybil.sync.syncWith(victim.libp2p.peerId, TOPIC).then(() => true, () => false))
      }
    }
    expect(outcomes.filter(Boolean)).toHaveLength(PER_MINUTE)
    expect(victim.answered()).toBe(PER_MINUTE)

    // an honest node on another address (the victim dialed it, but did not choose it: it counts too)
    const honest = await syncNode('127.0.0.2')
    running.push(honest)
    await victim.libp2p.dial(honest.libp2p.getMultiaddrs()[0]!)
    await waitFor(() => honest.libp2p.getConnections(victim.libp2p.peerId).length > 0, 'the honest node to see the connection')
    await honest.sync.syncWith(victim.libp2p.peerId, TOPIC)
    expect(victim.answered()).toBe(PER_MINUTE + 1)
  }, 120_000)
})
