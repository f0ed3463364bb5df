// Inbound connections are shared fairly between address groups (issue 12, Critical: the crowd and the
// sybil swarm). One host with 72 PeerIds filled every inbound slot of a node (72 of 96) and locked
// everyone else out; a fixed cap per address would lock out a crowd behind one NAT instead. Each
// "host" here is stock libp2p peers dialing from an address of their own (all of 127.0.0.0/8 reaches
// 127.0.0.1 on Linux).
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { admitInbound } from '../src/inbound-share.js'
import { inboundConnectionLimit } from '../src/libp2p.js'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'

/** `count` stock libp2p peers whose TCP connections leave from `host`. */
async function clients (host: string, count: number): Promise<Libp2p[]> {
  // @libp2p/tcp hands dialOpts to net.connect, whose localAddress its type does not list
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress: host }
  return Promise.all(Array.from({ length: count }, async () =>
    createLibp2p({ transports: [tcp({ dialOpts })], connectionEncrypters: [noise()], streamMuxers: [yamux()] })))
}

/** Dials `node` from each client, ten at a time (libp2p upgrades at most ten inbound connections at once); true for each that got in. */
async function connectAll (node: Murmur, from: Libp2p[]): Promise<boolean[]> {
  const address = multiaddr(addressOf(node))
  const results: boolean[] = []
  for (let at = 0; at < from.length; at += 10) {
    results.push(...await Promise.all(from.slice(at, at + 10).map(async (client) => {
      try {
        const connection = await client.dial(address)
        // refused by the gater: the socket is closed as the upgrade starts, or soon after
        await waitFor(() => connection.status === 'open' && node.libp2p.getConnections(client.peerId).length > 0 ? true : connection.status !== 'open' ? 'closed' : false, 'the connection to settle', 10_000, 20)
        return connection.status === 'open'
      } catch {
        return false
      }
    })))
  }
  return results
}

/** The node's open inbound connections from `host`. */
function inboundFrom (node: Murmur, host: string): number {
  return node.libp2p.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open' && c.remoteAddr.toString().startsWith(`/ip4/${host}/`)).length
}

describe('inbound connections shared by address group', () => {
  const cleanup = cleanedAfterEach()

  it('a host holding every inbound slot gives one up to a newcomer from another address, and cannot take it back', async () => {
    const node = await startNode({ sync: false, stem: false })
    cleanup.running.push(node)
    const limit = inboundConnectionLimit(96)
    const sybils = await clients('127.0.0.1', limit + 4)
    cleanup.running.push(...sybils)
    const sybilResults = await connectAll(node, sybils)
    expect(sybilResults.filter(Boolean).length).toBe(limit)
    await waitFor(() => inboundFrom(node, '127.0.0.1') === limit, 'the sybil host to hold every inbound slot')

    const [honest] = await clients('127.0.0.2', 1)
    cleanup.running.push(honest!)
    expect(await connectAll(node, [honest!])).toEqual([true])
    // the sybil host's newest connection made room; the honest one stays
    await waitFor(() => inboundFrom(node, '127.0.0.1') === limit - 1, 'one sybil connection to be closed')
    expect(inboundFrom(node, '127.0.0.2')).toBe(1)

    // the sybil host holds more than the newcomer: its reconnecting PeerIds are refused, the honest connection stays
    const again = await clients('127.0.0.1', 3)
    cleanup.running.push(...again)
    expect(await connectAll(node, again)).toEqual([false, false, false])
    expect(inboundFrom(node, '127.0.0.2')).toBe(1)
    expect(node.libp2p.getConnections(honest!.peerId).length).toBe(1)
  })

  it('100 connections from one address all get in while the inbound slots are not full', async () => {
    const node = await startNode({ sync: false, stem: false, libp2p: { connectionManager: { maxConnections: 200, inboundConnectionThreshold: 1_000 } } })
    cleanup.running.push(node)
    const crowd = await clients('127.0.0.1', 100)
    cleanup.running.push(...crowd)
    expect((await connectAll(node, crowd)).filter(Boolean).length).toBe(100)
    expect(inboundFrom(node, '127.0.0.1')).toBe(100)
  })
})

describe('admitInbound', () => {
  let opened = 0
  function inbound (address: string): Connection {
    return { remoteAddr: multiaddr(`/ip4/${address}/tcp/4001`), timeline: { open: ++opened } } as unknown as Connection
  }

  it('converges to max-min fairness and never churns equal shares', () => {
    const full = [...Array.from({ length: 6 }, () => inbound('198.51.100.1')), ...Array.from({ length: 2 }, () => inbound('198.51.100.2'))]
    // not full: anyone gets in
    expect(admitInbound(multiaddr('/ip4/198.51.100.1/tcp/1'), full.slice(0, 7), 8)).toEqual({ admit: true })
    // full: the largest group's newest connection makes room for a smaller group
    expect(admitInbound(multiaddr('/ip4/198.51.100.3/tcp/1'), full, 8)).toEqual({ admit: true, victim: full[5] })
    expect(admitInbound(multiaddr('/ip4/198.51.100.2/tcp/1'), full, 8)).toEqual({ admit: true, victim: full[5] })
    // the largest group itself, and a group that would hold as many as the largest, are refused
    expect(admitInbound(multiaddr('/ip4/198.51.100.1/tcp/1'), full, 8)).toEqual({ admit: false })
    const even = [...Array.from({ length: 4 }, () => inbound('198.51.100.1')), ...Array.from({ length: 4 }, () => inbound('198.51.100.2'))]
    expect(admitInbound(multiaddr('/ip4/198.51.100.2/tcp/1'), even, 8)).toEqual({ admit: false })
    // an IPv6 host counts by its /48: another /64 of the same site is the same group
    const site = Array.from({ length: 8 }, (_, i) => ({ ...inbound('198.51.100.9'), remoteAddr: multiaddr(`/ip6/2001:db8:0:${i}::1/tcp/4001`) }) as unknown as Connection)
    expect(admitInbound(multiaddr('/ip6/2001:db8:0:ff::1/tcp/1'), site, 8)).toEqual({ admit: false })
    expect(admitInbound(multiaddr('/ip6/2001:db8:1::1/tcp/1'), site, 8)).toMatchObject({ admit: true })
  })
})
