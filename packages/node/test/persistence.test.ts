import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { nextPost, startNode, startStockPeer, stopAll, TEST_POW_BITS, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#diary'
const TOPIC = channelTopic(CHANNEL)

describe('persistence', () => {
  let running: Array<Murmur | StockPeer> = []
  const dirs: string[] = []
  afterEach(async () => {
    await stopAll(running)
    running = []
    await Promise.all(dirs.splice(0).map(async (dir) => rm(dir, { recursive: true, force: true })))
  })

  it('a node with dataDir keeps its posts across restarts; expired posts disappear', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'murmur-data-'))
    dirs.push(dataDir)
    const node = await startNode({ dataDir, channels: [CHANNEL] })
    running.push(node)
    const kept = await node.post(CHANNEL, 'still here tomorrow')
    expect(kept).toMatchObject({ status: 'queued', reason: 'no-connections' })

    // a peer delivers a post made 55 s ago with the shortest lifetime: it expires 5 s from now
    const peer = await startStockPeer()
    running.push(peer)
    await peer.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => peer.services.pubsub.getSubscribers(TOPIC).length > 0, 'peer sees the channel')
    const created = Math.floor(Date.now() / 1000) - 55
    const shortLived = await buildEnvelope({ channel: CHANNEL, body: 'gone soon', created, ttl: 60, powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (p) => p.id === toHex(shortLived.id))
    await peer.services.pubsub.publish(TOPIC, shortLived.bytes)
    expect((await arrived).expires).toBe(created + 60)
    expect((await node.feed(CHANNEL)).map((p) => p.body).sort()).toEqual(['gone soon', 'still here tomorrow'])
    await node.stop()

    await waitFor(() => Math.floor(Date.now() / 1000) > created + 60, 'the short-lived post to expire', 15_000, 250)
    const restarted = await startNode({ dataDir })
    running.push(restarted)
    expect(restarted.peerId.equals(node.peerId)).toBe(false)
    expect((await restarted.feed(CHANNEL)).map((p) => p.body)).toEqual(['still here tomorrow'])
    expect(await restarted.get(kept.id)).toMatchObject({ body: 'still here tomorrow', op: true })
    expect(await restarted.get(toHex(shortLived.id))).toBeUndefined()
  })

})
