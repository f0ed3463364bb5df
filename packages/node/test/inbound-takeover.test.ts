// A takeover of an inbound slot closes an established connection only for a newcomer that finished its
// handshake and is not cut off (issue 12 review 3, Medium 11). The share was decided before the
// upgrade, so plain TCP sockets that never sent a byte, or a peer cut off for invalid messages (refused
// only at the encrypted stage), each closed an established connection of the crowd behind the largest
// address: 4 silent sockets closed 4 of 9, and again after every upgrade timeout. Each "host" here
// dials from an address of its own (all of 127.0.0.0/8 reaches 127.0.0.1 on Linux).
import net from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT, InvalidMessageTracker } from '../src/gossip.js'
import { inboundFairShare } from '../src/inbound-share.js'
import { createMurmurLibp2p, inboundConnectionLimit } from '../src/libp2p.js'
import { addressOf, cleanedAfterEach, waitFor } from './harness.js'
import type { MurmurLibp2p } from '../src/libp2p.js'
import type { Connection, Libp2p, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'

/** A small table, so that the inbound slots fill with a few clients: 9 inbound slots. */
const MAX_CONNECTIONS = 12
const LIMIT = inboundConnectionLimit(MAX_CONNECTIONS)
/** How long the crowd is watched for a closed connection once the node has seen every silent socket, in ms (the old code closed them within a few ms). */
const WATCH = 3_000

/** The node under test: Murmur's libp2p composition, with a tracker the test can cut peers off in, and a record of the addresses its gate saw. */
async function startTarget (tracker: InvalidMessageTracker, gated: string[]): Promise<MurmurLibp2p> {
  const node = await createMurmurLibp2p({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    mdns: false,
    allowPrivateAddresses: true,
    iceServers: [],
    dhtServer: false,
    tracker,
    extra: {
      connectionManager: { maxConnections: MAX_CONNECTIONS, inboundConnectionThreshold: 1_000 },
      // asked before the node's own rules (combineConnectionGaters), lets everything through
      connectionGater: { denyInboundConnection: (maConn) => { gated.push(maConn.remoteAddr.toString()); return false } }
    }
  })
  await node.start()
  return node
}

/** `count` stock libp2p peers whose TCP connections leave from `host`. */
async function clients (host: string, count: number): Promise<Libp2p[]> {
  // @libp2p/tcp hands dialOpts to net.connect, whose localAddress its type does not list
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress: host }
  return Promise.all(Array.from({ length: count }, async () =>
    createLibp2p({ transports: [tcp({ dialOpts })], connectionEncrypters: [noise()], streamMuxers: [yamux()] })))
}

/** Dials `node` from `client` and waits for the node to register or refuse it; true if it got in. */
async function connect (node: MurmurLibp2p, client: Libp2p): Promise<boolean> {
  try {
    const connection = await client.dial(multiaddr(addressOf(node)))
    // refused after the handshake: the node closes the socket as soon as its gate says no
    await waitFor(() => connection.status !== 'open' || node.getConnections(client.peerId).length > 0, 'the connection to settle', 10_000, 20)
    return connection.status === 'open'
  } catch {
    return false
  }
}

/** The node's open inbound connections from `host`. */
function inboundFrom (node: MurmurLibp2p, host: string): number {
  return node.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open' && c.remoteAddr.toString().startsWith(`/ip4/${host}/`)).length
}

/** Fills every inbound slot of `node` with a crowd behind 127.0.0.1. */
async function fill (node: MurmurLibp2p, cleanup: ReturnType<typeof cleanedAfterEach>): Promise<Libp2p[]> {
  const crowd = await clients('127.0.0.1', LIMIT)
  cleanup.running.push(...crowd)
  for (const client of crowd) expect(await connect(node, client)).toBe(true)
  expect(inboundFrom(node, '127.0.0.1')).toBe(LIMIT)
  return crowd
}

/** Resolves once no crowd connection closed for {@link WATCH} ms; rejects at the first that closes. */
async function crowdStaysFor (node: MurmurLibp2p, crowd: Libp2p[]): Promise<void> {
  const closed = (): boolean => inboundFrom(node, '127.0.0.1') < LIMIT || crowd.some((client) => client.getConnections().length === 0)
  await expect(waitFor(closed, 'a crowd connection to close', WATCH, 20)).rejects.toThrow(/timed out/)
}

describe('inbound takeover after the handshake', () => {
  const cleanup = cleanedAfterEach()

  it('silent TCP sockets from another address close no established connection; a real newcomer still takes a slot over', async () => {
    const gated: string[] = []
    const node = await startTarget(new InvalidMessageTracker(), gated)
    cleanup.running.push(node)
    const crowd = await fill(node, cleanup)

    const port = Number(addressOf(node).split('/')[4])
    const sockets = Array.from({ length: 4 }, () => net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' }))
    cleanup.running.push({ stop: () => { for (const socket of sockets) socket.destroy() } })
    for (const socket of sockets) socket.on('error', () => {})
    // every socket reached the node's gate (and was let in or refused there) before the watch starts
    await waitFor(() => gated.filter((a) => a.startsWith('/ip4/127.0.0.3/')).length === sockets.length, 'the node to see every silent socket', 10_000, 20)
    await crowdStaysFor(node, crowd)
    expect(inboundFrom(node, '127.0.0.3')).toBe(0)

    // while the silent sockets are still pending, a newcomer that completes its handshake gets in,
    // and the crowd's newest connection makes room for it
    const [newcomer] = await clients('127.0.0.2', 1)
    cleanup.running.push(newcomer!)
    expect(await connect(node, newcomer!)).toBe(true)
    await waitFor(() => inboundFrom(node, '127.0.0.1') === LIMIT - 1, 'one crowd connection to make room', 10_000, 20)
    expect(inboundFrom(node, '127.0.0.2')).toBe(1)
    expect(node.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open').length).toBe(LIMIT)
  })

  it('a peer cut off for invalid messages closes no established connection', async () => {
    const tracker = new InvalidMessageTracker()
    const gated: string[] = []
    const node = await startTarget(tracker, gated)
    cleanup.running.push(node)
    const crowd = await fill(node, cleanup)

    const liars = await clients('127.0.0.4', 3)
    cleanup.running.push(...liars)
    // one more than the cut-off: the count decays from the first penalty on
    for (const liar of liars) for (let i = 0; i <= CUT_OFF_COUNT; i++) tracker.penalise(liar.peerId.toString())
    for (const liar of liars) expect(await connect(node, liar)).toBe(false)
    await crowdStaysFor(node, crowd)
    expect(inboundFrom(node, '127.0.0.4')).toBe(0)
  })
})

describe('inboundFairShare', () => {
  let opened = 0
  /** An open inbound connection from `host` whose close the test finishes by hand. */
  function open (host: string): Connection & { closes: number, finish(): void } {
    let finish = (): void => {}
    const connection = {
      direction: 'inbound',
      status: 'open',
      remoteAddr: multiaddr(`/ip4/${host}/tcp/${4000 + ++opened}/p2p/12D3KooWGRUVh4gg4xJzQGFaodVb4n5x5BjBQbUVyGBkfMvTpuZM`),
      timeline: { open: opened },
      closes: 0,
      finish: () => { finish() },
      close: async () => {
        connection.closes++
        await new Promise<void>((resolve) => { finish = () => { connection.status = 'closed'; resolve() } })
      },
      abort: () => { connection.status = 'closed' }
    }
    return connection as unknown as Connection & { closes: number, finish(): void }
  }
  function socket (host: string): MultiaddrConnection {
    return { remoteAddr: multiaddr(`/ip4/${host}/tcp/${5000 + ++opened}`), timeline: { open: Date.now() } } as unknown as MultiaddrConnection
  }
  const peer = {} as unknown as PeerId

  it('closes nobody before the upgrade, and two newcomers upgraded at once take two different connections over', async () => {
    const connections = Array.from({ length: 4 }, () => open('198.51.100.1'))
    const share = inboundFairShare({ limit: 4, connections: () => connections.filter((c) => c.status === 'open') })
    const first = socket('198.51.100.2')
    const second = socket('198.51.100.3')
    expect(await share.denyInboundConnection(first)).toBe(false)
    expect(await share.denyInboundConnection(second)).toBe(false)
    // the same group as the crowd holds the most already: refused outright
    expect(await share.denyInboundConnection(socket('198.51.100.1'))).toBe(true)
    expect(connections.map((c) => c.closes)).toEqual([0, 0, 0, 0])

    const upgraded = [share.denyInboundUpgradedConnection(peer, first), share.denyInboundUpgradedConnection(peer, second)]
    // the newest two of the crowd, one each, and the newcomers wait for them to close
    await waitFor(() => connections[3]!.closes === 1 && connections[2]!.closes === 1, 'both takeovers to start', 1_000, 5)
    expect(connections.map((c) => c.closes)).toEqual([0, 0, 1, 1])
    let settled = false
    void Promise.all(upgraded).then(() => { settled = true })
    await Promise.resolve()
    expect(settled).toBe(false)
    for (const c of connections) c.finish()
    expect(await Promise.all(upgraded)).toEqual([false, false])
  })

  it('counts silent sockets against their own address group only', async () => {
    // every slot but one held by a group of its own: nobody can take a slot over
    const connections = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map(open)
    const share = inboundFairShare({ limit: 4, connections: () => connections })
    // a host opening silent sockets gets the free slot provisionally, once
    expect(await share.denyInboundConnection(socket('203.0.113.9'))).toBe(false)
    expect(await share.denyInboundConnection(socket('203.0.113.9'))).toBe(true)
    // which does not keep a newcomer from elsewhere out of it
    expect(await share.denyInboundConnection(socket('198.51.100.4'))).toBe(false)
  })

  it('lets a connection the node dialed as responder through the upgraded hook untouched', async () => {
    const connections = Array.from({ length: 2 }, () => open('198.51.100.1'))
    const share = inboundFairShare({ limit: 2, connections: () => connections })
    expect(await share.denyInboundUpgradedConnection(peer, socket('198.51.100.2'))).toBe(false)
    expect(connections.map((c) => c.closes)).toEqual([0, 0])
  })
})
