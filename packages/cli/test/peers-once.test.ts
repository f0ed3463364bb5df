import { describe, expect, it, vi } from 'vitest'
import { readPeers } from '../src/daemon/status.js'
import type { Murmur } from '@murmur/node'

// read from package.json two levels above dist/src, which the sources are not
vi.mock('../src/version.js', () => ({ VERSION: '0.0.0-test' }))

/** A node stub holding `connections` (peer, address, direction) and subscribers of #lobby. */
function nodeWith (connections: Array<[string, string, 'inbound' | 'outbound']>, lobby: string[]): Murmur {
  return {
    channels: () => ['#lobby'],
    channelPeers: () => lobby.map((peer) => ({ toString: () => peer })),
    libp2p: {
      getConnections: () => connections.map(([peer, addr, direction]) => ({ remotePeer: { toString: () => peer }, remoteAddr: { toString: () => addr }, direction }))
    }
  } as unknown as Murmur
}

describe('murmur peers', () => {
  it('lists a peer once when both nodes dialed each other (two connections)', () => {
    const node = nodeWith([
      ['peer-a', '/ip4/127.0.0.1/tcp/4001', 'outbound'],
      ['peer-b', '/ip4/127.0.0.1/tcp/4002', 'inbound'],
      ['peer-a', '/ip4/127.0.0.1/tcp/50123', 'inbound']
    ], ['peer-a'])
    expect(readPeers(node)).toEqual([
      { peerId: 'peer-a', addr: '/ip4/127.0.0.1/tcp/4001', direction: 'outbound', connections: 2, channels: ['#lobby'] },
      { peerId: 'peer-b', addr: '/ip4/127.0.0.1/tcp/4002', direction: 'inbound', connections: 1, channels: [] }
    ])
  })
})
