// Issue 12, Medium 9: a flooder that relays honest posts first has them charged to its address group.
// A peer this node dialed that delivers the same post too vouches for it (the store then evicts it
// only after what the flooder alone delivered); a second address of the flooder's that connects here
// must not, and one this node dialed only within its budget (VouchBudget, its scenarios in
// store-quota-relay.test.ts). The copies that vouch are gossip duplicates, which only gossipsub's
// delivery records show: this pins that contract with real gossipsub peers on loopback, the dialed
// ones listening on 127.0.0.2 and 127.0.0.3 to be address groups of their own.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { channelTopic, gossipMessageId, toHex } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { ChosenPeers, Corroboration, VOUCH_DELAY, VouchBudget } from '../src/corroboration.js'
import { InvalidMessageTracker, gossipMessageKey, murmurGossipsub } from '../src/gossip.js'
import { LOOPBACK, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { GossipSub, GossipsubOpts } from '@libp2p/gossipsub'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'

const TOPIC = channelTopic('#vouch')

/** A node with Murmur's gossipsub whose validator accepts everything and hands it to `vouches`. */
async function startVictim (): Promise<{ node: Libp2p<{ pubsub: GossipSub }>, vouched: string[] }> {
  const node = await createLibp2p({
    addresses: { listen: LOOPBACK },
    connectionManager: { inboundConnectionThreshold: 1_000 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: murmurGossipsub({ tracker: new InvalidMessageTracker() }) }
  })
  const vouched: string[] = []
  const vouches = new Corroboration({
    pubsub: node.services.pubsub,
    getConnections: (peer) => node.getConnections(peer),
    corroborate: async (id, group) => { vouched.push(`${toHex(id)} ${group}`); return true },
    log: logger('test:vouch')
  }, { floor: 0 })
  node.services.pubsub.topicValidators.set(TOPIC, (peer, message) => {
    // the post id stands in for the message id here: both are what the test published
    vouches.watch(gossipMessageKey(gossipMessageId(message.topic, message.data)), message.data, peer)
    return TopicValidatorResult.Accept
  })
  node.services.pubsub.subscribe(TOPIC)
  return { node, vouched }
}

/** A stock gossipsub peer listening on `host`, another loopback address than the victim's. */
async function startStockPeerOn (host: string, gossip: Partial<GossipsubOpts>): Promise<StockPeer> {
  return createLibp2p({
    addresses: { listen: [`/ip4/${host}/tcp/0`] },
    connectionManager: { inboundConnectionThreshold: 1_000 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', ...gossip }) }
  })
}

/** Who delivered `data` to `node`, as gossipsub's peer score records it (a class field, not on its interface type). */
function deliveries (node: Libp2p<{ pubsub: GossipSub }>, data: Uint8Array): { peers: Set<string> } | undefined {
  const score = (node.services.pubsub as unknown as { score: { deliveryRecords: { getRecord(id: string): { peers: Set<string> } | undefined } } }).score
  return score.deliveryRecords.getRecord(gossipMessageKey(gossipMessageId(TOPIC, data)))
}

/** `peer` publishes `data` once `node` is among its topic's subscribers. */
async function publishTo (peer: StockPeer, node: Libp2p, data: Uint8Array): Promise<void> {
  await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(node.peerId)), 'the victim to be subscribed')
  await peer.services.pubsub.publish(TOPIC, data)
}

describe('vouching by duplicates', () => {
  const cleanup = cleanedAfterEach()

  it('a dialed peer\'s duplicate vouches for a post another peer delivered first, within its budget; a peer that connected here does not', async () => {
    const { node, vouched } = await startVictim()
    cleanup.running.push(node)
    // the later copies come from peers that got the post elsewhere: they must not take this node's forward for it
    const elsewhere = { msgIdFn: () => crypto.getRandomValues(new Uint8Array(32)) }
    const [flooder, flooderTwo, honest, sybil] = await Promise.all([startStockPeer(), startStockPeer(elsewhere), startStockPeerOn('127.0.0.2', elsewhere), startStockPeerOn('127.0.0.3', elsewhere)])
    cleanup.running.push(flooder, flooderTwo, honest, sybil)
    for (const peer of [flooder, flooderTwo, honest, sybil]) peer.services.pubsub.subscribe(TOPIC)
    // the flooder and its second address connect here; this node dials the honest peer and a sybil of the flooder's
    await flooder.dial(node.getMultiaddrs()[0]!)
    await flooderTwo.dial(node.getMultiaddrs()[0]!)
    await node.dial(honest.getMultiaddrs()[0]!)
    await node.dial(sybil.getMultiaddrs()[0]!)

    /** The flooder delivers `text` first, then `second` a duplicate; resolves once the duplicate is recorded. */
    const relay = async (text: string, second: StockPeer): Promise<Uint8Array> => {
      const data = new TextEncoder().encode(text)
      const record = (): { peers: Set<string> } | undefined => deliveries(node, data)
      await publishTo(flooder, node, data)
      await waitFor(() => record() !== undefined, 'the first copy')
      await publishTo(second, node, data)
      await waitFor(() => record()?.peers.has(second.peerId.toString()) === true, 'the duplicate to be recorded')
      return data
    }
    const settled = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, VOUCH_DELAY * 2)) }

    const relayed = await relay('an honest post the flooder relays first', honest)
    await waitFor(() => vouched.length > 0, 'the dialed peer\'s vouch', VOUCH_DELAY + 10_000)
    expect(vouched).toEqual([`${toHex(relayed)} ip4/127.0.0.2`])

    await relay('a flood post its second address delivers again', flooderTwo)
    await settled()
    expect(vouched).toHaveLength(1)

    // the dialed sybil may duplicate as many of the flooder's posts as the honest dialed peer did (one)
    const first = await relay('a flood post its dialed sybil delivers again', sybil)
    await waitFor(() => vouched.length > 1, 'the sybil\'s vouch within its budget', VOUCH_DELAY + 10_000)
    expect(vouched[1]).toBe(`${toHex(first)} ip4/127.0.0.3`)
    await relay('another flood post its dialed sybil delivers again', sybil)
    await settled()
    expect(vouched).toHaveLength(2)
  })
})

describe('VouchBudget', () => {
  const SENDER = 'ip4/10.66.0.1'
  const HONEST = 'ip4/192.0.2.1'
  const SYBIL = 'ip4/10.66.1.1'

  it('holds the group duplicating more of a sender\'s posts to the median one, past the floor', () => {
    const budget = new VouchBudget({ floor: 2 })
    expect(budget.judge(SENDER, [SENDER], 0)).toBeUndefined()
    expect(budget.judge(SENDER, [HONEST], 0)).toBe(HONEST)
    for (let i = 0; i < 2; i++) expect(budget.judge(SENDER, [SYBIL], 0)).toBe(SYBIL)
    // three duplicates against the honest group's one: over the floor and the median
    expect(budget.judge(SENDER, [SYBIL], 0)).toBeUndefined()
    // a post both delivered vouches by the one within budget
    expect(budget.judge(SENDER, [SYBIL, HONEST], 0)).toBe(HONEST)
    // the counts are per sender
    expect(budget.judge('ip4/10.66.0.9', [SYBIL], 0)).toBe(SYBIL)
  })

  it('counts the last one to two windows, and at most `senders` senders', () => {
    const budget = new VouchBudget({ floor: 0, window: 1_000, senders: 2 })
    expect(budget.judge(SENDER, [HONEST], 0)).toBe(HONEST)
    expect(budget.judge(SENDER, [SYBIL], 0)).toBe(SYBIL)
    expect(budget.judge(SENDER, [SYBIL], 1_500)).toBeUndefined() // 2 against 1, the last window counted
    expect(budget.judge(SENDER, [SYBIL], 3_600)).toBe(SYBIL) // two windows later, forgotten
    expect(budget.judge(SENDER, [HONEST], 3_600)).toBe(HONEST)
    expect(budget.judge(SENDER, [SYBIL], 3_600)).toBeUndefined()
    // two other senders push out the least recent one's counts
    expect(budget.judge('ip4/10.66.0.8', [HONEST], 3_600)).toBe(HONEST)
    expect(budget.judge('ip4/10.66.0.9', [HONEST], 3_600)).toBe(HONEST)
    expect(budget.judge(SENDER, [SYBIL], 3_600)).toBe(SYBIL)
  })
})

describe('ChosenPeers', () => {
  it('holds the connections it was given and the outbound ones to bootstrap peers, not a PeerId that answered on one', async () => {
    const [boot, drawn, other] = await Promise.all(Array.from({ length: 3 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const connection = (remotePeer: PeerId, direction: 'inbound' | 'outbound' = 'outbound'): Connection => ({ remotePeer, direction, status: 'open' }) as unknown as Connection
    const chosen = new ChosenPeers([`/ip4/192.0.2.7/tcp/4001/p2p/${boot!.toString()}`, 'not a multiaddr', '/ip4/192.0.2.8/tcp/4001'])
    const drawnConnection = connection(drawn!)
    chosen.add(drawnConnection)
    expect([connection(boot!), drawnConnection, connection(drawn!), connection(other!), connection(boot!, 'inbound')].map((c) => chosen.chose(c)))
      .toEqual([true, true, false, false, false])
  })
})
