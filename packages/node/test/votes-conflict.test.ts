/**
 * Issue 13, conflicting envelopes under one link tag on real nodes: an up- and a downvote by one stamped
 * member on one post, hand-built (ring-signed over stamped members announced to the directory) and
 * delivered by stock libp2p peers to two nodes in opposite orders, end in the same state on both — the
 * smaller id counts — and a third node that joins later reaches it through history sync. Five one-time-key
 * downvotes move nothing.
 */
import { DIRECTORY_TOPIC, buildEnvelope, channelTopic, compareBytes, encodeStamp, generateAuthorKey, toHex, weekOf } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressOf, SHARED_VERIFY_POOL, startNode, startStockPeer, stopAll, TEST_POW_BITS, TEST_STAMP_BITS, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { AuthorKey, BuiltEnvelope } from '@murmur/protocol'

const CHANNEL = '#vote-conflict'
const TOPIC = channelTopic(CHANNEL)
/** Stamped members of the test directory: every ring is all of them (a directory smaller than 16 allows it). */
const MEMBERS = 4

describe('an up- and a downvote of one member under one tag, on real nodes', () => {
  let b: Murmur
  let c: Murmur
  let late: Murmur | undefined
  let toB: StockPeer
  let toC: StockPeer
  let members: AuthorKey[]

  /** A stock peer connected to `node` alone, seeing it in the directory and channel topics. */
  const feederOf = async (node: Murmur): Promise<StockPeer> => {
    const peer = await startStockPeer()
    for (const topic of [DIRECTORY_TOPIC, TOPIC]) peer.services.pubsub.subscribe(topic)
    await peer.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => [DIRECTORY_TOPIC, TOPIC].every((topic) => peer.services.pubsub.getSubscribers(topic).length === 1), 'the stock peer to see the node in both topics')
    return peer
  }
  const publish = async (peer: StockPeer, built: BuiltEnvelope | { topic: string, bytes: Uint8Array }): Promise<void> => {
    await peer.services.pubsub.publish(built.topic, built.bytes)
  }
  const held = async (node: Murmur, id: Uint8Array): Promise<boolean> => await node.get(toHex(id)) !== undefined

  beforeAll(async () => {
    // B and C are not connected: each hears only its own stock peer until the late node joins both
    b = await startNode({ channels: [CHANNEL] })
    c = await startNode({ channels: [CHANNEL] })
    toB = await feederOf(b)
    toC = await feederOf(c)
    const week = weekOf(Math.floor(Date.now() / 1000))
    members = Array.from({ length: MEMBERS }, () => generateAuthorKey())
    const stamps = await Promise.all(members.map(async (key) => await SHARED_VERIFY_POOL.mintStamp({ memberKey: key.publicKey, week, bits: TEST_STAMP_BITS })))
    for (const [i, stamp] of stamps.entries()) {
      for (const peer of [toB, toC]) await publish(peer, { topic: DIRECTORY_TOPIC, bytes: encodeStamp(stamp) })
      await waitFor(() => [b, c].every((node) => (node.membership()?.members ?? 0) >= i + 1), `both directories to hold ${i + 1} stamps`, 60_000)
    }
  }, 240_000)

  afterAll(async () => {
    await stopAll([b, c, late, toB, toC])
  })

  it('ends with the smaller id counted on both nodes whatever the order, and a late node syncs to it; one-time downvotes move nothing', async () => {
    const parent = await buildEnvelope({ channel: CHANNEL, body: 'vote on me', powBits: TEST_POW_BITS })
    for (const peer of [toB, toC]) await publish(peer, parent)
    await waitFor(async () => await held(b, parent.id) && await held(c, parent.id), 'the post on B and C')

    const signer = members[0]!
    const ring = members.map((key) => key.publicKey).sort(compareBytes)
    // two budget slots of the hour, as a member's counter gives them: the two share only the per-post tag
    const vote = async (value: 1 | -1, slot: number): Promise<BuiltEnvelope> => await buildEnvelope({
      channel: CHANNEL, kind: 'VOTE', parent: parent.id, vote: value, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: signer.secretKey, slot }
    })
    const up = await vote(1, 0)
    const down = await vote(-1, 1)
    const [kept, lost] = compareBytes(up.id, down.id) < 0 ? [up, down] : [down, up]
    const keptScore = kept === up ? 1 : -1

    // B hears the upvote first, C the downvote: each waits for the first to be taken before the second
    await publish(toB, up)
    await publish(toC, down)
    await waitFor(async () => await held(b, up.id) && await held(c, down.id), 'each node to count the vote it heard first')
    await publish(toB, down)
    await publish(toC, up)
    const settled = async (node: Murmur): Promise<boolean> =>
      (await node.get(toHex(parent.id)))?.score === keptScore && await held(node, kept.id) && !await held(node, lost.id)
    await waitFor(async () => await settled(b) && await settled(c), 'B and C to count the smaller id only', 60_000)

    // five one-time-key downvotes, as a script with fresh keys would send: stored, and counted for nothing
    const spam: BuiltEnvelope[] = []
    for (let i = 0; i < 5; i++) spam.push(await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: parent.id, vote: -1, powBits: TEST_POW_BITS }))
    for (const built of spam) await publish(toB, built)
    await waitFor(async () => (await Promise.all(spam.map(async (built) => await held(b, built.id)))).every(Boolean), 'B to store the one-time votes')
    expect((await b.get(toHex(parent.id)))?.score).toBe(keptScore)
    const feed = await b.feed(CHANNEL)
    expect(feed.map((post) => post.id)).toContain(toHex(parent.id))

    // a node joining both later learns the members and the votes by sync: the same state, whatever B and C heard
    late = await startNode({ channels: [CHANNEL], bootstrap: [addressOf(b), addressOf(c)] })
    const joined = late
    await waitFor(() => (joined.membership()?.members ?? 0) >= MEMBERS, 'the late node\'s directory to hold the members by sync', 90_000)
    await waitFor(async () => await settled(joined), 'the late node to count the smaller id only, by sync', 120_000)
    for (const node of [b, c, joined]) {
      const view = await node.get(toHex(kept.id))
      expect(view).toMatchObject({ kind: 'VOTE', vote: keptScore, member: true })
      expect(await node.get(toHex(lost.id))).toBeUndefined()
    }
  }, 300_000)
})
