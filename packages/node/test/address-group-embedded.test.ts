/**
 * IPv6 addresses that carry an IPv4 address are grouped by it (issue 12, review 10 Lows): a Teredo
 * address (`2001::/32`) was grouped by its /48, which holds the Teredo server's address, so one client
 * host weighed as many groups as it wrote server fields; a 6to4 address (`2002::/16`) and the NAT64 forms
 * (`64:ff9b::/96`, `64:ff9b:1::/48`) of an IPv4 address were each a group apart from that address, so one
 * IPv4 host weighed several groups. `addressGroup` and the
 * raw groups of a provider answer (`rawGroup` in provider-answer.ts) must agree on every address.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { decodeAnswer } from '../src/provider-answer.js'
import { addressGroup } from '../src/sync/admission.js'
import { answerOf, ids } from './rendezvous-fixtures.js'
import type { PeerId } from '@libp2p/interface'

// address, its group
const cases: Array<[string, string]> = [
  // Teredo: client 192.0.2.45 (0x3fff:fdd2 inverted) behind two servers, other flags and ports
  ['/ip6/2001:0:4136:e378:8000:63bf:3fff:fdd2/udp/4001', 'ip4/192.0.2.45'],
  ['/ip6/2001:0:5ef5:79fd:8000:63bf:3fff:fdd2/udp/4001', 'ip4/192.0.2.45'],
  ['/ip6/2001:0:ffff:ffff:0:0:3fff:fdd2/udp/4001', 'ip4/192.0.2.45'],
  ['/ip6/2001:0:4136:e378:8000:63bf:f7f7:f7f7/udp/4001', 'ip4/8.8.8.8'],
  // 6to4: the router's IPv4 address, whatever the subnet and host
  ['/ip6/2002:808:808::1/tcp/4001', 'ip4/8.8.8.8'],
  ['/ip6/2002:808:808:ffff::1/tcp/4001', 'ip4/8.8.8.8'],
  ['/ip6/2002:808:809::1/tcp/4001', 'ip4/8.8.8.9'],
  // NAT64, well-known and local-use prefixes
  ['/ip6/64:ff9b::808:808/tcp/4001', 'ip4/8.8.8.8'],
  ['/ip6/64:ff9b:1::808:808/tcp/4001', 'ip4/8.8.8.8'],
  ['/ip6/64:ff9b:1:abcd::808:808/tcp/4001', 'ip4/8.8.8.8'],
  // IPv4-mapped, zoned, plain IPv4
  ['/ip6/::ffff:8.8.8.8/tcp/4001', 'ip4/8.8.8.8'],
  ['/ip6zone/eth0/ip6/64:ff9b::808:808/tcp/4001', 'ip4/8.8.8.8'],
  ['/ip4/8.8.8.8/tcp/4001', 'ip4/8.8.8.8'],
  // other IPv6: the /48
  ['/ip6/2a01:4f8:1:1::1/tcp/4001', 'ip6/2a01:04f8:0001::/48'],
  ['/ip6/2a01:4f8:1:2::1/tcp/4001', 'ip6/2a01:04f8:0001::/48'],
  ['/ip6/2001:db8:1:2::7/tcp/4001', 'ip6/2001:0db8:0001::/48'],
  // a relayed address: its relay's
  ['/ip6/2002:808:808::1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit', 'ip4/8.8.8.8']
]

describe('address groups of IPv6 addresses carrying an IPv4 address', () => {
  it('addressGroup groups Teredo by its client, 6to4 and NAT64 by their IPv4 address', () => {
    expect(cases.map(([address]) => [address, addressGroup(multiaddr(address))])).toEqual(cases)
  })

  it('the raw groups of a provider answer are the same groups', async () => {
    const peers = await ids(cases.length)
    const records = cases.map(([address], k): [PeerId, string] => [peers[k]!, address])
    const answer = decodeAnswer(answerOf(records), false, { maxBytes: 1 << 20, maxAddresses: 8, perGroup: 256 })
    // the partition of the records by raw group, each part named by the addressGroup of its records
    const raw = answer.groups.map((group) => [...new Set(group.map((record) => cases[peers.findIndex((peer) => peer.toMultihash().bytes.every((b, i) => b === record.id[i]))]![1]))])
    expect(raw.every((names) => names.length === 1)).toBe(true)
    expect(raw.map((names) => names[0]).sort()).toEqual([...new Set(cases.map(([, group]) => group))].sort())
  })
})
