// What an idle connection costs (bench/crowd.ts): libp2p's connection monitor opened a ping stream on
// every connection every 10 s at each end — in an idle crowd of 60 nodes the largest share of a node's
// CPU. A Murmur node pings once a minute (CONNECTION_PING_INTERVAL), also when the embedder passes its
// own connectionMonitor options (merged key by key, as the bench and the tests do).
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { CONNECTION_PING_INTERVAL } from '../src/libp2p.js'
import { addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'

const PING = '/ipfs/ping/1.0.0'
/** Long enough for libp2p's default (10 s) to ping at least twice on a loaded machine. */
const WATCH = 25_000

describe('connection pings', () => {
  const { running } = cleanedAfterEach()

  it(`a Murmur node pings a connection once a minute, not every 10 s`, async () => {
    expect(CONNECTION_PING_INTERVAL).toBeGreaterThanOrEqual(60_000)
    const node = await startNode({ libp2p: { connectionMonitor: { abortConnectionOnPingFailure: false } } })
    running.push(node)
    const peer = await startStockPeer()
    running.push(peer)
    let pings = 0
    await peer.handle(PING, (stream) => {
      pings++
      // echo, as the ping protocol does, until the node closes the stream
      void (async () => {
        for await (const chunk of stream) stream.send(chunk)
      })().catch(() => {})
    })
    await peer.dial(multiaddr(addressOf(node)))
    await waitFor(() => node.libp2p.getConnections(peer.peerId).length > 0, 'the connection')
    await new Promise((resolve) => setTimeout(resolve, WATCH))
    expect(node.libp2p.getConnections(peer.peerId).length).toBeGreaterThan(0)
    expect(pings).toBe(0)
  }, 60_000)
})
