/**
 * Final review of issue 12, High (item 4): copies of one stored ring post that differ only in their proof-of-work
 * nonce kept a node's verification busy without end. The nonce is the one field the proof of work does not
 * cover, so an attacker re-mines it as often as it likes: every copy was new bytes to the caches (by bytes,
 * 4,096 each), verified in full, then dropped as a duplicate, unpenalised, and a cycle of more copies than
 * the caches hold was verified again on every round. A stock libp2p peer sends such copies over gossip and
 * over one stem stream: the post is verified once, the rest cost a hash, and the peer is not cut off.
 */
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, compareBytes, equalBytes, generateAuthorKey, postIdOf, requiredPowBits, toHex } from '@murmur/protocol'
import * as protocol from '@murmur/protocol'
import { describe, expect, it, vi } from 'vitest'
import { STEM_PROTOCOL } from '../src/index.js'
import { encodeStemFrame } from '../src/stem/index.js'
import { cleanedAfterEach, nextPost, startNode, startStockPeer, TEST_POW_BITS, waitFor } from './harness.js'
import { remined } from './remined-fixtures.js'
import type { PostIntake } from '../src/internal.js'

vi.mock('@murmur/protocol', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>()
  return { ...original, validateEnvelope: vi.fn(original.validateEnvelope) }
})

const CHANNEL = '#remined'
const TOPIC = channelTopic(CHANNEL)
/** Copies per path: each was one full verification before the fix. */
const COPIES = 64

describe('re-mined copies of one stored ring post', () => {
  const { running } = cleanedAfterEach()

  it(`${COPIES} copies by gossip and ${COPIES} by the stem cost at most one verification each, and nobody is cut off`, async () => {
    // verified on the main thread, where the mocked validateEnvelope counts each verification; no
    // membership rule: the ring's members need no stamps here. The stem forgets at once which posts left it
    // (`rememberDone` 0): the node as it is half an hour after the post came, when a stem copy of it is read
    const node = await startNode({ channels: [CHANNEL], verify: false, membership: false, stem: { rememberDone: 0 } })
    running.push(node)
    const intake = (node as unknown as { intake: PostIntake }).intake
    const attacker = await startStockPeer()
    running.push(attacker)
    attacker.services.pubsub.subscribe(TOPIC)
    await attacker.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => attacker.services.pubsub.getSubscribers(TOPIC).length > 0, 'the attacker to see the channel')

    // one ring post, stored at the node through gossip
    const keys = Array.from({ length: 4 }, () => generateAuthorKey())
    const ring = keys.map((key) => key.publicKey).sort(compareBytes)
    const post = await buildEnvelope({ channel: CHANNEL, body: 'stored once', powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: 0, weekSlot: 0 } })
    const arrived = nextPost(node, (view) => view.id === toHex(post.id))
    await attacker.services.pubsub.publish(TOPIC, post.bytes)
    await arrived
    const copies = remined(post.bytes, post.id, requiredPowBits('POST', ring.length, { POST: TEST_POW_BITS }), 2 * COPIES)
    expect(new Set(copies.map((bytes) => toHex(bytes))).size).toBe(2 * COPIES)

    const verify = vi.mocked(protocol.validateEnvelope)
    verify.mockClear()
    const verifications = (): number => verify.mock.calls.filter(([data]) => { const id = postIdOf(TOPIC, data); return id !== undefined && equalBytes(id, post.id) }).length
    // every copy judged: the node's verdicts settled (valid copies leave no other trace)
    const ofPost = (args: unknown[]): boolean => { const id = postIdOf(TOPIC, args[1] as Uint8Array); return id !== undefined && equalBytes(id, post.id) }
    const verified = vi.spyOn(intake, 'verify')
    const judged = vi.spyOn(intake, 'judge')
    const settled = (spy: typeof verified | typeof judged, path?: string): number =>
      spy.mock.calls.filter((args, i) => ofPost(args) && (path === undefined || args[2] === path) && spy.mock.settledResults[i] !== undefined).length

    for (const bytes of copies.slice(0, COPIES)) await attacker.services.pubsub.publish(TOPIC, bytes)
    await waitFor(() => settled(verified, 'gossip') >= COPIES, 'the node to judge every gossip copy', 60_000)
    const byGossip = verifications()

    const stream = await attacker.dialProtocol(node.peerId, STEM_PROTOCOL)
    const lp = lpStream(stream)
    for (const bytes of copies.slice(COPIES)) await lp.write(encodeStemFrame({ topic: TOPIC, envelope: bytes }))
    await waitFor(() => settled(judged) >= COPIES, 'the node to judge every stem copy', 60_000)
    const byStem = verifications() - byGossip

    expect(byGossip).toBeLessThanOrEqual(1)
    expect(byStem).toBeLessThanOrEqual(1)
    // a valid post's copies are no offence: the stem stream is still read and the peer still connected
    expect(stream.status).toBe('open')
    expect(node.libp2p.getConnections(attacker.peerId).length).toBeGreaterThan(0)
    // and the original post is what the node keeps
    const feed = await node.feed(CHANNEL)
    expect(feed.map((view) => view.id)).toEqual([toHex(post.id)])
  }, 120_000)
})
