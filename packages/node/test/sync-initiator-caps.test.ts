/**
 * The sessions a node begins (fourteenth adversarial read of issue 12, Medium 1): any peer that subscribes
 * to a channel gets a history-sync session the node starts. Eight stock libp2p peers on one host subscribed
 * and answered each session with round after round of 4,095 ranges: the node ran all eight sessions at once,
 * each up to 64 rounds, retried every one that failed, and spent a whole core (honest gossip 58 ms -> 940 ms).
 * Now the node runs at most `initiatingPerGroup` sessions at once with one address group (the rest wait their
 * turn), ends a session whose replies pass its range budget, does not retry it, and a peer of another group
 * still gets its session at once. And sybils sharing an honest crowd-mate's address, that never answer
 * and re-subscribe all the time, no longer keep the group's queue full and the crowd-mate out (sixteenth
 * read, High 1).
 */
import { lpStream } from '@libp2p/utils'
import { SyncRange, buildEnvelope, channelTopic, encodeSyncMessage, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { SYNC_INITIATING_PER_GROUP, SYNC_PROTOCOL, SYNC_SESSION_RANGES } from '../src/sync/constants.js'
import { answerSession } from '../src/sync/responder.js'
import { read } from '../src/sync/wire.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, joinedStock, startNode, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { Verdict } from '../src/intake.js'

const CHANNEL = '#sync-caps'
const TOPIC = channelTopic(CHANNEL)
const SYBILS = 8
/** Retries of failed sessions come this soon in this test (2-4 s at the default). */
const RETRY_DELAY = 200

/** 4,095 FINGERPRINT ranges of one item each below every post, then a SKIP to +infinity: the reviewer's "grow" reply. */
const GROW = encodeSyncMessage({
  topic: '',
  ranges: [
    ...Array.from({ length: 4_095 }, (_, i) => ({ upperCreated: BigInt(1_000_000 + i + 1), upperId: new Uint8Array(0), mode: SyncRange.Mode.FINGERPRINT, fingerprint: new Uint8Array(16).fill(1), count: 1, ids: [] })),
    { upperCreated: 2n ** 64n - 1n, upperId: new Uint8Array(0), mode: SyncRange.Mode.SKIP, fingerprint: new Uint8Array(0), count: 0, ids: [] }
  ],
  need: [],
  envelopes: [],
  pending: 0
})

/** Stores `body` at `node` as if gossip had brought it, without publishing it; resolves to its id (hex). */
async function holding (node: Murmur, body: string): Promise<string> {
  const post = await buildEnvelope({ channel: CHANNEL, body, powBits: TEST_POW_BITS })
  const ingest = (node as unknown as { intake: { ingest(topic: string, envelope: Uint8Array): Promise<Verdict> } }).intake
  expect(await ingest.ingest(TOPIC, post.bytes)).toBe('accept')
  return toHex(post.id)
}

/** What the sybils saw of the sessions the node began with them. */
interface Attack { open: number, peak: number, ended: number, sessions: Map<string, number>, replies: number[] }

/** A sybil: a stock peer that answers every sync session with GROW until the node gives up. */
async function sybil (attack: Attack): Promise<StockPeer> {
  const peer = await startStockPeer()
  await peer.handle(SYNC_PROTOCOL, async (stream) => {
    const me = peer.peerId.toString()
    attack.sessions.set(me, (attack.sessions.get(me) ?? 0) + 1)
    attack.peak = Math.max(attack.peak, ++attack.open)
    const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 })
    let replies = 0
    try {
      await lp.read()
      for (;;) {
        await lp.write(GROW)
        replies++
        await lp.read()
      }
    } catch {
      // the node ended the session
    } finally {
      attack.open--
      attack.ended++
      attack.replies.push(replies)
    }
  })
  return peer
}

describe('the sessions a node begins are capped per address group (fourteenth read of issue 12, Medium 1)', () => {
  const cleanup = cleanedAfterEach()

  it(`${SYBILS} subscribing sybils on one host get ${SYNC_INITIATING_PER_GROUP} sessions at a time, each cut at its range budget and not retried; an honest peer elsewhere gets its posts synced`, async () => {
    const victim = await startNode({ channels: [CHANNEL], stem: false, sync: { retryDelay: RETRY_DELAY } })
    const honest = await startNode({ channels: [CHANNEL], stem: false, listen: ['/ip4/127.0.0.2/tcp/0'] })
    cleanup.running.push(victim, honest)
    const post = await holding(honest, 'from another host')

    const attack: Attack = { open: 0, peak: 0, ended: 0, sessions: new Map(), replies: [] }
    const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => sybil(attack)))
    cleanup.running.push(...sybils)
    await Promise.all(sybils.map(async (peer) => joinedStock(victim, peer, TOPIC)))
    await waitFor(() => attack.sessions.size > 0, 'the first sybil session')

    // the node dials a peer of another address group, which subscribes: its session starts beside the sybils'
    await victim.libp2p.dial(honest.getMultiaddrs().find((a) => String(a).startsWith('/ip4/127.0.0.2/tcp/'))!)
    await waitFor(async () => await victim.get(post) !== undefined, 'the honest post, by sync', 10_000)

    // old code: all eight at once, 64 rounds each
    await waitFor(() => attack.ended >= SYBILS || attack.peak > SYNC_INITIATING_PER_GROUP, 'every sybil session to end', 20_000)
    expect(attack.peak).toBeLessThanOrEqual(SYNC_INITIATING_PER_GROUP)
    // cut once its replies pass the range budget (besides one per item held): the third reply of 4,096
    expect(Math.max(...attack.replies)).toBeLessThanOrEqual(Math.ceil(SYNC_SESSION_RANGES / 4_096) + 1)
    // a session cut at a limit is not retried: still one each past the latest a retry comes (twice the delay)
    await new Promise((resolve) => setTimeout(resolve, 3 * RETRY_DELAY))
    expect([...attack.sessions.values()]).toEqual(Array.from({ length: SYBILS }, () => 1))
  }, 30_000)

  it('sybils on an honest crowd-mate\'s address that never answer and re-subscribe every 100 ms cannot keep its session out (sixteenth read, High 1)', async () => {
    // scaled: 1 running and 4 waiting per group, a silent peer stalls in 300 ms, anti-entropy every 1 s
    const victim = await startNode({ channels: [CHANNEL], stem: false, sync: { initiatingPerGroup: 1, initiatingQueue: 4, idleTimeout: 300, cooldown: 300, interval: 1_000 } })
    cleanup.running.push(victim)
    let silent = 0
    const sybils = await Promise.all(Array.from({ length: 8 }, async () => {
      const peer = await startStockPeer()
      await peer.handle(SYNC_PROTOCOL, () => { silent++ })
      return peer
    }))
    cleanup.running.push(...sybils)
    await Promise.all(sybils.map(async (peer) => joinedStock(victim, peer, TOPIC)))
    const churn = setInterval(() => {
      for (const peer of sybils) { peer.services.pubsub.unsubscribe(TOPIC); peer.services.pubsub.subscribe(TOPIC) }
    }, 100)
    try {
      await waitFor(() => silent >= 2, 'the sybils\' first sessions')
      // the crowd-mate: the same address (loopback), holding a post the victim lacks, dials in as the sybils did
      const honest = await startNode({ channels: [CHANNEL], stem: false })
      cleanup.running.push(honest)
      const post = await holding(honest, 'from the crowd')
      await honest.libp2p.dial(victim.getMultiaddrs().find((a) => String(a) === addressOf(victim))!)
      // old code: the queue stayed full of sybils and every session with the crowd-mate was dropped
      await waitFor(async () => await victim.get(post) !== undefined, 'the crowd-mate\'s post, by sync', 8_000)
      // its places from now on: the crowd-mate ranks above the sybils that stalled (1, or 2 once the victim
      // dials it), and goes behind the peers served less lately than it
      const sync = (victim as unknown as { sync: { rank(peer: typeof victim.peerId): number, served: Map<string, unknown> } }).sync
      const rank = sync.rank.bind(sync)
      expect(sync.served.has(`${honest.peerId.toString()} ${TOPIC}`)).toBe(true)
      expect(rank(honest.peerId)).toBeGreaterThanOrEqual(1)
      expect(sybils.map((peer) => rank(peer.peerId))).toContain(0)
      expect(sybils.map((peer) => rank(peer.peerId)).every((r) => r <= 1)).toBe(true)
    } finally {
      clearInterval(churn)
    }
  }, 20_000)

  it('sybils on a crowd\'s address that answer every session slowly with nothing and ask again the moment it ends cannot keep a new crowd-mate out, nor one served before (seventeenth read, High 1)', async () => {
    // scaled: 1 running and 4 waiting per group, a reply may take 600 ms (the sybils take 150), anti-entropy every 0.5 s
    const victim = await startNode({ channels: [CHANNEL], stem: false, sync: { initiatingPerGroup: 1, initiatingQueue: 4, idleTimeout: 600, cooldown: 300, interval: 500 } })
    cleanup.running.push(victim)
    // 6 sybils for the slot and the 4 places: each answers correctly (it holds nothing) after 150 ms; once
    // each has been served, they re-subscribe the moment a session ends and every 100 ms besides
    const sessions = new Map<string, number>()
    let churning = false
    const resubscribe = (peer: StockPeer): void => { peer.services.pubsub.unsubscribe(TOPIC); peer.services.pubsub.subscribe(TOPIC) }
    const sybils = await Promise.all(Array.from({ length: 6 }, async () => {
      const peer = await startStockPeer()
      await peer.handle(SYNC_PROTOCOL, async (stream) => {
        const me = peer.peerId.toString()
        sessions.set(me, (sessions.get(me) ?? 0) + 1)
        const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 })
        const signal = AbortSignal.timeout(5_000)
        try {
          const { message } = await read(lp, signal, 5_000)
          await new Promise((resolve) => setTimeout(resolve, 150))
          await answerSession(lp, message, { channelOf: () => CHANNEL, items: async () => [], envelope: async () => undefined }, signal, 5_000)
          await stream.close()
        } catch {
          // the victim cut it
        }
        if (churning) resubscribe(peer)
      })
      return peer
    }))
    cleanup.running.push(...sybils)
    await Promise.all(sybils.map(async (peer) => joinedStock(victim, peer, TOPIC)))
    // 5 sybils served once, as many as the slot and the places (the old code then ranked them "proven", 2
    // like the dialed peers, and a newcomer could take none of their places)
    await waitFor(() => sessions.size >= 5, 'sessions with 5 sybils', 10_000)
    churning = true
    const churn = setInterval(() => { for (const peer of sybils) resubscribe(peer) }, 100)
    try {
      // the crowd-mate, new here: served once the places waiting when it came have had their turn (old code:
      // ranked 1, below the served sybils, it got in only while one of them was not served yet)
      const honest = await startNode({ channels: [CHANNEL], stem: false })
      cleanup.running.push(honest)
      const first = await holding(honest, 'from a new crowd-mate')
      await honest.libp2p.dial(victim.getMultiaddrs().find((a) => String(a) === addressOf(victim))!)
      await waitFor(async () => await victim.get(first) !== undefined, 'the new crowd-mate\'s post, by sync', 10_000)
      // served now, it is served again in its turn among the sybils that ask all the time (old code: "proven",
      // ranked 2 as they were, and refused every time, the queue full of its equals: not synced in 10 s, 2 of 2)
      const second = await holding(honest, 'from a crowd-mate served before')
      await waitFor(async () => await victim.get(second) !== undefined, 'the served crowd-mate\'s next post, by sync', 10_000)
    } finally {
      clearInterval(churn)
    }
  }, 30_000)
})
