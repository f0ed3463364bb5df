/**
 * Channel-provider dials squatted (review R7, High 2; /tmp/rv11/rdvsquat.mjs): stock ADD_PROVIDER records
 * of fake PeerIds claim honest hosts' IPs at closed ports, and sybil storers on one address answer with
 * the sybils' records. The rendezvous drew its dials by group each round, as if nothing had been dialed:
 * a group already holding a peer in the topic kept its chance, a group whose records failed got none
 * more, no failure was remembered, and every sybil storer had a budget of its own. The reviewer's model
 * put the sybils at 0.82 of the dialed topic peers with 20 fakes per honest IP, against a group share of
 * 1/6. Real libp2p peers on loopback: five honest hosts (127.0.0.2-6), ten sybils on one (127.0.0.9),
 * an honest storer (127.0.0.20) holding every record, three sybil storers on one address (127.0.0.21),
 * and a victim (127.0.0.1) running a real kad-dht, the provider lookup and dialDrawn as the node does.
 */
import { identify } from '@libp2p/identify'
import { logger } from '@libp2p/logger'
import { channelTopic } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { RENDEZVOUS_TARGET_PEERS } from '../src/constants.js'
import { dialDrawn } from '../src/discovery-dial.js'
import type { ProviderInfo } from '../src/kad-providers.js'
import { TopicRendezvous, topicCid } from '../src/rendezvous.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { answering, bytes, ids, lookupOf, loopbackNode, reachStorers, stubStorer } from './rendezvous-fixtures.js'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const TOPIC = channelTopic('#squat')
const HONEST = 5
const SYBILS = 10

const host = async (ip: string): Promise<Libp2p<{ identify: Identify }>> => createLibp2p({ ...loopbackNode(ip), services: { identify: identify() } })
const record = (id: PeerId, addr: Multiaddr): ProviderInfo => ({ id: bytes(id.toMultihash().bytes), multiaddrs: [bytes(addr.bytes)] })

describe('fake provider records at honest hosts\' closed ports and sybil storers do not hand the channel\'s dials to sybils', () => {
  const { running } = cleanedAfterEach()

  // the reviewer's model: 0.82 of the dialed topic peers sybils at 20 fakes per honest IP, 0.93 at 100
  for (const FAKES of [20, 100]) {
    it(`${FAKES} closed-port records per honest IP, ten sybils on one host, three sybil storers on one address: five honest hosts and one sybil dialed`, async () => {
      const honest = await Promise.all(Array.from({ length: HONEST }, async (_, i) => host(`127.0.0.${i + 2}`)))
      const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => host('127.0.0.9')))
      running.push(...honest, ...sybils)
      const real = honest.map((h) => record(h.peerId, h.getMultiaddrs()[0]!))
      const fakes: ProviderInfo[] = []
      for (const h of honest) {
        const ip = h.getMultiaddrs()[0]!.getComponents()[0]!.value!
        // ports where nothing listens (1..20 need root to listen on): every dial of these fails
        for (const [k, id] of (await ids(FAKES)).entries()) fakes.push(record(id, multiaddr(`/ip4/${ip}/tcp/${k + 1}`)))
      }
      const sybilRecords = sybils.map((s) => record(s.peerId, s.getMultiaddrs()[0]!))
      // the honest storer holds what was provided to it (the fakes too: ADD_PROVIDER is stock kad-dht);
      // the sybil storers name no honest host
      const storers = await Promise.all([
        stubStorer(answering([...real, ...fakes, ...sybilRecords]), '127.0.0.20'),
        ...Array.from({ length: 3 }, async () => stubStorer(answering([...sybilRecords, ...fakes]), '127.0.0.21'))
      ])
      running.push(...storers)
      const victim = await reachStorers(storers, TOPIC, true)
      running.push(victim)
      // an answer's source is its storer's address group: the three sybil storers are one
      const answers = await lookupOf(victim).find(await topicCid(TOPIC), { signal: AbortSignal.timeout(30_000) })
      const groupOf = (storer: Libp2p): string | undefined => answers.find((a) => a.from.equals(storer.peerId))?.group
      expect(storers.map(groupOf)).toEqual(['ip4/127.0.0.20', 'ip4/127.0.0.21', 'ip4/127.0.0.21', 'ip4/127.0.0.21'])
      const hosts = new Set([...honest, ...sybils].map((h) => h.peerId.toString()))
      const chosen = new Set<string>()
      const dialed = (): PeerId[] => [...new Map(victim.getConnections()
        .filter((c) => c.direction === 'outbound' && c.status === 'open' && chosen.has(c.remotePeer.toString()))
        .map((c) => [c.remotePeer.toString(), c.remotePeer])).values()]
      // every host is in the channel (a stock peer has no gossipsub: dialed is in the topic here)
      const inTopic = (): PeerId[] => dialed().filter((p) => hosts.has(p.toString()))
      const rendezvous = new TopicRendezvous({
        dht: victim.services.dht,
        peerId: victim.peerId,
        lookup: lookupOf(victim),
        dialedInTopic: () => inTopic().length,
        isConnected: (peer) => victim.getConnections(peer).length > 0,
        isDialed: (peer) => dialed().some((p) => p.equals(peer)),
        addressCount: () => 0,
        dial: async (peer, signal) => dialDrawn({
          getConnections: () => victim.getConnections(),
          dial: async (target, options) => victim.dial(target, options),
          identify: async (connection, options) => victim.services.identify.identify(connection, options),
          choose: (c) => { chosen.add(c.remotePeer.toString()) }
        }, peer, signal),
        log: logger('murmur:test:squat')
      }, { window: 50 })
      try {
        rendezvous.join(TOPIC)
        // bounded: the old draw reached its six in minutes of backoff, mostly sybils; the counts say which
        await waitFor(() => inTopic().length >= RENDEZVOUS_TARGET_PEERS, 'six topic peers dialed', 90_000, 50).catch(() => {})
        const reached = new Set(inTopic().map(String))
        const honestReached = honest.filter((h) => reached.has(h.peerId.toString())).length
        const sybilsReached = sybils.filter((s) => reached.has(s.peerId.toString())).length
        console.log(`rendezvous squat, ${FAKES} fakes per honest IP: ${honestReached} honest hosts and ${sybilsReached} sybils dialed in the topic (group share of the sybils 1/${HONEST + 1})`)
        // six address groups, six topic peers wanted, the target counted in groups: one per group
        expect({ honestReached, sybilsReached }).toEqual({ honestReached: HONEST, sybilsReached: 1 })
      } finally {
        rendezvous.stop()
      }
    }, 150_000)
  }
})
