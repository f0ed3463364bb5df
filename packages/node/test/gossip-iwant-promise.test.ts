/**
 * gateCutOff (gossip-cutoff.ts) hands one peer's gossip messages to gossipsub one at a time. gossipsub
 * counts an IWANT promise kept only once the promised message has been validated: an honest peer that
 * answers this node's IWANT with a burst of 64-member ring posts (each ~30 ms to verify, idle) had its
 * promise broken whenever the burst took longer to judge in turn than gossipsub's follow-up time (3 s):
 * a P7 behaviour penalty of -10 per broken promise (three graylist it) for this node's own slowness.
 * go-libp2p counts a promise kept once the message begins validation; so does the gate now, on arrival.
 * Here the burst's first check is held (a slow check on a loaded machine) past the follow-up time.
 */
import { buildEnvelope, channelTopic, compareBytes, generateAuthorKey, gossipMessageId, ready, toHex } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { cleanedAfterEach, joinedStock, startNode, startStockPeer, TEST_POW_BITS, waitFor } from './harness.js'
import type { Murmur, PostView } from '../src/index.js'
import type { PeerId } from '@libp2p/interface'

const CHANNEL = '#iwant'
const TOPIC = channelTopic(CHANNEL)
const BURST = 4
const RING = 64
/** gossipsub's follow-up time on the victim, shortened from 3 s so that the test waits less (penalties are applied each 1 s heartbeat). */
const FOLLOW_UP = 500

/** `count` posts over one ring of `members` members, each signed in a slot of its own. */
async function ringPosts (members: number, count: number): Promise<Uint8Array[]> {
  const keys = Array.from({ length: members }, () => generateAuthorKey())
  const ring = keys.map((key) => key.publicKey).sort(compareBytes)
  const posts: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    posts.push((await buildEnvelope({ channel: CHANNEL, body: `burst ${i}`, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: i, weekSlot: i } })).bytes)
  }
  return posts
}

/**
 * gossipsub internals the test reaches: the victim's IWANT tracer and its P7 counter per peer (the score
 * itself hides one broken promise under a chosen peer's bonus), the stock peer's IWANT answer and RPC sender.
 */
interface GossipsubInternals {
  gossipTracer: { gossipsubIWantFollowupMs: number }
  score: { peerStats: Map<string, { behaviourPenalty: number }> }
  handleIWant(id: string, iwant: Array<{ messageIDs?: Uint8Array[] }>): Array<{ topic: string, data: Uint8Array }>
  sendRpc(peer: string, rpc: object): boolean
}

describe('an honest peer answering an IWANT with a burst of 64-member ring posts', () => {
  const { running } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it('keeps its promise however long the burst takes to judge, and every post is taken', async () => {
    const victim: Murmur = await startNode({ channels: [CHANNEL], sync: false, membership: false })
    running.push(victim)
    const honest = await startStockPeer()
    running.push(honest)
    await joinedStock(victim, honest, TOPIC)
    const posts = await ringPosts(RING, BURST)
    const byId = new Map(posts.map((data) => [toHex(gossipMessageId(TOPIC, data)), data]))

    const pubsub = victim.libp2p.services.pubsub
    ;(pubsub as unknown as GossipsubInternals).gossipTracer.gossipsubIWantFollowupMs = FOLLOW_UP
    // the honest peer answers from its cache: every post it advertised and is asked for
    const stock = honest.services.pubsub as unknown as GossipsubInternals
    let asked = 0
    stock.handleIWant = (_id, iwant) => iwant.flatMap(({ messageIDs }) => (messageIDs ?? []).flatMap((id) => {
      const data = byId.get(toHex(id))
      if (data !== undefined) asked++
      return data === undefined ? [] : [{ topic: TOPIC, data }]
    }))
    // the victim's first check of the burst is slow
    const intake = (victim as unknown as { intake: { verify: (...args: unknown[]) => Promise<unknown> } }).intake
    const verify = intake.verify.bind(intake)
    let release = (): void => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    let holding = true
    intake.verify = async (...args) => {
      if (args[2] === 'gossip' && holding) {
        holding = false
        await held
      }
      return await verify(...args)
    }
    const taken = new Set<string>()
    victim.addEventListener('post', (evt: CustomEvent<PostView>) => { taken.add(evt.detail.id) })

    expect(stock.sendRpc(victim.peerId.toString(), { subscriptions: [], messages: [], control: { ihave: [{ topicID: TOPIC, messageIDs: posts.map((data) => gossipMessageId(TOPIC, data)) }], iwant: [], graft: [], prune: [], idontwant: [] } })).toBe(true)
    await waitFor(() => asked === BURST, 'the victim to ask for the whole burst')
    // past the follow-up time and a heartbeat or two: a broken promise shows as a behaviour penalty (P7)
    const penaltyOf = (peer: PeerId): number => (pubsub as unknown as GossipsubInternals).score.peerStats.get(peer.toString())?.behaviourPenalty ?? 0
    const broken = await waitFor(() => penaltyOf(honest.peerId) > 0, 'a broken promise', FOLLOW_UP + 2_000, 50).then(() => true, () => false)
    release()
    await waitFor(() => taken.size === BURST, 'every post of the burst taken')
    expect(broken).toBe(false)
  }, 60_000)
})
