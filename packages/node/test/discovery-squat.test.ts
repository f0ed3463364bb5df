/**
 * Group squatting (review 5, second read, High 2; /tmp/rv5b1/squat.mjs): a storer names free PeerIds at
 * honest hosts' addresses. The draw gave each group one record, a dial by that PeerId reached the honest
 * host, whose PeerId differs, and failed, so the honest group's turn was lost while every record of the
 * sybil host worked: sybils held 0.65 of the connected dials against a host share of 0.09. Real libp2p
 * peers on loopback: five honest hosts (127.0.0.2-6), ten sybils on one (127.0.0.9), a victim dialing
 * from 127.0.0.1 through the DiscoveryDialer and dialDrawn, as the node wires them.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { sample } from '../src/random.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { ids, victimDialer } from './rendezvous-fixtures.js'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PeerInfo } from '@libp2p/interface'

const HONEST = 5
const SYBILS = 10

/** A stock libp2p host on `ip`; `relaying`: it can dial relayed addresses too (as a browser can). */
async function host (ip: string, relaying = false): Promise<Libp2p<{ identify: Identify }>> {
  return createLibp2p({ addresses: { listen: [`/ip4/${ip}/tcp/0`] }, transports: relaying ? [tcp(), circuitRelayTransport()] : [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
}

describe('fake PeerIds claimed at honest addresses do not waste the honest groups', () => {
  const { running } = cleanedAfterEach()

  it('twenty fake PeerIds at each honest address (its port and closed ones) and ten sybils on one: every honest host is reached', async () => {
    const honest = await Promise.all(Array.from({ length: HONEST }, async (_, i) => host(`127.0.0.${i + 2}`)))
    const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => host('127.0.0.9')))
    const victim = await host('127.0.0.1')
    running.push(...honest, ...sybils, victim)
    const records: PeerInfo[] = []
    for (const h of honest) {
      const addr = h.getMultiaddrs()[0]!
      const ip = addr.getComponents()[0]!.value!
      records.push({ id: h.peerId, multiaddrs: [addr] })
      // fakes at the host's own port (the dial reaches the host, which is not them), and at ports
      // where nothing listens (the dial fails)
      for (const [k, id] of (await ids(20)).entries()) {
        records.push({ id, multiaddrs: [k < 17 ? addr : multiaddr(`/ip4/${ip}/tcp/${k}`)] })
      }
    }
    for (const s of sybils) records.push({ id: s.peerId, multiaddrs: [s.getMultiaddrs()[0]!] })
    const { dialer, dialed } = victimDialer(victim, HONEST + 1)
    try {
      // a discovery answer in any order: fakes first, to be sure they are kept
      for (const record of records) dialer.offer(record)
      await waitFor(() => dialed().length >= HONEST + 1, 'the victim dialed as many as it wanted', 60_000, 50)
      const reached = new Set(dialed().map(String))
      const honestReached = honest.filter((h) => reached.has(h.peerId.toString())).length
      const sybilsReached = sybils.filter((s) => reached.has(s.peerId.toString())).length
      // six groups, six dials, one per group: every honest host and one sybil
      expect({ honestReached, sybilsReached }).toEqual({ honestReached: HONEST, sybilsReached: 1 })
    } finally {
      dialer.stop()
    }
  }, 120_000)

  /**
   * Closed ports and relayed claims (review 10, High; /tmp/rv10/relsquat.mjs): records naming an honest
   * host's IP at ports where nothing listens, or a relayed address through the honest host (a Node.js
   * node has no relay transport), made that host's turn fail, and as the target counted peers, not
   * address groups, the sybil host took the slots: 0.66-0.71 of the dials against a group share of 1/6.
   * The honest hosts listen, so with the target counted in groups every one of them is reached before
   * the sybils' group gets a second slot: five honest hosts and one sybil, whatever the draws.
   */
  for (const [variant, fakes, fake, relaying] of [
    ['twenty records at closed ports of each honest IP', 20, (ip: string, _port: string, _relay: string, k: number): string => `/ip4/${ip}/tcp/${k + 1}`, false],
    // a Node.js victim has no relay transport and drops such records; one that has (a browser) dials
    // them, and the honest host, no relay, refuses: grouped with its direct record, 64 of them also
    // pushed the real one out of its group's sample (32) most of the time
    ['sixty-four relayed records through each honest host (a victim that dials relayed addresses)', 64, (ip: string, port: string, relay: string, _k: number): string => `/ip4/${ip}/tcp/${port}/p2p/${relay}/p2p-circuit`, true]
  ] as const) {
    it(`${variant} and ten sybils on one host: the sybils hold their group's share of the dials`, async () => {
      const honest = await Promise.all(Array.from({ length: HONEST }, async (_, i) => host(`127.0.0.${i + 2}`)))
      const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => host('127.0.0.9')))
      const victim = await host('127.0.0.1', relaying)
      running.push(...honest, ...sybils, victim)
      const records: PeerInfo[] = []
      for (const h of honest) {
        const addr = h.getMultiaddrs()[0]!
        const ip = addr.getComponents()[0]!.value!
        const port = addr.getComponents()[1]!.value!
        records.push({ id: h.peerId, multiaddrs: [addr] })
        for (const [k, id] of (await ids(fakes)).entries()) records.push({ id, multiaddrs: [multiaddr(fake(ip, port, h.peerId.toString(), k))] })
      }
      for (const s of sybils) records.push({ id: s.peerId, multiaddrs: [s.getMultiaddrs()[0]!] })
      const { dialer, dialed } = victimDialer(victim, HONEST + 1, relaying)
      try {
        for (const record of sample(records, records.length)) dialer.offer(record)
        await waitFor(() => dialed().length >= HONEST + 1, 'the victim dialed as many as it wanted', 90_000, 50)
        const reached = new Set(dialed().map(String))
        const honestReached = honest.filter((h) => reached.has(h.peerId.toString())).length
        const sybilsReached = sybils.filter((s) => reached.has(s.peerId.toString())).length
        console.log(`${variant}: ${honestReached} honest hosts and ${sybilsReached} sybils reached (group share of the sybils 1/${HONEST + 1})`)
        expect({ honestReached, sybilsReached }).toEqual({ honestReached: HONEST, sybilsReached: 1 })
      } finally {
        dialer.stop()
      }
    }, 150_000)
  }

  /**
   * One answer's flood (review 11, High 1; /tmp/rv11/srcsquat.mjs): kad-dht turns every record of a DHT
   * reply into a discovery, with no limit, so one reply from the attacker's DHT server named a hundred
   * records at closed ports of each honest IP. The honest host's real record fell out of its group's
   * sample of 32 (32/101), the fakes failed, the group gave up its place and the sybil host took the
   * slots: 0.75-0.78 of the dials against a group share of 1/6. Records now carry their source (the
   * address group of the peer whose answer carried them), each source is sampled apart, and a group's
   * turn takes its records source by source: the honest host's record, sent by another source (an
   * honest DHT server, here 127.0.0.8), is among the first tries of its group's turn. Every record is
   * also offered with no source (kad-dht's bare discovery event), as the node sees it.
   */
  it('a hundred records at closed ports of each honest IP, all from the attacker\'s one source, and ten sybils on its host: the sybils hold their group\'s share of the dials', async () => {
    const honest = await Promise.all(Array.from({ length: HONEST }, async (_, i) => host(`127.0.0.${i + 2}`)))
    const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => host('127.0.0.9')))
    const victim = await host('127.0.0.1')
    running.push(...honest, ...sybils, victim)
    // the attacker's DHT server shares the sybils' host; an honest DHT server answers from another
    const attacker = 'ip4/127.0.0.9'
    const honestSource = 'ip4/127.0.0.8'
    const offers: Array<[PeerInfo, string | undefined]> = []
    for (const h of honest) {
      const addr = h.getMultiaddrs()[0]!
      const ip = addr.getComponents()[0]!.value!
      offers.push([{ id: h.peerId, multiaddrs: [addr] }, honestSource])
      for (const [k, id] of (await ids(100)).entries()) offers.push([{ id, multiaddrs: [multiaddr(`/ip4/${ip}/tcp/${k + 1}`)] }, attacker])
    }
    for (const s of sybils) offers.push([{ id: s.peerId, multiaddrs: [s.getMultiaddrs()[0]!] }, attacker])
    const { dialer, dialed } = victimDialer(victim, HONEST + 1)
    try {
      for (const [record, source] of sample(offers, offers.length)) {
        dialer.offer(record, source)
        dialer.offer(record)
      }
      await waitFor(() => dialed().length >= HONEST + 1, 'the victim dialed as many as it wanted', 90_000, 50)
      const reached = new Set(dialed().map(String))
      const honestReached = honest.filter((h) => reached.has(h.peerId.toString())).length
      const sybilsReached = sybils.filter((s) => reached.has(s.peerId.toString())).length
      console.log(`one source's flood: ${honestReached} honest hosts and ${sybilsReached} sybils reached (group share of the sybils 1/${HONEST + 1})`)
      expect({ honestReached, sybilsReached }).toEqual({ honestReached: HONEST, sybilsReached: 1 })
    } finally {
      dialer.stop()
    }
  }, 150_000)

  it('ten sybils on one host writing its address with a different IPv6 zone in each record weigh one group (review 7, High 1)', async () => {
    const honest = await Promise.all(Array.from({ length: HONEST }, async (_, i) => host(`127.0.0.${i + 2}`)))
    const sybils = await Promise.all(Array.from({ length: SYBILS }, async () => host('127.0.0.9')))
    const victim = await host('127.0.0.1')
    running.push(...honest, ...sybils, victim)
    const records: PeerInfo[] = honest.map((h) => ({ id: h.peerId, multiaddrs: [h.getMultiaddrs()[0]!] }))
    for (const [k, s] of sybils.entries()) {
      const port = s.getMultiaddrs()[0]!.getComponents().find((c) => c.name === 'tcp')!.value!
      // the zoned address first (the one a record is grouped by), the plain one after it
      records.push({ id: s.peerId, multiaddrs: [multiaddr(`/ip6zone/${k + 1}/ip6/::ffff:127.0.0.9/tcp/${port}`), s.getMultiaddrs()[0]!] })
    }
    const { dialer, dialed } = victimDialer(victim, HONEST + 1)
    try {
      for (const record of records.reverse()) dialer.offer(record)
      await waitFor(() => dialed().length >= HONEST + 1, 'the victim dialed as many as it wanted', 60_000, 50)
      const reached = new Set(dialed().map(String))
      const honestReached = honest.filter((h) => reached.has(h.peerId.toString())).length
      const sybilsReached = sybils.filter((s) => reached.has(s.peerId.toString())).length
      // six groups (the sybils' one, at 127.0.0.9), six dials: every honest host and one sybil
      expect({ honestReached, sybilsReached }).toEqual({ honestReached: HONEST, sybilsReached: 1 })
      expect(victim.getConnections().filter((c) => c.remoteAddr.getComponents()[0]!.name === 'ip6zone')).toEqual([])
    } finally {
      dialer.stop()
    }
  }, 120_000)

  it('a peer kad-dht reached first (an outbound connection open) becomes chosen when drawn, without a second connection; one that dialed in is dialed back', async () => {
    const [out, inn] = await Promise.all([host('127.0.0.2'), host('127.0.0.3')])
    const victim = await host('127.0.0.1')
    running.push(out, inn, victim)
    await victim.dial(out.getMultiaddrs()[0]!)
    await inn.dial(victim.getMultiaddrs()[0]!)
    await waitFor(() => victim.getConnections(inn.peerId).length > 0 || undefined, 'the inbound connection')
    const { dialer, dialed } = victimDialer(victim, 4)
    try {
      dialer.offer({ id: out.peerId, multiaddrs: out.getMultiaddrs() })
      dialer.offer({ id: inn.peerId, multiaddrs: inn.getMultiaddrs() })
      await waitFor(() => dialed().length >= 2, 'both chosen and dialed', 30_000, 50)
      expect(victim.getConnections(out.peerId).map((c) => c.direction)).toEqual(['outbound'])
      expect(victim.getConnections(inn.peerId).map((c) => c.direction).sort()).toEqual(['inbound', 'outbound'])
    } finally {
      dialer.stop()
    }
  }, 60_000)
})
