/**
 * Issue 12, High 4: one pre-built invalid envelope must not keep a node's CPU busy. The same bytes are
 * verified once, whichever path repeats them (gossip, the stem), and the peer that keeps sending them is
 * cut off: one penalty count per peer shared by every path, then its connections are closed.
 */
import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, decodeEnvelope, encodeEnvelope, equalBytes, minePow, powDigest } from '@murmur/protocol'
import * as protocol from '@murmur/protocol'
import { describe, expect, it, vi } from 'vitest'
import { STEM_PROTOCOL } from '../src/index.js'
import { encodeStemFrame } from '../src/stem/index.js'
import { cleanedAfterEach, startNode, startStockPeer, TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS, waitFor } from './harness.js'

vi.mock('@murmur/protocol', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>()
  return { ...original, validateEnvelope: vi.fn(original.validateEnvelope) }
})

const CHANNEL = '#cpu'
const TOPIC = channelTopic(CHANNEL)
const COPIES = 1_000

describe('an invalid envelope sent again and again', () => {
  const { running } = cleanedAfterEach()

  it(`${COPIES} copies through gossip and the stem cost one verification, and the sender is disconnected`, async () => {
    // verified on the main thread, where the mocked validateEnvelope counts each verification
    const node = await startNode({ channels: [CHANNEL], verify: false })
    running.push(node)
    // a stock peer whose gossipsub gives every publish a fresh id, so that it re-sends the same bytes
    const attacker = await startStockPeer({ msgIdFn: () => randomBytes(32) })
    running.push(attacker)
    attacker.services.pubsub.subscribe(TOPIC)
    await attacker.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => attacker.services.pubsub.getSubscribers(TOPIC).length > 0, 'the attacker to see the channel')

    // a bad signature under a valid proof of work (which covers the signature): it costs a verification
    const built = await buildEnvelope({ channel: CHANNEL, body: 'forged', powBits: TEST_POW_BITS })
    const forged = decodeEnvelope(built.bytes)
    forged.oneTime!.signature = new Uint8Array(64) as Uint8Array<ArrayBuffer>
    forged.pow = await minePow(powDigest(built.id, forged), TEST_UNVERIFIED_POW_BITS)
    const bytes = encodeEnvelope(forged)
    expect(protocol.validateEnvelope(bytes, { topic: TOPIC, powBits: { POST: TEST_POW_BITS } })).toMatchObject({ code: 'ERR_BAD_SIGNATURE' })
    const verify = vi.mocked(protocol.validateEnvelope)
    verify.mockClear()
    const verifications = (): number => verify.mock.calls.filter(([data]) => equalBytes(data, bytes)).length

    let sent = 0
    for (; sent < COPIES / 2; sent++) {
      await attacker.services.pubsub.publish(TOPIC, bytes).catch(() => {})
    }
    const connected = (): boolean => node.libp2p.getConnections(attacker.peerId).length > 0
    // then the stem: one frame per stream, each stream reopened once the node has aborted the last
    while (sent < COPIES && connected()) {
      try {
        const stream = await attacker.dialProtocol(node.peerId, STEM_PROTOCOL)
        await lpStream(stream).write(encodeStemFrame({ topic: TOPIC, envelope: bytes }))
        sent++
        await waitFor(() => stream.status !== 'open' || stream.readStatus !== 'readable' || !connected(), 'the node to drop the stream', 10_000, 10)
      } catch {
        // refused or disconnected: the loop condition decides
      }
    }
    await waitFor(() => !connected(), 'the attacker to be disconnected', 30_000)
    expect(sent).toBeGreaterThan(COPIES / 2)
    expect(verifications()).toBe(1)
    expect(await node.feed(CHANNEL)).toEqual([])
  }, 120_000)
})
