/**
 * "Dialed" means chosen by this node: the storers a rendezvous lookup asks and the peers kad-dht's
 * queries dial are the DHT's choice, so they must never count as dialed peers (stem successors,
 * discovery and rendezvous targets, vouches), and a connection opened only to ask a storer is closed
 * once it answered (review 4, High 3: /tmp/rv4b1-keep/storer-dials.mjs).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { logger } from '@libp2p/logger'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { channelTopic } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'
import { ChosenPeers } from '../src/corroboration.js'
import { createProviderLookup } from '../src/provider-lookup.js'
import { topicCid } from '../src/rendezvous.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { ids } from './rendezvous-fixtures.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'

type DhtNode = Libp2p<{ dht: KadDHT }>
const dhtNode = async (clientMode: boolean): Promise<DhtNode> => createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode, peerInfoMapper: passthroughMapper }) }
})
const connection = (remotePeer: PeerId, direction: 'inbound' | 'outbound', status = 'open'): Connection =>
  ({ remotePeer, direction, status }) as unknown as Connection

describe('chosen peers are the one source of "dialed"', () => {
  const { running } = cleanedAfterEach()

  it('an outbound connection alone does not make a peer dialed: only a connection this node chose counts', async () => {
    const [boot, drawn, storer, inbound] = await ids(4)
    const chosen = new ChosenPeers([`/ip4/203.0.113.1/tcp/4001/p2p/${boot!.toString()}`])
    const drawnConnection = connection(drawn!, 'outbound')
    chosen.add(drawnConnection)
    const inboundConnection = connection(inbound!, 'inbound')
    chosen.add(inboundConnection)
    const connections = [
      connection(boot!, 'outbound'),
      drawnConnection, connection(drawn!, 'outbound'),
      // a storer the DHT had this node dial, and a peer that connected to us
      connection(storer!, 'outbound'),
      inboundConnection
    ]
    expect(chosen.dialed(boot!, connections)).toBe(true)
    expect(chosen.dialed(drawn!, connections)).toBe(true)
    expect(chosen.dialed(storer!, connections)).toBe(false)
    expect(chosen.dialed(inbound!, connections)).toBe(false)
    expect(chosen.dialedCount(connections)).toBe(2)
    // the drawn peer's chosen connection closing: another outbound one to it (a DHT query's) is not chosen
    expect(chosen.dialed(drawn!, [connection(drawn!, 'outbound')])).toBe(false)
    expect(chosen.dialed(drawn!, [{ ...drawnConnection, status: 'closing' } as unknown as Connection])).toBe(false)
  })

  it('a storer connection opened only for the lookup is closed once the storer answered; one open before, or to a chosen peer, is kept', async () => {
    const storer = await dhtNode(false)
    const victim = await dhtNode(true)
    running.push(storer, victim)
    const key = await topicCid(channelTopic('#chosen'))
    // the storer in the victim's routing table, then no connection left between them
    await victim.dial(storer.getMultiaddrs()[0]!)
    await waitFor(async () => {
      for await (const event of victim.services.dht.getClosestPeers(key.multihash.bytes, { signal: AbortSignal.timeout(5_000) })) {
        if (event.name === 'FINAL_PEER' && event.peer.id.equals(storer.peerId)) return true
      }
      return false
    }, 'the storer in the victim\'s routing table')
    await victim.hangUp(storer.peerId)
    await waitFor(() => victim.getConnections(storer.peerId).length === 0, 'hung up')

    let chosenStorer = false
    const lookup = createProviderLookup({
      dht: victim.services.dht,
      peerId: victim.peerId,
      dialProtocol: async (peer, protocol, options) => victim.dialProtocol(peer, protocol, options),
      getConnections: (peer) => victim.getConnections(peer),
      chosen: () => chosenStorer,
      log: logger('murmur:test')
    }, { peerInfoMapper: passthroughMapper })

    const answers = await lookup.find(key, { signal: AbortSignal.timeout(30_000) })
    expect(answers.map((a) => a.from.toString())).toEqual([storer.peerId.toString()])
    await waitFor(() => victim.getConnections(storer.peerId).length === 0, 'the storer connection closed after its answer')

    // open before the lookup: someone else's, kept
    await victim.dial(storer.getMultiaddrs()[0]!)
    await lookup.find(key, { signal: AbortSignal.timeout(30_000) })
    expect(victim.getConnections(storer.peerId).filter((c) => c.status === 'open').length).toBeGreaterThan(0)
    await victim.hangUp(storer.peerId)
    await waitFor(() => victim.getConnections(storer.peerId).length === 0, 'hung up')

    // a storer this node chose (drawn as a provider meanwhile): kept
    chosenStorer = true
    await lookup.find(key, { signal: AbortSignal.timeout(30_000) })
    expect(victim.getConnections(storer.peerId).filter((c) => c.status === 'open').length).toBeGreaterThan(0)
  }, 120_000)
})
