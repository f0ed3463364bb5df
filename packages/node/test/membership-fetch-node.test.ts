/**
 * Issue 13 on real nodes: a ring vote whose members' stamps this node never saw announced (they went out
 * while it was not listening) is kept, and the stamps are fetched from peers at once — not at the next
 * anti-entropy round, here ten minutes away. The stock libp2p peer that sent the vote answers the
 * directory sync with junk: the next peer is asked, brings the stamps, and the vote counts.
 */
import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { DIRECTORY_TOPIC, buildEnvelope, channelTopic, compareBytes, encodeStamp, generateAuthorKey, toHex, weekOf } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../src/index.js'
import { SHARED_VERIFY_POOL, TEST_POW_BITS, TEST_STAMP_BITS, addressOf, startNode, startStockPeer, stopAll, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { NodeMembership } from '../src/node-membership.js'

const CHANNEL = '#fetch-stamps'
const TOPIC = channelTopic(CHANNEL)
const RING = 16
/** Anti-entropy far beyond the test: only a fetch brings the stamps in time. */
const QUIET_SYNC = { interval: 600_000 }

describe('stamps a ring is missing', () => {
  const running: Array<Murmur | StockPeer> = []
  afterEach(async () => { await stopAll(running.splice(0)) })

  it('are fetched at once from another peer when the sender answers with junk, and the held vote counts', async () => {
    const honest = await startNode({ channels: [CHANNEL], sync: QUIET_SYNC })
    running.push(honest)
    const node = await startNode({ channels: [CHANNEL], sync: QUIET_SYNC, bootstrap: [addressOf(honest)] })
    running.push(node)
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(DIRECTORY_TOPIC).length === 1, 'the node to see the honest node in the directory topic')

    // stamps the honest node learned while this node was not listening: nothing gossips them again
    const week = weekOf(Math.floor(Date.now() / 1000))
    const keys = Array.from({ length: RING }, () => generateAuthorKey())
    const stamps = await Promise.all(keys.map(async (key) => await SHARED_VERIFY_POOL.mintStamp({ memberKey: key.publicKey, week, bits: TEST_STAMP_BITS })))
    const directory = (honest as unknown as { members: NodeMembership }).members.directory
    for (const stamp of stamps) expect((await directory.receive(encodeStamp(stamp), { path: 'sync' })).action).toBe('accept')
    expect(honest.membership()?.members).toBe(RING)
    expect(node.membership()?.members).toBe(0)

    // the sender: a stock peer whose answer to a directory sync is junk
    const sender = await startStockPeer()
    running.push(sender)
    let junkSessions = 0
    await sender.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      await lp.read()
      junkSessions++
      await lp.write(randomBytes(200))
    })
    for (const topic of [DIRECTORY_TOPIC, TOPIC]) sender.services.pubsub.subscribe(topic)
    await sender.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => sender.services.pubsub.getSubscribers(TOPIC).length === 1, 'the sender to see the node in the channel')

    const root = await buildEnvelope({ channel: CHANNEL, body: 'vote on me', powBits: TEST_POW_BITS })
    await sender.services.pubsub.publish(TOPIC, root.bytes)
    await waitFor(async () => await node.get(toHex(root.id)), 'the root on the node')
    const ring = keys.map((key) => key.publicKey).sort(compareBytes)
    const now = Math.floor(Date.now() / 1000)
    const vote = await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: root.id, vote: 1, created: now - (now % 60) - 60, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: 0 } })
    await sender.services.pubsub.publish(TOPIC, vote.bytes)

    // kept until its stamps arrive, which a fetch brings well before any anti-entropy round
    await waitFor(async () => await node.get(toHex(vote.id)), 'the vote taken once the fetched stamps arrived', 45_000)
    expect((await node.get(toHex(root.id)))?.score).toBe(1)
    expect(node.membership()?.members).toBe(RING)
    // the sender was asked first, and its junk did not keep the stamps away
    expect(junkSessions).toBeGreaterThanOrEqual(1)
  }, 180_000)
})
