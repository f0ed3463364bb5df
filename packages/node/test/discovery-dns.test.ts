/**
 * DNS names cost nothing: one host answering to sixty-four of them must weigh what one host weighs in
 * every draw and quota, and names learned from the network are not dialed (review 4, High 2:
 * /tmp/rv4b1-keep/dns-groups.mjs gave 64 names of one host 0.869 of the draws against 10 honest hosts).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { dns, RecordType } from '@multiformats/dns'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { GroupedPool, peerGroup } from '../src/discovery-pool.js'
import { learnedNameGate } from '../src/discovery-names.js'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p } from '../src/libp2p.js'
import { DNS_GROUP, addressGroups } from '../src/relay-share.js'
import { addressGroup } from '../src/sync/admission.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import { ids } from './rendezvous-fixtures.js'
import type { Libp2p, PeerInfo } from '@libp2p/interface'
import type { DNS } from '@multiformats/dns'

describe('DNS names are one address group, and names learned from the network are not dialed', () => {
  const { running } = cleanedAfterEach()

  it('64 DNS names of one host against 10 honest hosts get one host\'s share of the draws', async () => {
    const honest: PeerInfo[] = (await ids(10)).map((id, i) => ({ id, multiaddrs: [multiaddr(`/ip4/203.0.113.${i + 1}/tcp/4001`)] }))
    const sybils: PeerInfo[] = (await ids(64)).map((id, i) => ({
      id,
      multiaddrs: [multiaddr(`/${['dns4', 'dns6', 'dns', 'dnsaddr'][i % 4]!}/s${i}.attacker${i % 7}.example/tcp/4001`)]
    }))
    expect(new Set(sybils.map(peerGroup))).toEqual(new Set([DNS_GROUP]))
    const sybilSet = new Set(sybils.map((p) => p.id.toString()))
    let drawn = 0
    let drawnSybils = 0
    for (let trial = 0; trial < 300; trial++) {
      const pool = new GroupedPool()
      for (const peer of [...sybils, ...honest]) pool.offer(peer)
      for (const peer of pool.draw(6)) {
        drawn++
        if (sybilSet.has(peer.id.toString())) drawnSybils++
      }
    }
    // 11 groups, 6 drawn, one peer of each: exactly 1/11 of the draws in expectation
    expect(drawnSybils / drawn).toBeLessThanOrEqual(1 / 11 + 0.04)
  })

  it('a record naming a DNS name and an IP address is drawn in the IP\'s group and kept with the IP address only', async () => {
    const [id] = await ids(1)
    const peer = { id: id!, multiaddrs: [multiaddr('/dns4/node.example.org/tcp/4001'), multiaddr('/ip4/203.0.113.9/tcp/4001')] }
    expect(peerGroup(peer)).toBe('ip4/203.0.113.9')
    const pool = new GroupedPool()
    pool.offer(peer)
    expect(pool.draw(1).map((p) => p.multiaddrs.map(String))).toEqual([['/ip4/203.0.113.9/tcp/4001']])
  })

  it('a connection dialed by name counts against the one DNS group in every quota, whatever the name', () => {
    const named = ['/dns4/a.example/tcp/1', '/dns6/b.example/tcp/1/ws', '/dns/c.example/udp/1/quic-v1', '/dnsaddr/d.example']
    for (const address of named) {
      expect(addressGroup(multiaddr(address))).toBe(DNS_GROUP)
      expect(addressGroups(multiaddr(address))).toEqual({ address: DNS_GROUP, network: DNS_GROUP })
    }
    // a relayed address through a named relay: the relay's group, as for an IP relay
    expect(addressGroup(multiaddr('/dns4/relay.example/tcp/443/wss/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit'))).toBe(DNS_GROUP)
    expect(addressGroup(multiaddr('/ip4/203.0.113.7/tcp/4001'))).toBe('ip4/203.0.113.7')
  })

  it('the gate refuses to dial a DNS name learned from the network, and dials the names of the user\'s bootstrap list and IP addresses', async () => {
    const target = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
    running.push(target)
    const port = target.getMultiaddrs()[0]!.getComponents().find((c) => c.name === 'tcp')!.value!
    const byName = multiaddr(`/dns4/localhost/tcp/${port}/p2p/${target.peerId.toString()}`)
    const byIp = multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${target.peerId.toString()}`)
    const dialer = async (bootstrap: string[]): Promise<Libp2p> => {
      const node = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionGater: learnedNameGate(bootstrap) })
      running.push(node)
      return node
    }

    // /tmp/rv4b1-keep/dns-dial.mjs: dialed by name, the connection's remote address is the name
    const learned = await dialer([])
    await expect(learned.dial(byName)).rejects.toMatchObject({ name: 'DialDeniedError' })
    expect((await learned.dial(byIp)).remoteAddr.toString()).toContain('/ip4/127.0.0.1/')

    const chosen = await dialer([byName.toString()])
    expect((await chosen.dial(byName)).remoteAddr.toString()).toContain('/dns4/localhost/')

    const gate = learnedNameGate(['/dnsaddr/bootstrap.example.org/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo', 'not a multiaddr'])
    // what a bootstrap dnsaddr resolves to lies in its zone
    expect(gate.denyDialMultiaddr(multiaddr('/dns4/am6.bootstrap.example.org/tcp/443/wss'))).toBe(false)
    expect(gate.denyDialMultiaddr(multiaddr('/dns4/bootstrap.example.org.attacker.example/tcp/443/wss'))).toBe(true)
    expect(gate.denyDialMultiaddr(multiaddr('/dns4/example.org/tcp/443/wss'))).toBe(true)
    expect(gate.denyDialMultiaddr(multiaddr('/ip6/2001:db8::1/tcp/4001'))).toBe(false)
    // an IP address with a TLS server name is dialed as wss://<name>: the name is what is resolved and
    // reached (/tmp/rv5b1/gate.mjs let /ip4/1.2.3.4/tcp/443/tls/sni/evil.example/ws through)
    expect(gate.denyDialMultiaddr(multiaddr('/ip4/203.0.113.7/tcp/443/tls/sni/evil.example/ws'))).toBe(true)
    expect(gate.denyDialMultiaddr(multiaddr('/ip4/203.0.113.7/tcp/443/tls/sni/relay.bootstrap.example.org/ws'))).toBe(false)
    const [id] = await ids(1)
    expect(peerGroup({ id: id!, multiaddrs: [multiaddr('/ip4/203.0.113.7/tcp/443/tls/sni/evil.example/ws')] })).toBe(DNS_GROUP)
  }, 60_000)
  it('a /dnsaddr learned from the network is never resolved (no query leaves), one of the bootstrap list is', async () => {
    // /tmp/rv5b1/dns-dial2.mjs: a record naming /dnsaddr/s1.attacker.example was looked up (the attacker's
    // zone saw `_dnsaddr.s1.attacker.example`) and what it resolved to was dialed: the gate came after
    const target = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
    running.push(target)
    const queries: string[] = []
    const resolver: DNS = dns({
      resolvers: {
        '.': async (name) => {
          queries.push(name)
          return {
            Status: 0, TC: false, RD: true, RA: true, AD: false, CD: false,
            Question: [{ name, type: RecordType.TXT }],
            Answer: target.getMultiaddrs().map((addr) => ({ name, type: RecordType.TXT, TTL: 60, data: `dnsaddr=${addr.toString()}` }))
          }
        }
      }
    })
    const node = await createMurmurLibp2p({
      listen: [],
      bootstrap: [`/dnsaddr/boot.example.org/p2p/${target.peerId.toString()}`],
      mdns: false,
      allowPrivateAddresses: true,
      iceServers: [],
      dhtServer: false,
      tracker: new InvalidMessageTracker(),
      extra: { dns: resolver }
    })
    running.push(node)
    await node.start()
    // the bootstrap module dials its /dnsaddr at start: allowed, resolved through the test's resolver
    await waitFor(() => node.getConnections(target.peerId).length > 0, 'the bootstrap /dnsaddr dialed')
    expect(queries).toContain('_dnsaddr.boot.example.org')
    await node.hangUp(target.peerId)

    // a learned one, as a drawn record is dialed (merged into the peer store, dialed by PeerId)
    queries.length = 0
    await node.peerStore.patch(target.peerId, { multiaddrs: [multiaddr('/dnsaddr/s1.attacker.example')] })
    await expect(node.dial(target.peerId)).rejects.toThrow()
    await expect(node.dial(multiaddr(`/dnsaddr/s2.attacker.example/p2p/${target.peerId.toString()}`))).rejects.toThrow()
    expect(queries).toEqual([])
    expect(node.getConnections(target.peerId)).toEqual([])
  }, 60_000)
})
