// The stem's own-crowd rule (review of issue 12, H2): which groups count as this node's own.
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { ownAddressGroups, stemGroup } from '../src/own-crowd.js'

describe('own crowd', () => {
  it('is the IPv4 groups of the node\'s own addresses, a relayed address\'s relay among them; never an IPv6 /48 a hosting provider shares', () => {
    const own = ownAddressGroups([
      multiaddr('/ip4/192.0.2.7/tcp/4001'),
      multiaddr('/ip4/198.51.100.9/tcp/4002/ws/p2p/12D3KooWGRUVh4gg4xJzQGFaodVb4n5x5BjBQbUVyGBkfMvTpuZM/p2p-circuit'),
      multiaddr('/ip6/2001:db8:1:2::7/tcp/4001')
    ])
    expect([...own].sort()).toEqual(['ip4/192.0.2.7', 'ip4/198.51.100.9'])
  })

  it('draws a peer of the own crowd as a group of its own, any other peer by its group', () => {
    const own = new Set(['ip4/192.0.2.7'])
    expect(stemGroup('ip4/192.0.2.7', 'a', own)).not.toBe(stemGroup('ip4/192.0.2.7', 'b', own))
    expect(stemGroup('ip4/203.0.113.5', 'a', own)).toBe('ip4/203.0.113.5')
    expect(stemGroup('ip6/2001:0db8:0001::/48', 'a', own)).toBe('ip6/2001:0db8:0001::/48')
  })
})
