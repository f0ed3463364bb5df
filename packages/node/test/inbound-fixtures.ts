/**
 * Stock libp2p clients that connect from a chosen loopback address (all of 127.0.0.0/8 reaches
 * 127.0.0.1 on Linux), for tests of how a node shares its inbound connections between address groups.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p } from '../src/libp2p.js'
import { addressOf, waitFor } from './harness.js'
import type { MurmurLibp2p, MurmurLibp2pInit } from '../src/libp2p.js'
import type { Libp2p } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'

/** `count` stock libp2p peers whose TCP connections leave from `host`. */
export async function clientsFrom (host: string, count: number): Promise<Libp2p[]> {
  // @libp2p/tcp hands dialOpts to net.connect, whose localAddress its type does not list
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress: host }
  return Promise.all(Array.from({ length: count }, async () =>
    createLibp2p({ transports: [tcp({ dialOpts })], connectionEncrypters: [noise()], streamMuxers: [yamux()] })))
}

/** Dials `node` from `client` and waits for the node to register or refuse it; true if it got in. */
export async function connectInbound (node: Pick<Libp2p, 'getMultiaddrs' | 'getConnections'>, client: Libp2p): Promise<boolean> {
  try {
    const connection = await client.dial(multiaddr(addressOf(node)))
    // refused after the handshake: the node closes the socket as soon as its gate says no
    await waitFor(() => connection.status !== 'open' || node.getConnections(client.peerId).length > 0, 'the connection to settle', 10_000, 20)
    return connection.status === 'open'
  } catch {
    return false
  }
}

/** The open inbound connections of `node` from `host`. */
export function inboundFrom (node: Pick<Libp2p, 'getConnections'>, host: string): number {
  return node.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open' && c.remoteAddr.toString().startsWith(`/ip4/${host}/`)).length
}

/**
 * Murmur's libp2p composition on loopback (no bootstrap, no mDNS, private addresses dialable), not
 * started; `init` overrides any option (a tracker of its own, `dhtServer`, `extra`).
 */
export async function loopbackLibp2p (init: Partial<MurmurLibp2pInit> = {}): Promise<MurmurLibp2p> {
  return createMurmurLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, allowPrivateAddresses: true, iceServers: [], dhtServer: false, tracker: new InvalidMessageTracker(), ...init })
}
