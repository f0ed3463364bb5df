/**
 * Issue 12, eighth read, High 1: an attacker sends an honest node R valid posts (proof of work paid) timed at
 * the edge of R's time window — `created` MAX_CLOCK_SKEW ahead of R's clock, or expiring in R's next second.
 * R used to take and pass them on; a neighbour whose clock is a second or two off (well within the tolerated
 * skew) refused each as too early or expired and charged R, and one burst of 30 cut R off there: R's next
 * honest post never arrived. History sync did the same with posts about to expire. Now a node passes on only
 * what any node whose clock is within MAX_CLOCK_SKEW of its own accepts (forwardableAt), so R is never charged.
 *
 * The clocks are injected and crawl (one millisecond a second), so the edges hold however loaded the machine.
 */
import { buildEnvelope, channelTopic, ready } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_POW_BITS, addressOf, chargedRefusals, joinedStock, nextPost, startNode, startStockPeer, stopAll, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { StockPeer } from './harness.js'
import type { ErrorCode } from '@murmur/protocol'

const CHANNEL = '#clock-edge'
const TOPIC = channelTopic(CHANNEL)
/** More than the free refusals and the cut-off together (UNPAID_IGNORES + CUT_OFF_COUNT). */
const BURST = 30

/** The first second of a minute, a little ahead of the wall clock: R's clock reads it (plus 0.5 s) all test long. */
const S = Math.ceil(Date.now() / 60_000) * 60 + 60
const started = Date.now()
/** R's clock in ms: S + 0.5 s, crawling on at a thousandth of real time. */
const clockR = (): number => S * 1000 + 500 + (Date.now() - started) / 1000

function isCutOff (node: Murmur, peer: Murmur): boolean {
  return (node as unknown as { tracker: { isCutOff: (peer: string) => boolean } }).tracker.isCutOff(peer.peerId.toString())
}

async function posts (count: number, created: number, ttl: number, label: string): Promise<Uint8Array[]> {
  return await Promise.all(Array.from({ length: count }, async (_, i) =>
    (await buildEnvelope({ channel: CHANNEL, body: `${label} ${i}`, created, ttl, powBits: TEST_POW_BITS })).bytes))
}

/** An honest post of R's, dated on its clock as a builder would. */
async function honest (body: string): Promise<Uint8Array> {
  return (await buildEnvelope({ channel: CHANNEL, body, created: S - 60, ttl: 3600, powBits: TEST_POW_BITS })).bytes
}

async function meshed (a: Murmur, b: Murmur): Promise<void> {
  await b.libp2p.dial(a.getMultiaddrs().find((addr) => String(addr) === addressOf(a))!)
  const inMesh = (x: Murmur, y: Murmur): boolean => (x.libp2p.services.pubsub as unknown as GossipsubInternals).getMeshPeers(TOPIC).includes(y.peerId.toString())
  await waitFor(() => inMesh(a, b) && inMesh(b, a), 'the two nodes in each other\'s mesh', 60_000)
}

/** Public methods of the gossipsub service class that its interface type leaves out. */
interface GossipsubInternals {
  getMeshPeers(topic: string): string[]
  sendRpc(peer: string, rpc: { messages: Array<{ topic: string, data: Uint8Array }> }): boolean
}

/** The attacker's envelopes straight to `to`, in one RPC. */
function send (from: StockPeer, to: Murmur, envelopes: Uint8Array[]): void {
  (from.services.pubsub as unknown as GossipsubInternals).sendRpc(to.peerId.toString(), { messages: envelopes.map((data) => ({ topic: TOPIC, data })) })
}

/** Counts the posts a node stores from now on. */
function counting (node: Murmur): () => number {
  let stored = 0
  node.addEventListener('post', () => { stored++ })
  return () => stored
}

describe('posts at the edge of the time window, and neighbours whose clocks differ by a second or two', () => {
  let R: Murmur, behind: Murmur, ahead: Murmur, attacker: StockPeer
  const running: Array<{ stop(): void | Promise<void> }> = []
  let chargedBehind: Map<string, ErrorCode[]>, chargedAhead: Map<string, ErrorCode[]>
  let storedR: () => number

  beforeAll(async () => {
    await ready()
    R = await startNode({ channels: [CHANNEL], clock: clockR, stem: false })
    behind = await startNode({ channels: [CHANNEL], clock: () => clockR() - 1500, stem: false })
    ahead = await startNode({ channels: [CHANNEL], clock: () => clockR() + 2000, stem: false })
    attacker = await startStockPeer()
    running.push(R, behind, ahead, attacker)
    chargedBehind = chargedRefusals(behind)
    chargedAhead = chargedRefusals(ahead)
    storedR = counting(R)
    await meshed(R, behind)
    await meshed(R, ahead)
    await joinedStock(R, attacker, TOPIC)
  }, 180_000)
  afterAll(async () => { await stopAll(running) })

  it('posts dated up to 2 x MAX_CLOCK_SKEW ahead: a neighbour 1.5 s behind never charges R, and R\'s next post reaches it', async () => {
    const storedBehind = counting(behind)
    // created S + 120: R may pass these on (a clock 120 s behind still takes them); S + 240: R keeps them to itself
    const edge = [...await posts(BURST, S + 120, 3600, 'ahead'), ...await posts(BURST, S + 240, 3600, 'far ahead')]
    const before = storedR()
    send(attacker, R, edge)
    await waitFor(() => storedR() - before >= 2 * BURST, 'R to store the burst', 60_000)
    await waitFor(() => storedBehind() >= BURST, 'the neighbour behind to store the posts R passed on', 60_000)
    const arrived = nextPost(behind, (post) => post.body === 'after the early burst', 60_000)
    await R.libp2p.services.pubsub.publish(TOPIC, await honest('after the early burst'))
    await arrived
    expect(chargedBehind.get(R.peerId.toString()) ?? []).toEqual([])
    expect(isCutOff(behind, R)).toBe(false)
  }, 180_000)

  it('posts expiring in R\'s next second: a neighbour 2 s ahead never charges R, and R\'s next post reaches it', async () => {
    // expires at S + 1 (R reads S + 0.5): on the minute grid a little over an hour before
    const created = S - 3600 - 60
    const edge = await posts(BURST, created, S + 1 - created, 'expiring')
    const before = storedR()
    send(attacker, R, edge)
    await waitFor(() => storedR() - before >= BURST, 'R to store the burst', 60_000)
    const arrived = nextPost(ahead, (post) => post.body === 'after the expiring burst', 60_000)
    await R.libp2p.services.pubsub.publish(TOPIC, await honest('after the expiring burst'))
    await arrived
    expect(chargedAhead.get(R.peerId.toString()) ?? []).toEqual([])
    expect(isCutOff(ahead, R)).toBe(false)
  }, 180_000)

  it('history sync: R does not serve what is about to expire, so a node 2 s ahead that syncs from it never charges it', async () => {
    // R stores BURST posts about to expire (the test before), and an honest one it received
    const late = await startNode({ channels: [CHANNEL], clock: () => clockR() + 2000, stem: false })
    running.push(late)
    const chargedLate = chargedRefusals(late)
    const arrived = nextPost(late, (post) => post.body === 'after the expiring burst', 60_000)
    await late.libp2p.dial(R.getMultiaddrs().find((addr) => String(addr) === addressOf(R))!)
    await arrived
    // the session the connection started runs to its end first (a second one beside it would find its posts
    // already stored, duplicates it counts as ignored); then a session of its own, registered like any other
    const sync = (late as unknown as { sync: {
      running: Map<string, Promise<unknown>>
      maybeSyncWith: (peer: Murmur['peerId'], topic: string, cooldown: number) => Promise<{ ignored: number, rejected: number } | undefined>
    } }).sync
    await Promise.allSettled(sync.running.values())
    const report = await sync.maybeSyncWith(R.peerId, TOPIC, 0)
    expect(report).toMatchObject({ ignored: 0, rejected: 0 })
    expect(chargedLate.get(R.peerId.toString()) ?? []).toEqual([])
    expect(isCutOff(late, R)).toBe(false)
  }, 180_000)
})
