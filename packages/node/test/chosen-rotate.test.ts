/**
 * "Chosen" belongs to the connection a draw opened, not to the PeerId that answered on it (sixth read of
 * issue 12, H2; /tmp/s7/rvA/chosen-rotate.mjs). A drawn record's address is dialed without its `/p2p/`,
 * and a reached peer that drops is dialed again at the next window: an attacker answering each redial
 * with a fresh key made every key chosen (ChosenPeers kept PeerIds). Any later outbound connection to one
 * of them (a DHT query dialing the closer peers an answer names) then counted as the node's own dial:
 * the discovery and rendezvous targets (at 8 such peers discovery stopped), the chosen peers' +10 gossip
 * score, a dialed stem candidate, a connection never closed as idle. Here three keys answer in turn at
 * one record address and are all reached; the same keys, dialed later at other addresses by a plain
 * dial, must count as none of that.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CHOSEN_PEER_SCORE } from '../src/gossip.js'
import { cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { ChosenPeers } from '../src/corroboration.js'
import type { DiscoveryDialer } from '../src/discovery.js'
import type { Murmur } from '../src/index.js'
import type { PrivateKey } from '@libp2p/interface'

const CHANNEL = '#chosen-rotate'
const TOPIC = channelTopic(CHANNEL)
/** Keys the attacker answers the record's redials with. */
const KEYS = 3

interface Internals {
  chosen: ChosenPeers
  discovery: DiscoveryDialer
  rendezvous: { stop(): void }
  stem: { router: { routes: { candidates: ReadonlyMap<string, boolean> } } }
}
const internals = (node: Murmur): Internals => node as unknown as Internals
/** The app-specific part of gossipsub's score (the chosen peers' bonus), as gossipsub asks it. */
const appScore = (node: Murmur, peer: string): number =>
  (node.libp2p.services.pubsub as unknown as { score: { params: { appSpecificScore(peer: string): number } } }).score.params.appSpecificScore(peer)

describe('a drawn record answered by fresh keys', () => {
  const { running } = cleanedAfterEach()

  it('makes none of them chosen once their chosen connection is gone: dialed again elsewhere, they are not dialed peers', async () => {
    const victim = await startNode({ channels: [CHANNEL], sync: false })
    running.push(victim)
    const { chosen, discovery } = internals(victim)
    const connections = (peer: Murmur['peerId']): ReturnType<typeof victim.libp2p.getConnections> => victim.libp2p.getConnections(peer)
    const keys: PrivateKey[] = []
    let record: string | undefined
    for (let i = 0; i < KEYS; i++) {
      const key = await generateKeyPair('Ed25519')
      keys.push(key)
      // the first key takes an OS-chosen port: the record's address; the others answer there in turn
      const attacker = await startNode({ channels: [CHANNEL], sync: false, peerKey: key, listen: [record ?? '/ip4/127.0.0.1/tcp/0'] })
      running.push(attacker)
      if (record === undefined) {
        record = attacker.getMultiaddrs().map(String).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))!.replace(/\/p2p\/.*$/, '')
        discovery.offer({ id: attacker.peerId, multiaddrs: [multiaddr(record)] })
      }
      await waitFor(() => chosen.dialed(attacker.peerId, connections(attacker.peerId)), `the record's address drawn (or dialed again), reaching key ${i}`, 60_000)
      // the attacker drops: the victim sees its reached peer lost and dials the record's address again
      await attacker.stop()
      await waitFor(() => connections(attacker.peerId).length === 0, `key ${i} gone`)
    }
    expect(chosen.dialedCount(victim.libp2p.getConnections())).toBe(0)
    // no more draws from here: the victim's own discovery or rendezvous drawing the keys at their new
    // addresses (the only peers it knows) would choose them rightly, at its own draw
    internals(victim).rendezvous.stop()
    discovery.stop()

    // the same keys elsewhere, dialed by the victim without a draw (as a DHT query dials the peers an answer names)
    const later: Murmur[] = []
    for (const key of keys) {
      const attacker = await startNode({ channels: [CHANNEL], sync: false, peerKey: key })
      running.push(attacker)
      later.push(attacker)
      await victim.libp2p.dial(attacker.getMultiaddrs()[0]!)
    }
    const ids = later.map((attacker) => attacker.peerId)
    const candidates = internals(victim).stem.router.routes.candidates
    await waitFor(() => ids.every((id) => victim.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(id))), 'the victim sees them subscribed')
    await waitFor(() => ids.every((id) => candidates.has(id.toString())), 'the victim\'s stem sees them')

    for (const id of ids) {
      expect(connections(id).some((c) => c.direction === 'outbound' && c.status === 'open')).toBe(true)
      // not dialed: no discovery or rendezvous slot, no idle or cap exemption, no sync or vouch trust
      expect(chosen.dialed(id, connections(id))).toBe(false)
      // no chosen peer's bonus in gossip (nothing rejected from them: the bonus alone would be 10)
      expect(appScore(victim, id.toString())).toBeLessThan(CHOSEN_PEER_SCORE)
      // not a dialed stem candidate
      expect(candidates.get(id.toString())).toBe(false)
    }
    // the discovery target counts none of them: the node would go on drawing honest peers
    expect(chosen.dialedCount(victim.libp2p.getConnections())).toBe(0)
    expect(discovery.short()).toBe(true)
  }, 180_000)
})
