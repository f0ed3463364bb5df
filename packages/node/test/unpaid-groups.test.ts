/**
 * Eighth adversarial read of issue 12, A-M1: the budget of free refusals (expired, too early, a stale
 * epoch: refused before any proof of work, Ignored because an honest forwarder with a clock off sends
 * them) and the cut-off were counted per PeerId alone, so an attacker reconnecting from one address under
 * 8 fresh PeerIds had 8 × 20 free refusals (8 × 24 checks with the rejections before each cut-off). Past
 * a peer's own UNPAID_OWN, its free refusals now draw on its address group's GROUP_UNPAID_IGNORES — and
 * a crowd behind one address (issue 12, Critical) keeps what each of its honest members needs.
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT, GROUP_UNPAID_IGNORES, InvalidMessageTracker, UNPAID_IGNORES, UNPAID_OWN } from '../src/gossip.js'
import { TEST_POW_BITS, cleanedAfterEach, countGossipChecks, joinedStock, startNode, startStockPeer, waitFor } from './harness.js'
import { expiredEnvelopes } from './unpaid-fixtures.js'
import type { Cleanup, StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#unpaid-groups'
const TOPIC = channelTopic(CHANNEL)
/** PeerIds the attacker makes up at its one address. */
const FRESH = 8
/** Envelopes each of them sends: past its own budget and the cut-off together. */
const FLOOD = 30
/** Honest members of a crowd behind one address. */
const CROWD = 20

/** The node's tracker, its free refusals (Ignored time refusals) counted. */
function countFreeRefusals (node: Murmur): { tracker: InvalidMessageTracker, free: () => number } {
  const tracker = (node as unknown as { tracker: InvalidMessageTracker }).tracker
  const refusal = tracker.refusal.bind(tracker)
  let free = 0
  tracker.refusal = (peer, code, now) => {
    const verdict = refusal(peer, code, now)
    if (verdict === 'ignore' && code === 'ERR_EXPIRED') free++
    return verdict
  }
  return { tracker, free: () => free }
}

/** `count` stock peers on 127.0.0.1 (one address group), each joined to the node's topic. */
async function swarm (cleanup: Cleanup, node: Murmur, count: number): Promise<StockPeer[]> {
  const peers: StockPeer[] = []
  for (let i = 0; i < count; i++) {
    const peer = await startStockPeer()
    cleanup.running.push(peer)
    await joinedStock(node, peer, TOPIC)
    peers.push(peer)
  }
  return peers
}

function send (peer: StockPeer, node: Murmur, messages: Uint8Array[]): void {
  const sender = peer.services.pubsub as unknown as { sendRpc(peer: string, rpc: { messages: Array<{ topic: string, data: Uint8Array }> }): boolean }
  sender.sendRpc(node.peerId.toString(), { messages: messages.map((data) => ({ topic: TOPIC, data })) })
}

describe('free refusals per address group', () => {
  const cleanup = cleanedAfterEach()

  it('the tracker: PeerIds made up at one address share one budget past their own few; a peer alone keeps all of it', () => {
    const tracker = new InvalidMessageTracker({ groupOf: (peer) => peer.startsWith('fresh-') ? 'ip4/192.0.2.66' : `ip4/198.51.100.${peer.length}` })
    const now = 1_000_000
    let free = 0
    for (let i = 0; i < FRESH; i++) {
      for (let n = 0; n < FLOOD; n++) if (tracker.refusal(`fresh-${i}`, 'ERR_EXPIRED', now) === 'ignore') free++
    }
    expect(free).toBe(FRESH * UNPAID_OWN + GROUP_UNPAID_IGNORES)
    // alone at its address: the whole budget, as before
    const alone = Array.from({ length: FLOOD }, () => tracker.refusal('lone', 'ERR_EXPIRED', now))
    expect(alone.filter((v) => v === 'ignore')).toHaveLength(UNPAID_IGNORES)
  })

  it(`${FRESH} fresh PeerIds from one address get no more than ${FRESH} × UNPAID_OWN + GROUP_UNPAID_IGNORES free refusals, and each is cut off`, async () => {
    const node = await startNode({ channels: [CHANNEL] })
    cleanup.running.push(node)
    const { free } = countFreeRefusals(node)
    const checks = countGossipChecks(node)
    const attackers = await swarm(cleanup, node, FRESH)
    const flood = await expiredEnvelopes(CHANNEL, FRESH * FLOOD)
    attackers.forEach((peer, i) => { send(peer, node, flood.slice(i * FLOOD, (i + 1) * FLOOD)) })
    await waitFor(() => attackers.every((peer) => node.libp2p.getConnections(peer.peerId).length === 0), 'every made-up PeerId cut off and hung up on', 60_000)
    // per PeerId alone: 8 × 20 free refusals, 8 × 24 checks
    expect(free()).toBeLessThanOrEqual(FRESH * UNPAID_OWN + GROUP_UNPAID_IGNORES)
    // each: its own few, the rejections to its cut-off (one more: the count decays a little between them), the group's once
    expect(checks()).toBeLessThanOrEqual(FRESH * (UNPAID_OWN + CUT_OFF_COUNT + 2) + GROUP_UNPAID_IGNORES)
  }, 90_000)

  it(`${CROWD} honest peers behind one address, each sending one post refused for time and one fresh post: every post taken, nobody penalised`, async () => {
    const node = await startNode({ channels: [CHANNEL] })
    cleanup.running.push(node)
    const { tracker, free } = countFreeRefusals(node)
    const crowd = await swarm(cleanup, node, CROWD)
    const stale = await expiredEnvelopes(CHANNEL, CROWD)
    const posts = await Promise.all(crowd.map(async (_, i) => (await buildEnvelope({ channel: CHANNEL, body: `crowd ${i}`, powBits: TEST_POW_BITS })).bytes))
    const bodies = new Set<string>()
    node.addEventListener('post', (evt) => { bodies.add(evt.detail.body) })
    crowd.forEach((peer, i) => { send(peer, node, [stale[i]!, posts[i]!]) })
    await waitFor(() => bodies.size === CROWD, `the ${CROWD} crowd posts stored`, 60_000)
    expect(free()).toBe(CROWD)
    for (const peer of crowd) {
      expect(tracker.current(peer.peerId.toString())).toBe(0)
      expect(node.libp2p.getConnections(peer.peerId).length).toBeGreaterThan(0)
    }
  }, 90_000)
})
