/**
 * Which learned addresses a node dials (issue 12, review 10 Lows): multicast, broadcast, unspecified and
 * reserved addresses were taken for public (or, like 0.0.0.0, which reaches this machine, for private:
 * dialed on a private network); NAT64 forms of loopback and LAN addresses passed for public; and a
 * Node.js node, which has no circuit-relay transport, kept and dialed records it could only reach through
 * a relay.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { isPrivateIp } from '@libp2p/utils'
import { addressScope, ipScope } from '../src/address-scope.js'
import { dialDrawn, learnedAddress } from '../src/discovery-dial.js'
import { ids } from './rendezvous-fixtures.js'
import type { DrawnDialComponents } from '../src/discovery-dial.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const RELAY = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

describe('learnedAddress', () => {
  // address, its scope, kept on the public network, kept on a private one
  const cases: Array<[string, string | undefined, boolean, boolean]> = [
    ['/ip4/8.8.8.8/tcp/4001', 'public', true, true],
    ['/ip6/2a00:1450::1/tcp/4001', 'public', true, true],
    ['/ip6/2001:0:4136:e378:8000:63bf:f7f7:f7f7/udp/4001/quic-v1', 'public', true, true],
    ['/ip6/2002:808:808::1/tcp/4001', 'public', true, true],
    ['/ip6/64:ff9b::808:808/tcp/4001', 'public', true, true],
    ['/dns4/relay.example.org/tcp/443/wss', undefined, true, true],
    // NAT64, 6to4 and Teredo forms of loopback and LAN addresses are what they carry
    ['/ip6/64:ff9b::7f00:1/tcp/4001', 'loopback', false, true],
    ['/ip6/64:ff9b::a9fe:a9fe/tcp/80', 'link-local', false, true],
    ['/ip6/64:ff9b::c0a8:109/tcp/4001', 'private', false, true],
    ['/ip6/64:ff9b:1::808:808/tcp/4001', 'private', false, true],
    ['/ip6/2002:7f00:1::1/tcp/4001', 'loopback', false, true],
    ['/ip6/2001:0:4136:e378:8000:63bf:80ff:fffe/udp/4001', 'loopback', false, true],
    ['/ip4/127.0.0.1/tcp/4001', 'loopback', false, true],
    ['/ip4/10.1.2.3/tcp/4001', 'private', false, true],
    ['/ip4/203.0.113.7/tcp/4001', 'private', false, true],
    ['/ip6/fd12::1/tcp/4001', 'private', false, true],
    // never a peer, on any network
    ['/ip4/0.0.0.0/tcp/4001', 'unroutable', false, false],
    ['/ip4/0.1.2.3/tcp/4001', 'unroutable', false, false],
    ['/ip4/224.0.0.251/udp/5353', 'unroutable', false, false],
    ['/ip4/239.1.2.3/tcp/4001', 'unroutable', false, false],
    ['/ip4/255.255.255.255/tcp/4001', 'unroutable', false, false],
    ['/ip4/250.1.2.3/tcp/4001', 'unroutable', false, false],
    ['/ip6/::/tcp/4001', 'unroutable', false, false],
    ['/ip6/::ffff:0.0.0.0/tcp/4001', 'unroutable', false, false],
    ['/ip6/64:ff9b::e000:1/tcp/4001', 'unroutable', false, false],
    ['/ip6/ff02::1/tcp/4001', 'unroutable', false, false],
    ['/ip6/ff0e::1/tcp/4001', 'unroutable', false, false],
    ['/ip6/::8.8.8.8/tcp/4001', 'unroutable', false, false],
    ['/ip6/100::1/tcp/4001', 'unroutable', false, false],
    ['/ip6/2001:20::1/tcp/4001', 'unroutable', false, false],
    ['/ip6/c000::1/tcp/4001', 'unroutable', false, false]
  ]

  it('judges an address by its scope: public always, private ones on a private network, unroutable never', () => {
    expect(cases.map(([address]) => {
      const addr = multiaddr(address)
      return [address, addressScope(addr), learnedAddress(addr, false, true), learnedAddress(addr, true, true)]
    })).toEqual(cases)
  })

  it('keeps relayed addresses only where they can be dialed: not in Node.js by default', () => {
    const relayed = multiaddr(`/ip4/8.8.8.8/tcp/4001/p2p/${RELAY}/p2p-circuit`)
    expect([learnedAddress(relayed, false, true), learnedAddress(relayed, false, false), learnedAddress(relayed, true)]).toEqual([true, false, false])
    // a relay whose own address is private is judged as the relay's address
    expect(learnedAddress(multiaddr(`/ip4/10.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`), false, true)).toBe(false)
  })
})

describe('ipScope on IPv4', () => {
  it('agrees with @libp2p/utils on what is not public, and adds multicast', () => {
    // every first octet, and both ends (and one past them) of each of @libp2p/utils' ranges
    const edges = ['0.0.0.0', '0.255.255.255', '1.0.0.0', '9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0',
      '100.63.255.255', '100.64.0.0', '100.127.255.255', '100.128.0.0', '126.255.255.255', '127.0.0.0', '127.255.255.255', '128.0.0.0',
      '169.253.255.255', '169.254.0.0', '169.254.255.255', '169.255.0.0', '172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0',
      '191.255.255.255', '192.0.0.0', '192.0.0.255', '192.0.1.0', '192.0.2.0', '192.0.2.255', '192.0.3.0', '192.31.195.255', '192.31.196.0',
      '192.31.197.0', '192.52.193.0', '192.52.194.0', '192.88.98.255', '192.88.99.0', '192.88.100.0', '192.167.255.255', '192.168.0.0',
      '192.168.255.255', '192.169.0.0', '192.175.48.0', '192.175.49.0', '198.17.255.255', '198.18.0.0', '198.19.255.255', '198.20.0.0',
      '198.51.99.255', '198.51.100.0', '198.51.101.0', '203.0.112.255', '203.0.113.0', '203.0.114.0', '223.255.255.255', '224.0.0.0',
      '239.255.255.255', '240.0.0.0', '255.255.255.254', '255.255.255.255']
    const samples = [...edges, ...Array.from({ length: 256 }, (_, a) => `${a}.${(a * 37) & 255}.${(a * 101) & 255}.${(a * 13) & 255}`)]
    const disagree = samples.filter((ip) => {
      const bytes = Uint8Array.from(ip.split('.').map(Number))
      const multicast = bytes[0]! >= 224 && bytes[0]! < 240
      return (ipScope(bytes) !== 'public') !== (isPrivateIp(ip) === true || multicast)
    })
    expect(disagree).toEqual([])
  })
})

describe('dialDrawn on a node without a circuit-relay transport', () => {
  /** Components whose dials are recorded, and fail. */
  function stub (init: Partial<DrawnDialComponents> = {}): { components: DrawnDialComponents, dials: string[][] } {
    const dials: string[][] = []
    return {
      dials,
      components: {
        getConnections: () => [],
        dial: async (target: Multiaddr[]) => {
          dials.push(target.map(String))
          throw new Error('nothing listens')
        },
        identify: async () => {},
        choose: () => {},
        ...init
      }
    }
  }

  it('does not dial a record whose addresses are all relayed; dials its direct ones', async () => {
    const [peer] = await ids(1)
    const relayed = multiaddr(`/ip4/8.8.8.8/tcp/4001/p2p/${RELAY}/p2p-circuit`)
    const node = stub({ allowPrivateAddresses: false })
    expect(await dialDrawn(node.components, { id: peer!, multiaddrs: [relayed] }, AbortSignal.timeout(5_000))).toBeUndefined()
    await dialDrawn(node.components, { id: peer!, multiaddrs: [relayed, multiaddr('/ip4/8.8.4.4/tcp/4001')] }, AbortSignal.timeout(5_000))
    expect(node.dials).toEqual([['/ip4/8.8.4.4/tcp/4001']])
    // a browser (or an embedder that added the transport) dials it through the relay
    const browser = stub({ allowPrivateAddresses: false, relayedAddresses: true })
    await dialDrawn(browser.components, { id: peer!, multiaddrs: [relayed] }, AbortSignal.timeout(5_000))
    expect(browser.dials).toEqual([[`${relayed.toString()}/p2p/${peer!.toString()}`]])
  })

  it('never dials an unroutable learned address, on a private network either', async () => {
    const [peer] = await ids(1)
    const node = stub({ allowPrivateAddresses: true })
    for (const address of ['/ip4/0.0.0.0/tcp/4001', '/ip4/224.0.0.1/tcp/4001', '/ip6/::/tcp/4001', '/ip6/ff02::1/tcp/4001']) {
      expect(await dialDrawn(node.components, { id: peer!, multiaddrs: [multiaddr(address)] }, AbortSignal.timeout(5_000))).toBeUndefined()
    }
    expect(node.dials).toEqual([])
  })
})
