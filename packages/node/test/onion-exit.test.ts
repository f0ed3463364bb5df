/**
 * An onion exit fed posts it must not publish (issue 19, S10O item 3): a stock libp2p peer wraps, for a
 * Murmur node's mix as the exit, a post with a bad signature, one whose proof of work fails, a valid post
 * under another channel's topic and under a topic that is no channel's, and valid posts too near their time
 * limits to be forwardable (expiring within the forward margin, dated more than the skew ahead). The exit
 * publishes none of them, so its honest gossip neighbour never charges it (0 refusals recorded there for
 * the exit), and the attacker, subscribed to the topic at the exit, hears nothing back either: what it
 * sees of an invalid post is what it sees of a valid one until the valid one is published. A valid post
 * wrapped the same way is published and reaches the neighbour (the path works).
 */
import { buildEnvelope, channelTopic, decodeEnvelope, encodeEnvelope, encodeOnionMessage, validateEnvelope, wrapOnion } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { MIX_PROTOCOL } from '../src/onion/index.js'
import { writeAll } from '../src/onion/stream.js'
import { TEST_POW_BITS, chargedRefusals, cleanedAfterEach, collectMessages, joinedStock, nextPost, startNode, startStockPeer, waitFor } from './harness.js'
import { mixKeyOf } from './onion-harness.js'
import type { Envelope } from '@murmur/protocol'

const CHANNEL = '#onion-exit'
const TOPIC = channelTopic(CHANNEL)
const TTL = 3600

const post = async (body: string, created?: number): Promise<Uint8Array> =>
  (await buildEnvelope({ channel: CHANNEL, body, powBits: TEST_POW_BITS, ttl: TTL, ...(created === undefined ? {} : { created }) })).bytes

/** `bytes` with its envelope changed by `change`, re-encoded. */
function altered (bytes: Uint8Array, change: (envelope: Envelope) => void): Uint8Array {
  const envelope = decodeEnvelope(bytes)
  change(envelope)
  return encodeEnvelope(envelope)
}

describe('an onion exit fed posts it must not publish', () => {
  const cleanup = cleanedAfterEach()

  it('never publishes an invalid or unforwardable post: the neighbour charges it nothing, the sender hears nothing', async () => {
    const exit = await startNode({ channels: [CHANNEL], onion: { loopsPerMinute: 0 } })
    const neighbour = await startNode({ channels: [CHANNEL] })
    const attacker = await startStockPeer()
    cleanup.running.push(exit, neighbour, attacker)
    await neighbour.libp2p.dial(exit.getMultiaddrs()[0]!)
    await waitFor(() => neighbour.libp2p.services.pubsub.getSubscribers(TOPIC).some((peer) => peer.equals(exit.peerId)), 'the neighbour sees the exit in the topic')
    await joinedStock(exit, attacker, TOPIC)
    const heard = collectMessages(attacker, TOPIC)
    const charged = chargedRefusals(neighbour)
    const publicKey = await mixKeyOf(attacker, exit.peerId)
    const arrived: string[] = []
    neighbour.addEventListener('post', (evt) => { arrived.push(evt.detail.body ?? '') })

    const now = Math.floor(Date.now() / 1000)
    const grid = (seconds: number): number => Math.floor(seconds / 60) * 60
    const badSignature = altered(await post('bad signature'), (envelope) => { envelope.oneTime!.signature[0] = envelope.oneTime!.signature[0]! ^ 1 })
    let badPow = await post('bad pow')
    // a nonce one off: its proof of work fails (one in 256 it holds: then the next)
    for (let pow = 1n; validateEnvelope(badPow, { topic: TOPIC, powBits: { POST: TEST_POW_BITS } }).ok; pow++) {
      badPow = altered(await post('bad pow'), (envelope) => { envelope.pow += pow })
    }
    const invalid: Array<[string, string, Uint8Array]> = [
      ['a bad signature', TOPIC, badSignature],
      ['a proof of work that fails', TOPIC, badPow],
      ['another channel\'s topic', channelTopic('#elsewhere'), await post('wrong topic')],
      ['a topic of no channel', 'not/a/murmur/topic', await post('no channel')],
      // valid here, but a node whose clock is within the skew (plus the forward slack) would refuse it
      ['expiring within the forward margin', TOPIC, await post('nearly expired', grid(now - TTL + 100))],
      ['dated ahead past the forward margin (140 to 200 s)', TOPIC, await post('too early', grid(now + 200))]
    ]
    const wrapped = (topic: string, data: Uint8Array): Uint8Array => wrapOnion({
      hops: [{ publicKey, peerId: exit.peerId.toMultihash().bytes, delay: 0 }],
      message: encodeOnionMessage({ kind: 'publish', topic, data })
    })
    for (const [, topic, data] of invalid) await writeAll(await attacker.dialProtocol(exit.peerId, MIX_PROTOCOL), wrapped(topic, data))
    // every packet handed on by the exit's mix and judged there before the control goes in
    await waitFor(() => exit.onion.delivered === invalid.length, 'the exit judged every invalid post')

    const control = nextPost(neighbour, (view) => view.body === 'control', 10_000)
    await writeAll(await attacker.dialProtocol(exit.peerId, MIX_PROTOCOL), wrapped(TOPIC, await post('control')))
    await control
    expect(arrived).toEqual(['control'])
    expect(charged.get(exit.peerId.toString()) ?? []).toEqual([])
    // the attacker, in the topic at the exit, heard the control and nothing else
    await waitFor(() => heard.length > 0, 'the attacker hears the control')
    expect(heard).toHaveLength(1)
    expect(exit.onion.delivered).toBe(invalid.length + 1)
  }, 15_000)
})
