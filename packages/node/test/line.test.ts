import { CREATED_GRANULARITY, buildEnvelope, channelTopic, checkPow, decodeEnvelope, encodeEnvelope, fromHex, messageId, powDigest, toHex } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressOf, nextPost, startNode, startStockPeer, stopAll, waitFor } from './harness.js'
import { memberInit, waitForSigning } from './member-fixtures.js'
import type { StockPeer } from './harness.js'
import type { Murmur, PostView } from '../src/index.js'

const CHANNEL = '#line'
const TOPIC = channelTopic(CHANNEL)
const SIZE = 8
/** The nodes that mint a member stamp: the third votes (only members' votes count), the seventh is in its ring. */
const MEMBERS = [2, 6]

describe('eight nodes bootstrapped in a line', () => {
  const nodes: Murmur[] = []
  let replayer: StockPeer | undefined

  beforeAll(async () => {
    for (let i = 0; i < SIZE; i++) {
      const previous = nodes[i - 1]
      const init = { channels: [CHANNEL], bootstrap: previous === undefined ? [] : [addressOf(previous)] }
      nodes.push(await startNode(MEMBERS.includes(i) ? memberInit(init) : init))
    }
    // every node has a subscribed neighbour before anything is posted
    await waitFor(() => nodes.every((node) => node.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0), 'subscribed neighbours')
    // the voter's member signs (its stamp out, the other member known), and every directory holds both stamps
    await waitForSigning(MEMBERS.map((i) => nodes[i]!))
    await waitFor(() => nodes.every((node) => node.membership()?.members === MEMBERS.length), 'every directory to hold both members', 60_000)
  }, 240_000)

  afterAll(async () => {
    await stopAll([...nodes, replayer])
  })

  it('delivers a post from one end to every node with correct fields', async () => {
    const first = nodes[0]!
    const arrivals = nodes.slice(1).map(async (node) => nextPost(node, (p) => p.body === 'hello from the start'))
    const before = Math.floor(Date.now() / 1000)
    const sent = await first.post(CHANNEL, 'hello from the start', { ttl: 3600 })
    expect(sent.status).toBe('sent')
    expect(sent.id).toMatch(/^[0-9a-f]{64}$/)
    const views = await Promise.all(arrivals)
    const own = await first.get(sent.id)
    for (const view of [...views, own]) {
      expect(view).toMatchObject({
        id: sent.id,
        channel: CHANNEL,
        kind: 'POST',
        body: 'hello from the start',
        vote: 0,
        score: 0,
        replies: 0,
        root: sent.id,
        op: true
      } satisfies Partial<PostView>)
      expect(view!.parent).toBeUndefined()
      // coarse on purpose (v2): a minute boundary, at most a uniform 0..59 s jitter plus rounding before now
      expect(view!.created % CREATED_GRANULARITY).toBe(0)
      expect(view!.created).toBeGreaterThan(before - 2 * CREATED_GRANULARITY)
      expect(view!.created).toBeLessThanOrEqual(before + 60)
      expect(view!.expires).toBe(view!.created + 3600)
      expect(view!.pseudonym).toMatch(/^[0-9a-f]{64}$/)
    }
    // the same post, with the same pseudonym, everywhere
    expect(new Set(views.map((v) => v.pseudonym)).size).toBe(1)
    for (const node of nodes) {
      const feed = await node.feed(CHANNEL)
      expect(feed.map((p) => p.id)).toContain(sent.id)
    }
  })

  it('updates threads and scores on every node; a replayed vote counts once', async () => {
    const [first, , third, , , , , last] = nodes as [Murmur, Murmur, Murmur, Murmur, Murmur, Murmur, Murmur, Murmur]
    const root = await first.post(CHANNEL, 'root of a thread')
    await Promise.all(nodes.slice(1).map(async (node) => waitFor(async () => node.get(root.id), 'root everywhere')))

    // a stock peer replays a vote envelope byte for byte
    replayer = await startStockPeer()
    // the replayer does not subscribe (it would receive the vote and refuse to publish a duplicate)
    await replayer.dial(nodes[5]!.getMultiaddrs()[0]!)
    await waitFor(() => replayer!.services.pubsub.getSubscribers(TOPIC).length > 0, 'replayer sees a subscriber')

    const reply = await last.reply(root.id, 'a reply from the far end')
    const opReply = await first.reply(root.id, 'the author answers')
    const vote = await third.vote(root.id, 1)

    for (const node of nodes) {
      const thread = await waitFor(async () => {
        const t = await node.thread(root.id)
        return t.length === 3 && t[0]!.score === 1 && t[0]!.replies === 2 ? t : undefined
      }, 'thread complete on every node')
      expect(thread[0]).toMatchObject({ id: root.id, kind: 'POST', op: true, score: 1, replies: 2 })
      const byId = new Map(thread.map((p) => [p.id, p]))
      expect(byId.get(reply.id)).toMatchObject({ kind: 'REPLY', parent: root.id, root: root.id, body: 'a reply from the far end', op: false })
      expect(byId.get(opReply.id)).toMatchObject({ kind: 'REPLY', parent: root.id, root: root.id, body: 'the author answers', op: true })
      // the author's reply carries the author's pseudonym of this thread
      expect(byId.get(opReply.id)!.pseudonym).toBe(thread[0]!.pseudonym)
      expect(byId.get(reply.id)!.pseudonym).not.toBe(thread[0]!.pseudonym)
      expect(await node.get(vote.id)).toMatchObject({ kind: 'VOTE', vote: 1, parent: root.id, member: true })
    }

    // the vote's bytes exactly as a node far from the voter received them (as history sync serves them again)
    const store = (nodes[7] as unknown as { store: { get: (id: Uint8Array) => Promise<{ envelope: Uint8Array } | undefined> } }).store
    const captured = { data: (await store.get(fromHex(vote.id)))!.envelope }
    expect(toHex(messageId(TOPIC, captured.data))).toBe(vote.id)
    // the same vote again, and the same vote re-mined with another nonce (other bytes, same post id)
    const envelope = decodeEnvelope(captured.data)
    let nonce = envelope.pow + 1n
    while (!checkPow(powDigest(fromHex(vote.id), envelope), nonce, 8)) nonce++
    const remined = encodeEnvelope({ ...envelope, pow: nonce })
    expect(toHex(messageId(TOPIC, remined))).toBe(vote.id)

    let redelivered = 0
    const countVote = (evt: CustomEvent<PostView>): void => { if (evt.detail.id === vote.id) redelivered++ }
    nodes.forEach((node) => { node.addEventListener('post', countVote) })
    for (const data of [captured.data, remined]) {
      const { recipients } = await replayer.services.pubsub.publish(TOPIC, data)
      expect(recipients.length).toBeGreaterThan(0)
    }
    // a fresh post sent after the replays: once it is everywhere, the replays have been processed
    const marker = await buildEnvelope({ channel: CHANNEL, body: 'after the replays', powBits: 8 })
    const markers = nodes.map(async (node) => nextPost(node, (p) => p.id === toHex(marker.id)))
    await replayer.services.pubsub.publish(TOPIC, marker.bytes)
    await Promise.all(markers)
    nodes.forEach((node) => { node.removeEventListener('post', countVote) })
    expect(redelivered).toBe(0)
    for (const node of nodes) {
      expect((await node.get(root.id))!.score).toBe(1)
    }
  }, 120_000)
})

