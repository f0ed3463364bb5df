// MurmurInit.libp2p.transports adds transports to Murmur's (issue 16 item 13): before, the extra
// options were spread over Murmur's, so one extra transport replaced TCP and WebSockets and a node
// told to listen on TCP as well could not start.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { LOOPBACK, cleanedAfterEach, startNode } from './harness.js'

const LOOPBACK_CONNECTION_MANAGER = { inboundConnectionThreshold: 1_000, inboundUpgradeTimeout: 30_000 }

describe('MurmurInit.libp2p.transports', () => {
  const cleanup = cleanedAfterEach()

  it('adds an extra transport besides TCP and WebSockets', async () => {
    const memoryAddress = `/memory/murmur-extra-${crypto.randomUUID()}`
    const node = await startNode({
      listen: [...LOOPBACK, '/ip4/127.0.0.1/tcp/0/ws', memoryAddress],
      allowPrivateAddresses: true,
      libp2p: { transports: [memory()], connectionManager: LOOPBACK_CONNECTION_MANAGER }
    })
    cleanup.running.push(node)
    const addresses = node.getMultiaddrs().map(String)
    expect(addresses.some((a) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//.test(a))).toBe(true)
    expect(addresses.some((a) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//.test(a))).toBe(true)
    expect(addresses.some((a) => a.startsWith(memoryAddress))).toBe(true)

    // reached over the extra transport by a stock peer, and over TCP by another Murmur node
    const stock = await createLibp2p({ transports: [memory()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    cleanup.running.push(stock)
    const overMemory = await stock.dial(multiaddr(`${memoryAddress}/p2p/${node.peerId.toString()}`))
    expect(overMemory.remotePeer.equals(node.libp2p.peerId)).toBe(true)

    const other = await startNode()
    cleanup.running.push(other)
    const tcpAddress = addresses.find((a) => /\/tcp\/\d+\/p2p\//.test(a))
    const overTcp = await other.libp2p.dial(multiaddr(tcpAddress!))
    expect(overTcp.remoteAddr.toString()).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\//)
  }, 60_000)
})
