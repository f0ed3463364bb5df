/**
 * A peer the discovery dialer reached and then lost is dialed again before the slot goes elsewhere
 * (discovery-stem-chosen in CI, 0.54 of the stem successors sybils against a host share of 0.25: on a
 * loaded machine all three honest hosts' connections dropped at once, nothing offered them again, and
 * the sybils, whose records the DHT kept offering, took every slot). Peers here are stubs: a dial
 * reaches whoever listens at the record's address.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { DiscoveryDialer } from '../src/discovery.js'
import { waitFor } from './harness.js'
import { ids } from './rendezvous-fixtures.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

const BELOW = 4

describe('peers lost by the discovery dialer', () => {
  it('three honest hosts drop their connections while sybil records keep coming: the honest hosts are dialed again, not more sybils', async () => {
    const honestIds = await ids(3)
    const sybilIds = await ids(10)
    const honest: PeerInfo[] = honestIds.map((id, i) => ({ id, multiaddrs: [multiaddr(`/ip4/203.0.113.${i + 1}/tcp/4001`)] }))
    const sybils: PeerInfo[] = sybilIds.map((id, i) => ({ id, multiaddrs: [multiaddr(`/ip4/198.51.100.9/tcp/${4001 + i}`)] }))
    const listening = new Map([...honest, ...sybils].map((peer) => [peer.multiaddrs[0]!.toString(), peer.id]))
    const connected = new Set<string>()
    const dialer = new DiscoveryDialer({
      dialedCount: () => connected.size,
      isConnected: (peer) => connected.has(peer.toString()),
      dial: async (peer): Promise<PeerId | undefined> => {
        const id = listening.get(peer.multiaddrs[0]!.toString())
        if (id === undefined) throw new Error('nothing listens there')
        connected.add(id.toString())
        return id
      }
    }, { below: BELOW, window: 10, retryDelay: 10 })
    const offerSybils = setInterval(() => { for (const peer of sybils) dialer.offer(peer) }, 5)
    try {
      for (const peer of honest) dialer.offer(peer)
      await waitFor(() => connected.size >= BELOW || undefined, 'the first slots filled', 10_000, 5)
      const sybilsDialed = (): number => sybils.filter((peer) => connected.has(peer.id.toString())).length
      // four groups, four slots: every honest host and one sybil
      expect(sybilsDialed()).toBe(1)
      // the honest hosts' connections drop (a stalled event loop failed their pings); the sybils' stay up
      for (const id of honestIds) connected.delete(id.toString())
      await waitFor(() => connected.size >= BELOW || undefined, 'the slots filled again', 10_000, 5)
      expect({ honest: honestIds.filter((id) => connected.has(id.toString())).length, sybils: sybilsDialed() }).toEqual({ honest: 3, sybils: 1 })
    } finally {
      clearInterval(offerSybils)
      dialer.stop()
    }
  })
})
