/**
 * The murmur_sync_sessions gauge reads HistorySync.sessions: the sessions open now, those this node
 * began and those it answers. A stock libp2p peer holds each kind open, then ends it; the count follows.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { channelTopic, ready } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { beforeAll, describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../src/index.js'
import { HistorySync } from '../src/internal.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import type { Libp2p, Stream } from '@libp2p/interface'

const CHANNEL = '#sync-sessions'
const TOPIC = channelTopic(CHANNEL)

async function startPeer (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

/** A libp2p node running HistorySync over an empty channel; the timeouts are far beyond the test, so only the peer ends a session. */
async function syncNode (): Promise<{ libp2p: Libp2p, sync: HistorySync, stop(): Promise<void> }> {
  const libp2p = await startPeer()
  const sync = new HistorySync(libp2p, {
    channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
    items: async () => [],
    envelope: async () => undefined,
    ingest: async () => 'ignore',
    penalise: () => {},
    topics: () => [TOPIC],
    members: () => [],
    chosen: () => false,
    groupOf: (peer) => peer.toString()
  }, { log: logger('test:sync'), interval: 3_600_000, firstMessageTimeout: 120_000, idleTimeout: 120_000, sessionTimeout: 120_000 })
  await sync.start()
  return { libp2p, sync, stop: async () => { await sync.stop(); await libp2p.stop() } }
}

describe('HistorySync.sessions', () => {
  const { running } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it('counts a session another peer began while this node answers it', async () => {
    const node = await syncNode()
    running.push(node)
    const peer = await startPeer()
    running.push(peer)
    expect(node.sync.sessions).toBe(0)
    // opened and silent: the node waits for its first message
    const stream = await peer.dialProtocol(node.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL)
    await waitFor(() => node.sync.sessions === 1, 'the answered session counted')
    stream.abort(new Error('the peer goes away'))
    await waitFor(() => node.sync.sessions === 0, 'the answered session no longer counted')
  }, 60_000)

  it('counts a session this node began until it ends', async () => {
    const node = await syncNode()
    running.push(node)
    const peer = await startPeer()
    running.push(peer)
    let opened: Stream | undefined
    let hangUp: () => void = () => {}
    const goneAway = new Promise<void>((resolve) => { hangUp = resolve })
    // reads the node's opening and never answers, until the test hangs up
    await peer.handle(SYNC_PROTOCOL, async (stream) => {
      await lpStream(stream).read()
      opened = stream
      await goneAway
      stream.abort(new Error('the peer goes away'))
    })
    await node.libp2p.dial(peer.getMultiaddrs()[0]!)
    const session = node.sync.maybeSyncWith(peer.peerId, TOPIC, 0, false)
    await waitFor(() => opened !== undefined, 'the node\'s opening to arrive')
    expect(node.sync.sessions).toBe(1)
    hangUp()
    expect(await session).toBeUndefined()
    expect(node.sync.sessions).toBe(0)
  }, 60_000)
})
