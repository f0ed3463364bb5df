// Issue 12, Medium 9: a flooder that relays honest posts first has them charged to its address group.
// A peer this node dialed that delivers the same post too vouches for it (the store then evicts it
// only after what the flooder alone delivered); a second address of the flooder's that connects here
// must not. The copies that vouch are gossip duplicates, which only gossipsub's delivery records show:
// this pins that contract with real gossipsub peers on loopback.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { channelTopic, gossipMessageId, toHex } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { Corroboration, VOUCH_DELAY } from '../src/corroboration.js'
import { InvalidMessageTracker, gossipMessageKey, murmurGossipsub } from '../src/gossip.js'
import { LOOPBACK, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'

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
  })
  node.services.pubsub.topicValidators.set(TOPIC, (peer, message) => {
    // the post id stands in for the message id here: both are what the test published
    vouches.watch(gossipMessageKey(gossipMessageId(message.topic, message.data)), message.data, peer)
    return TopicValidatorResult.Accept
  })
  node.services.pubsub.subscribe(TOPIC)
  return { node, vouched }
}

/** `peer` publishes `data` once `node` is among its topic's subscribers. */
async function publishTo (peer: StockPeer, node: Libp2p, data: Uint8Array): Promise<void> {
  await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(node.peerId)), 'the victim to be subscribed')
  await peer.services.pubsub.publish(TOPIC, data)
}

describe('vouching by duplicates', () => {
  const cleanup = cleanedAfterEach()

  it('a dialed peer\'s duplicate vouches for a post another peer delivered first; a peer that connected here does not', async () => {
    const { node, vouched } = await startVictim()
    cleanup.running.push(node)
    // the later copies come from peers that got the post elsewhere: they must not take this node's forward for it
    const elsewhere = { msgIdFn: () => crypto.getRandomValues(new Uint8Array(32)) }
    const [flooder, flooderTwo, honest] = await Promise.all([startStockPeer(), startStockPeer(elsewhere), startStockPeer(elsewhere)])
    cleanup.running.push(flooder, flooderTwo, honest)
    for (const peer of [flooder, flooderTwo, honest]) peer.services.pubsub.subscribe(TOPIC)
    // the flooder and its second address connect here; this node dials the honest peer
    await flooder.dial(node.getMultiaddrs()[0]!)
    await flooderTwo.dial(node.getMultiaddrs()[0]!)
    await node.dial(honest.getMultiaddrs()[0]!)

    const relayed = new TextEncoder().encode('an honest post the flooder relays first')
    await publishTo(flooder, node, relayed)
    await waitFor(() => node.services.pubsub.score.deliveryRecords.getRecord(gossipMessageKey(gossipMessageId(TOPIC, relayed))) !== undefined, 'the first copy')
    await publishTo(honest, node, relayed)
    await waitFor(() => vouched.length > 0, 'the dialed peer\'s vouch', VOUCH_DELAY + 10_000)
    expect(vouched).toEqual([`${toHex(relayed)} ip4/127.0.0.1`])

    const flood = new TextEncoder().encode('a flood post its second address delivers again')
    await publishTo(flooder, node, flood)
    await waitFor(() => node.services.pubsub.score.deliveryRecords.getRecord(gossipMessageKey(gossipMessageId(TOPIC, flood))) !== undefined, 'the first copy')
    await publishTo(flooderTwo, node, flood)
    await waitFor(() => node.services.pubsub.score.deliveryRecords.getRecord(gossipMessageKey(gossipMessageId(TOPIC, flood)))?.peers.size === 1, 'the duplicate to be recorded')
    await new Promise((resolve) => setTimeout(resolve, VOUCH_DELAY * 2))
    expect(vouched).toHaveLength(1)
  })
})
