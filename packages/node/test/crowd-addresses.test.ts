// Which addresses are a private network (issue 12): a crowd behind CGNAT (100.64/10) or reached over
// IPv4-mapped IPv6 was taken for the public internet.
import { describe, expect, it } from 'vitest'
import { isPrivateMultiaddr } from '../src/libp2p.js'

describe('isPrivateMultiaddr', () => {
  it.each([
    '/ip4/127.0.0.1/tcp/4001', '/ip4/10.1.2.3/tcp/4001', '/ip4/172.20.0.1/tcp/4001', '/ip4/192.168.1.1/tcp/4001',
    '/ip4/169.254.1.1/tcp/4001', '/ip4/100.64.1.2/tcp/4001', '/ip4/100.127.255.254/tcp/4001',
    '/ip6/::1/tcp/4001', '/ip6/fd00::1/tcp/4001', '/ip6/fe80::1/tcp/4001',
    '/ip6/::ffff:10.0.0.1/tcp/4001', '/ip6/::ffff:100.64.0.1/tcp/4001', '/ip6/::ffff:127.0.0.1/tcp/4001',
    '/dns4/localhost/tcp/4001', '/dns/node.localhost/tcp/4001/ws'
  ])('%s is private', (address) => {
    expect(isPrivateMultiaddr(address)).toBe(true)
  })

  it.each([
    '/ip4/8.8.8.8/tcp/4001', '/ip4/100.128.0.1/tcp/4001', '/ip4/172.32.0.1/tcp/4001', '/ip6/2001:4860::8888/tcp/4001',
    '/ip6/::ffff:8.8.8.8/tcp/4001', '/dns4/example.com/tcp/443/wss',
    // unspecified: listens everywhere
    '/ip4/0.0.0.0/tcp/0', '/ip6/::/tcp/0',
    'not a multiaddr'
  ])('%s is not private', (address) => {
    expect(isPrivateMultiaddr(address)).toBe(false)
  })
})
