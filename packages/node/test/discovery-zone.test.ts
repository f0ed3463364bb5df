/**
 * Addresses that put one host into many address groups, or point a public node at its own machine
 * (review 7, /tmp/rv7): an IPv6 zone written differently in each record (`/ip6zone/<k>/ip6/::ffff:<IPv4>`)
 * made each record a group of its own in `addressGroups`, the raw answer groups and the draw (a sybil
 * host held 0.69 of the chosen peers against a host share of 0.17); a TLS `sni` name in an honest host's
 * IP address fell in that host's raw group; `/unix` paths and private addresses named by the network
 * were dialed; and a record claiming a relayed address was chosen through any connection to its PeerId.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { GroupedPool } from '../src/discovery-pool.js'
import { dialDrawn, learnedAddress } from '../src/discovery-dial.js'
import { decodeAnswer } from '../src/provider-answer.js'
import { addressGroups } from '../src/relay-share.js'
import { addressGroup } from '../src/sync/admission.js'
import { answerOf, ids } from './rendezvous-fixtures.js'
import type { DrawnDialComponents } from '../src/discovery-dial.js'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const zones = ['1', '01', 'lo', 'eth0', 'z'.repeat(200)]

const rawGroupCount = (records: Array<[PeerId, string]>): number =>
  decodeAnswer(answerOf(records), false, { maxBytes: 1 << 20, maxAddresses: 8, perGroup: 256 }).groups.length

describe('a zoned address is grouped by its IP address', () => {
  it('addressGroups and addressGroup pass a leading /ip6zone over and fold IPv4-mapped IPv6', () => {
    for (const zone of zones) {
      expect(addressGroups(multiaddr(`/ip6zone/${zone}/ip6/::ffff:198.51.100.9/tcp/4001`))).toEqual(addressGroups(multiaddr('/ip4/198.51.100.9/tcp/4001')))
      expect(addressGroup(multiaddr(`/ip6zone/${zone}/ip6/2001:db8:1:2::7/tcp/4001`))).toBe(addressGroup(multiaddr('/ip6/2001:db8:1:2::7/tcp/4001')))
    }
    expect(addressGroup(multiaddr('/ip6zone/7/ip6/::ffff:198.51.100.9/tcp/4001'))).toBe('ip4/198.51.100.9')
  })

  it('the raw groups of an answer: zoned records are one group with their IPv4 address, sni names one with the DNS names, paths one group', async () => {
    const peers = await ids(12)
    const zoned: Array<[PeerId, string]> = zones.map((zone, k) => [peers[k]!, `/ip6zone/${zone}/ip6/::ffff:198.51.100.9/tcp/4001`])
    expect(rawGroupCount([...zoned, [peers[6]!, '/ip4/198.51.100.9/tcp/4002']])).toBe(1)
    expect(rawGroupCount(zones.map((zone, k) => [peers[k]!, `/ip6zone/${zone}/ip6/2001:db8:1:2::${k}/tcp/4001`]))).toBe(1)
    // names in an honest host's IP address weigh with the DNS names, not in the honest host's group
    const sni: Array<[PeerId, string]> = [0, 1, 2, 3].map((k) => [peers[k]!, `/ip4/203.0.113.7/tcp/443/tls/sni/s${k}.attacker.example/ws`])
    expect(rawGroupCount([...sni, [peers[5]!, '/dns4/x.attacker.example/tcp/443/wss']])).toBe(1)
    expect(rawGroupCount([...sni, [peers[5]!, '/ip4/203.0.113.7/tcp/443/tls/ws']])).toBe(2)
    expect(rawGroupCount([0, 1, 2, 3].map((k) => [peers[k]!, `/unix/${encodeURIComponent(`/tmp/s${k}`)}`]))).toBe(1)
  })
})

describe('learned addresses that are dialed', () => {
  const cases: Array<[string, boolean, boolean]> = [
    // address, kept on the public network, kept on a private one
    ['/ip4/8.8.8.8/tcp/4001', true, true],
    ['/ip6/2a00:1450::1/tcp/4001', true, true],
    ['/dns4/relay.example.org/tcp/443/wss', true, true],
    ['/ip4/8.8.8.8/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit', true, true],
    ['/ip4/127.0.0.1/tcp/4001', false, true],
    ['/ip4/192.168.1.7/tcp/4001', false, true],
    ['/ip6/::1/tcp/4001', false, true],
    ['/ip6/::ffff:10.0.0.1/tcp/4001', false, true],
    ['/ip6/fe80::1/tcp/4001', false, true],
    ['/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit', false, true],
    ['/ip6zone/7/ip6/::ffff:8.8.8.8/tcp/4001', false, false],
    ['/ip6zone/lo/ip6/::1/tcp/4001', false, false],
    ['/unix/%2Fvar%2Frun%2Fdocker.sock', false, false],
    ['/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit', false, false]
  ]

  it('learnedAddress keeps IP addresses (private ones on a private network) and DNS names, never zones or paths', () => {
    // on a node with a circuit-relay transport (a browser): relayed addresses are judged by their relay's
    expect(cases.map(([address]) => [address, learnedAddress(multiaddr(address), false, true), learnedAddress(multiaddr(address), true, true)])).toEqual(cases)
    // without one (Node.js), a relayed address is never dialed
    const relayed = cases.filter(([address]) => address.endsWith('/p2p-circuit'))
    expect(relayed.map(([address]) => learnedAddress(multiaddr(address), true, false))).toEqual(relayed.map(() => false))
  })

  it('a GroupedPool drops a record whose addresses are all undialable, and keeps only the dialable ones of the rest', async () => {
    const peers = await ids(4)
    const pool = new GroupedPool({ allowPrivateAddresses: false })
    pool.offer({ id: peers[0]!, multiaddrs: [multiaddr('/ip6zone/7/ip6/::ffff:8.8.8.8/tcp/4001')] })
    pool.offer({ id: peers[1]!, multiaddrs: [multiaddr('/unix/%2Ftmp%2Fa'), multiaddr('/ip4/127.0.0.1/tcp/1')] })
    expect({ size: pool.size, groups: pool.groupCount }).toEqual({ size: 0, groups: 0 })
    pool.offer({ id: peers[2]!, multiaddrs: [multiaddr('/ip6zone/9/ip6/::ffff:8.8.4.4/tcp/4001'), multiaddr('/ip4/8.8.8.8/tcp/4001')] })
    expect(pool.draw(4).map((peer) => peer.multiaddrs.map(String))).toEqual([['/ip4/8.8.8.8/tcp/4001']])
    const local = new GroupedPool({ allowPrivateAddresses: true })
    local.offer({ id: peers[3]!, multiaddrs: [multiaddr('/ip6zone/1/ip6/::1/tcp/1'), multiaddr('/ip4/127.0.0.1/tcp/1')] })
    expect(local.draw(4).map((peer) => peer.multiaddrs.map(String))).toEqual([['/ip4/127.0.0.1/tcp/1']])
  })
})

describe('dialDrawn dials and reuses only what the record names', () => {
  /** Components over fixed connections: the dials asked for are recorded, and fail. */
  function stub (connections: Array<Pick<Connection, 'direction' | 'status' | 'limits' | 'remotePeer' | 'remoteAddr'>>, allowPrivateAddresses?: boolean): { components: DrawnDialComponents, dials: string[][], chosen: string[] } {
    const dials: string[][] = []
    const chosen: string[] = []
    return {
      dials,
      chosen,
      components: {
        getConnections: () => connections as Connection[],
        dial: async (target: Multiaddr[]) => {
          dials.push(target.map(String))
          throw new Error('nothing listens')
        },
        identify: async () => {},
        choose: (c) => { chosen.push(c.remotePeer.toString()) },
        // relayed addresses dialed, as on a node with a circuit-relay transport (a browser)
        relayedAddresses: true,
        ...(allowPrivateAddresses === undefined ? {} : { allowPrivateAddresses })
      }
    }
  }

  it('a sybil reached at its own address is not chosen for a relayed address it claims: the relay is dialed', async () => {
    const [sybil, relay] = await ids(2)
    const own = { direction: 'outbound' as const, status: 'open' as const, limits: undefined, remotePeer: sybil!, remoteAddr: multiaddr(`/ip4/198.51.100.9/tcp/4001/p2p/${sybil!.toString()}`) }
    const claimed = `/ip4/203.0.113.5/tcp/4001/p2p/${relay!.toString()}/p2p-circuit`
    const { components, dials, chosen } = stub([own])
    const reached = await dialDrawn(components, { id: sybil!, multiaddrs: [multiaddr(claimed)] }, AbortSignal.timeout(5_000))
    expect({ reached, chosen, dials }).toEqual({ reached: undefined, chosen: [], dials: [[`${claimed}/p2p/${sybil!.toString()}`]] })
    // a connection through that relay is the address drawn: reused
    const through = { ...own, remoteAddr: multiaddr(`${claimed}/p2p/${sybil!.toString()}`) }
    const reuse = stub([own, through])
    expect((await dialDrawn(reuse.components, { id: sybil!, multiaddrs: [multiaddr(claimed)] }, AbortSignal.timeout(5_000)))?.toString()).toBe(sybil!.toString())
    expect(reuse.dials).toEqual([])
  })

  it('undialable learned addresses are never dialed; private ones only on a private network; a bootstrap peer always', async () => {
    const [peer] = await ids(1)
    const publicNode = stub([], false)
    for (const address of ['/ip4/127.0.0.1/tcp/4001', '/ip4/192.168.1.7/tcp/4001', '/unix/%2Fvar%2Frun%2Fdocker.sock', '/ip6zone/7/ip6/::ffff:8.8.8.8/tcp/4001']) {
      expect(await dialDrawn(publicNode.components, { id: peer!, multiaddrs: [multiaddr(address)] }, AbortSignal.timeout(5_000))).toBeUndefined()
    }
    expect(publicNode.dials).toEqual([])
    await dialDrawn(publicNode.components, { id: peer!, multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr('/ip4/8.8.8.8/tcp/4001')] }, AbortSignal.timeout(5_000))
    await dialDrawn(publicNode.components, { id: peer!, multiaddrs: [multiaddr(`/ip4/192.168.1.7/tcp/4001/p2p/${peer!.toString()}`)] }, AbortSignal.timeout(5_000), true)
    expect(publicNode.dials).toEqual([['/ip4/8.8.8.8/tcp/4001'], [`/ip4/192.168.1.7/tcp/4001/p2p/${peer!.toString()}`]])
    const privateNode = stub([], true)
    await dialDrawn(privateNode.components, { id: peer!, multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr('/unix/%2Ftmp%2Fa')] }, AbortSignal.timeout(5_000))
    expect(privateNode.dials).toEqual([['/ip4/127.0.0.1/tcp/4001']])
  })
})
