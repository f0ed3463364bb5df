/**
 * A peer cut off partway through one gossip batch must not hide the genuine posts of that batch (sixth
 * read of issue 12, H1; /tmp/s7/rvA/cutoff-seen.mjs). A stock gossipsub peer sends junk then a genuine
 * post in one RPC; the junk cuts it off. gossipsub marks a message seen (two minutes) before its topic
 * validator runs, so a validator answering Ignore for the genuine post, its sender being cut off by
 * then, made the node drop the honest mesh peer's copy as a duplicate: it came 44 s later by history
 * sync instead of at once. Here sync is off: the post can only come by gossip, from the honest peer.
 */
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT } from '../src/gossip.js'
import { gateCutOff, GOSSIP_PEER_TURNS, GossipsubContractError } from '../src/gossip-cutoff.js'
import { cleanedAfterEach, nextPost, sendRpc, startNode, startStockPeer, TEST_POW_BITS, waitFor } from './harness.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const CHANNEL = '#cutoff-seen'
const TOPIC = channelTopic(CHANNEL)
/** Junk messages in front of the genuine post: far more than the cut-off takes. */
const JUNK = 20

describe('a peer cut off partway through a gossip batch', () => {
  const { running } = cleanedAfterEach()

  it('gets at most CUT_OFF_COUNT + GOSSIP_PEER_TURNS of its batch checked, and the genuine post it carried is taken from an honest peer at once', async () => {
    const victim = await startNode({ channels: [CHANNEL], sync: false })
    running.push(victim)
    const honest = await startNode({ channels: [CHANNEL], sync: false, bootstrap: [victim.getMultiaddrs()[0]!.toString()] })
    running.push(honest)
    const attacker = await startStockPeer()
    running.push(attacker)
    attacker.services.pubsub.subscribe(TOPIC)
    await attacker.dial(victim.getMultiaddrs()[0]!)
    await attacker.dial(honest.getMultiaddrs()[0]!)
    const pubsub = victim.libp2p.services.pubsub
    await waitFor(() => [honest.peerId, attacker.peerId].every((id) => pubsub.getSubscribers(TOPIC).some((p) => p.equals(id))), 'the victim sees the honest peer and the attacker in the channel')
    await waitFor(() => attacker.services.pubsub.getSubscribers(TOPIC).length >= 2, 'the attacker sees both in the channel')
    await waitFor(() => honest.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(attacker.peerId)), 'the honest peer sees the attacker in the channel')

    // every message of the attacker's that gossipsub hands the victim's validator
    const validator = pubsub.topicValidators.get(TOPIC)!
    let checked = 0
    pubsub.topicValidators.set(TOPIC, async (from, message) => {
      if (from.equals(attacker.peerId)) checked++
      return await validator(from, message)
    })

    const genuine = await buildEnvelope({ channel: CHANNEL, body: `genuine, behind junk ${Date.now()}`, powBits: TEST_POW_BITS })
    const junk = Array.from({ length: JUNK }, (_, i) => ({ topic: TOPIC, data: Uint8Array.from({ length: 64 }, (_, j) => (i * 64 + j) * 37 % 256) }))
    expect(sendRpc(attacker, victim, [...junk, { topic: TOPIC, data: genuine.bytes }])).toBe(true)
    await waitFor(() => victim.libp2p.getConnections(attacker.peerId).length === 0, 'the victim cuts the attacker off and hangs up')
    // GOSSIP_PEER_TURNS are judged at once, each next one starting as one is judged, until the cut-off
    expect(checked).toBeLessThanOrEqual(CUT_OFF_COUNT + GOSSIP_PEER_TURNS)

    // the attacker hands the same post to the honest peer, whose copy reaches the victim by gossip
    const arrived = nextPost(victim, (post) => post.id === toHex(genuine.id), 30_000)
    expect(sendRpc(attacker, honest, [{ topic: TOPIC, data: genuine.bytes }])).toBe(true)
    await nextPost(honest, (post) => post.id === toHex(genuine.id))
    expect((await arrived).id).toBe(toHex(genuine.id))
  }, 120_000)
})

describe('gateCutOff', () => {
  /** A stand-in for gossipsub's per-message handler: each call waits until the test lets it finish. */
  function fakeGossipsub (): { pubsub: GossipSub, started: string[], finish: Map<string, () => void> } {
    const started: string[] = []
    const finish = new Map<string, () => void>()
    const pubsub = {
      async handleReceivedMessage (_from: PeerId, message: { data: string }) {
        started.push(message.data)
        await new Promise<void>((resolve) => { finish.set(message.data, resolve) })
      },
      msgIdFn: () => new Uint8Array(32),
      msgIdToStrFn: () => '',
      gossipTracer: { size: 0, deliverMessage: () => {} }
    }
    return { pubsub: pubsub as unknown as GossipSub, started, finish }
  }
  /** Lets every message handed over finish, those handed over meanwhile too, until `count` were; then every call settles. */
  async function drain (started: string[], finish: Map<string, () => void>, handled: Array<Promise<void>>, count: number): Promise<void> {
    await waitFor(() => {
      for (const data of started) finish.get(data)?.()
      return started.length === count
    }, `${count} messages handed over`, 5_000, 5)
    for (const data of started) finish.get(data)?.()
    await Promise.all(handled)
  }
  const peer = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId
  const handle = (pubsub: GossipSub, from: string, data: string): Promise<void> =>
    (pubsub as unknown as { handleReceivedMessage(from: PeerId, message: { data: string }): Promise<void> }).handleReceivedMessage(peer(from), { data })

  it('hands one peer\'s messages over one at a time (peerTurns 1), others\' meanwhile, and drops a cut-off peer\'s unseen', async () => {
    const { pubsub, started, finish } = fakeGossipsub()
    const cutOff = new Set<string>()
    gateCutOff(pubsub, { isCutOff: (p) => cutOff.has(p), peerTurns: 1 })
    const a1 = handle(pubsub, 'a', 'a1')
    const a2 = handle(pubsub, 'a', 'a2')
    const b1 = handle(pubsub, 'b', 'b1')
    await waitFor(() => started.length === 2, 'a1 and b1 handed over')
    expect(started).toEqual(['a1', 'b1'])
    // a1 turns out to be junk that cuts a off: a2, waiting behind it, never reaches gossipsub
    cutOff.add('a')
    finish.get('a1')!()
    await a1
    await a2
    finish.get('b1')!()
    await b1
    expect(started).toEqual(['a1', 'b1'])
  })

  it('judges GOSSIP_PEER_TURNS of one peer at once, in order, and drops the oldest waiting unseen past the waiting bound', async () => {
    const { pubsub, started, finish } = fakeGossipsub()
    const dropped: string[] = []
    gateCutOff(pubsub, { isCutOff: () => false, peerWaiting: 2, onDropped: (p) => { dropped.push(p) } })
    const messages = Array.from({ length: GOSSIP_PEER_TURNS + 3 }, (_, i) => `a${i}`)
    const handled = messages.map(async (data) => { await handle(pubsub, 'a', data) })
    await waitFor(() => started.length === GOSSIP_PEER_TURNS, 'the first turns handed over')
    // three waited with room for two: the oldest of them is dropped, never handed over
    expect(dropped).toEqual(['a'])
    await handled[GOSSIP_PEER_TURNS]
    finish.get('a0')!()
    await waitFor(() => started.length === GOSSIP_PEER_TURNS + 1, 'the next waiting message takes the freed turn')
    expect(started).toEqual([...messages.slice(0, GOSSIP_PEER_TURNS), messages[GOSSIP_PEER_TURNS + 1]])
    for (const data of messages) finish.get(data)?.()
    await waitFor(() => started.length === GOSSIP_PEER_TURNS + 2, 'the last one handed over')
    for (const data of messages) finish.get(data)?.()
    await Promise.all(handled)
    expect(started).not.toContain(messages[GOSSIP_PEER_TURNS])
  })

  it('hands the node\'s turns round-robin: a peer with one message waits for one of a long line, not for the line', async () => {
    const { pubsub, started, finish } = fakeGossipsub()
    gateCutOff(pubsub, { isCutOff: () => false, turns: 2, peerTurns: 4 })
    const flood = Array.from({ length: 6 }, (_, i) => `f${i}`)
    const handled = flood.map(async (data) => { await handle(pubsub, 'flooder', data) })
    await waitFor(() => started.length === 2, 'the first two turns handed over')
    handled.push(handle(pubsub, 'honest', 'h'))
    finish.get('f0')!()
    await waitFor(() => started.length === 3, 'the freed turn handed over')
    finish.get('f1')!()
    await waitFor(() => started.length === 4, 'the next freed turn handed over')
    // the honest message took the second turn freed, not the turn after the flooder's whole line
    expect(started).toEqual(['f0', 'f1', 'f2', 'h'])
    await drain(started, finish, handled, 7)
  })

  it('hands the turns round-robin over address groups first: PeerIds made up at one address share one group\'s part', async () => {
    const { pubsub, started, finish } = fakeGossipsub()
    gateCutOff(pubsub, { isCutOff: () => false, turns: 1, groupOf: (p) => p.toString().startsWith('sybil') ? 'ip4/192.0.2.66' : 'ip4/198.51.100.7' })
    const handled = [0, 1, 2, 3].flatMap((s) => [0, 1].map(async (i) => { await handle(pubsub, `sybil${s}`, `s${s}.${i}`) }))
    await waitFor(() => started.length === 1, 'the first turn handed over')
    handled.push(handle(pubsub, 'honest', 'h'))
    finish.get(started[0]!)!()
    await waitFor(() => started.length === 2, 'the freed turn handed over')
    finish.get(started[1]!)!()
    await waitFor(() => started.length === 3, 'the next freed turn handed over')
    // the sybils' group was in the rotation first, then the honest peer's gets its turn, however many
    // PeerIds the other group has waiting (by peer, it would wait for all four)
    expect(started.slice(0, 3)).toEqual(['s0.0', 's1.0', 'h'])
    await drain(started, finish, handled, 9)
  })

  it('refuses, by name, a gossipsub without the handler it wraps or the promise tracer it keeps promises with', () => {
    expect(() => gateCutOff({} as unknown as GossipSub, { isCutOff: () => false })).toThrow(GossipsubContractError)
    const { pubsub } = fakeGossipsub()
    delete (pubsub as unknown as { gossipTracer?: unknown }).gossipTracer
    expect(() => gateCutOff(pubsub, { isCutOff: () => false })).toThrow(GossipsubContractError)
  })
})
