import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { channelTopic, decodeEnvelope, messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { collectMessages, startNode, startStockPeer, waitFor, cleanedAfterEach } from './harness.js'
import { startMembers } from './member-fixtures.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#wire'
const TOPIC = channelTopic(CHANNEL)

function contains (haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1
}

describe('anonymity on the wire', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a stock gossipsub peer receives our posts unsigned, without from, seqno, signature or key', async () => {
    // a member, so that its vote is one (ring-signed); then the other member leaves: the stock peer is its only peer
    const [node, other] = await startMembers(2, { init: { channels: [CHANNEL] } }) as [Murmur, Murmur]
    running.push(node, other)
    await other.stop()
    await waitFor(() => node.libp2p.getConnections().length === 0, 'the member to have no peer left')
    const stock = await startStockPeer()
    running.push(stock)
    const messages = collectMessages(stock, TOPIC)
    stock.services.pubsub.subscribe(TOPIC)
    await stock.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(stock.peerId)), 'node sees the stock subscription')

    const post = await node.post(CHANNEL, 'who said this?')
    expect(post).toMatchObject({ status: 'sent', recipients: 1 })
    const root = await node.get(post.id)
    const reply = await node.reply(post.id, 'me again')
    const vote = await node.vote(post.id, -1)
    const received = await waitFor(() => messages.length >= 3 ? messages : undefined, 'three messages at the stock peer')

    expect(new Set(received.map((message) => toHex(messageId(TOPIC, message.data))))).toEqual(new Set([post.id, reply.id, vote.id]))
    for (const message of received) {
      expect(message.type).toBe('unsigned')
      expect(Object.keys(message).sort()).toEqual(['data', 'topic', 'type'])
      expect(message).not.toHaveProperty('from')
      expect(message).not.toHaveProperty('sequenceNumber')
      expect(message).not.toHaveProperty('signature')
      expect(message).not.toHaveProperty('key')
      // nothing in the payload names the sending node either
      expect(contains(message.data, node.peerId.toMultihash().bytes)).toBe(false)
      expect(contains(message.data, node.peerId.publicKey!.raw)).toBe(false)
    }
    // a member's post and its reply in the thread are signed over one ring; the vote over a ring of its own
    // drawing, and no one-time key names any of them
    const ringOf = (id: string): string[] | undefined => decodeEnvelope(received.find((m) => toHex(messageId(TOPIC, m.data)) === id)!.data).ring?.ring.map(toHex)
    expect(ringOf(post.id)).toHaveLength(2)
    expect(ringOf(reply.id)).toEqual(ringOf(post.id))
    expect(ringOf(vote.id)).toHaveLength(2)
    expect(root).toMatchObject({ member: true })
    // the member's pseudonym in the thread is its thread tag, no member's key; its reply there carries it too
    expect(root!.pseudonym).toMatch(/^[0-9a-f]{64}$/)
    expect(ringOf(post.id)).not.toContain(root!.pseudonym)
    expect((await node.get(reply.id))).toMatchObject({ member: true, op: true, pseudonym: root!.pseudonym })
    expect(await node.get(vote.id)).toMatchObject({ member: true, vote: -1 })
    expect((await node.get(vote.id))!.pseudonym).toBeUndefined()
  }, 300_000)

  it('an unverified author\'s post and its reply share the thread pseudonym', async () => {
    const node = await startNode({ channels: [CHANNEL] })
    running.push(node)
    const post = await node.post(CHANNEL, 'who said this?')
    const reply = await node.reply(post.id, 'me again')
    const views = await node.thread(post.id)
    const root = views.find((v) => v.id === post.id)!
    expect(root).toMatchObject({ member: false })
    expect(root.pseudonym).toMatch(/^[0-9a-f]{64}$/)
    expect(views.find((v) => v.id === reply.id)!.pseudonym).toBe(root.pseudonym)
  })

  it('a restarted node has a new PeerId, unless it persists its key', async () => {
    const dir = await tempDir()
    const first = await startNode({ dataDir: dir })
    const firstId = first.peerId.toString()
    await first.stop()
    const second = await startNode({ dataDir: dir })
    running.push(second)
    expect(second.peerId.toString()).not.toBe(firstId)
    await second.stop()

    const relay = await startNode({ dataDir: dir, persistPeerId: true })
    const relayId = relay.peerId.toString()
    await relay.stop()
    expect((await stat(join(dir, 'peer.key'))).mode & 0o777).toBe(0o600)
    const again = await startNode({ dataDir: dir, persistPeerId: true })
    running.push(again)
    expect(again.peerId.toString()).toBe(relayId)
  })
})
