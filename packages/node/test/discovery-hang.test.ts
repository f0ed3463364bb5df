/**
 * A group whose turn is still dialing keeps its place (review 12, High 1; /tmp/rv12/src-lat.mjs, fg3.mjs):
 * fake records at an honest host's ports that hang (a firewall dropping packets: the dial waits for its
 * timeout) kept that host's turn running across windows. A running turn was neither in the window's pool
 * nor a waiting retry, so the next draw did not see the group, the sybil group (already holding one)
 * was the lowest left and got another turn, window after window: sybil share of the dials 0.33-1.00
 * against a group share of 1/6. Dials here are stubbed: a fake one fails after HANG ms, longer than
 * several windows.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { DiscoveryDialer } from '../src/discovery.js'
import { waitFor } from './harness.js'
import { ids } from './rendezvous-fixtures.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

const WINDOW = 20
/** How long a dial of a fake record hangs before it fails: 15 windows. */
const HANG = 300
const HONEST_HOSTS = 5
const FAKES_PER_HOST = 20
const SYBILS = 10

describe('discovery while a group\'s dials hang', () => {
  it('gives the sybil host one slot of six while honest hosts\' fake records hang, not the slots of every group still dialing', async () => {
    const honest = await ids(HONEST_HOSTS)
    const sybils = await ids(SYBILS)
    const fakes = await ids(HONEST_HOSTS * FAKES_PER_HOST)
    // who answers at each address: the honest host at its real port, a sybil at its own; nobody elsewhere
    const answers = new Map<string, PeerId>()
    honest.forEach((id, i) => answers.set(`/ip4/203.0.${i}.1/tcp/4001`, id))
    sybils.forEach((id, i) => answers.set(`/ip4/198.51.100.9/tcp/${4001 + i}`, id))
    const connected = new Set<string>()
    const dialer = new DiscoveryDialer({
      dialedCount: () => connected.size,
      isConnected: (id) => connected.has(id.toString()),
      dial: async (peer: PeerInfo) => {
        const at = peer.multiaddrs.map(String).find((addr) => answers.has(addr))
        if (at === undefined) {
          await new Promise((resolve) => setTimeout(resolve, HANG))
          throw new Error('dial timed out')
        }
        const reached = answers.get(at)!
        connected.add(reached.toString())
        return reached
      }
    }, { below: HONEST_HOSTS + 1, window: WINDOW, retryDelay: WINDOW })
    try {
      // one walk's replies: the attacker's source names every fake and the sybils, another source each honest host
      honest.forEach((_, i) => {
        for (let f = 0; f < FAKES_PER_HOST; f++) {
          dialer.offer({ id: fakes[i * FAKES_PER_HOST + f]!, multiaddrs: [multiaddr(`/ip4/203.0.${i}.1/tcp/${5000 + f}`)] }, 'ip4/198.51.100.9')
        }
      })
      sybils.forEach((id, i) => { dialer.offer({ id, multiaddrs: [multiaddr(`/ip4/198.51.100.9/tcp/${4001 + i}`)] }, 'ip4/198.51.100.9') })
      honest.forEach((id, i) => { dialer.offer({ id, multiaddrs: [multiaddr(`/ip4/203.0.${i}.1/tcp/4001`)] }, 'ip4/192.0.2.1') })
      await waitFor(() => connected.size >= HONEST_HOSTS + 1 || undefined, 'six dialed peers', 60_000, 10)
      // the turns under way end (their hanging dials fail) and nothing more is dialed: the node is not short
      await new Promise((resolve) => setTimeout(resolve, 2 * HANG))
      const sybilSet = new Set(sybils.map(String))
      const reachedSybils = [...connected].filter((id) => sybilSet.has(id)).length
      expect({ honest: connected.size - reachedSybils, sybils: reachedSybils }).toEqual({ honest: HONEST_HOSTS, sybils: 1 })
    } finally {
      dialer.stop()
    }
  })
})
