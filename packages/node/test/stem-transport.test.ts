/**
 * Issue 12, High 4 (stem part): one pre-built invalid envelope must not keep a node's CPU busy. A stock
 * libp2p peer sends the same invalid stem frame 1,000 times, re-opening its stream (and re-dialing)
 * whenever the node closes it: the node verifies it once, penalises every copy it reads, and once the
 * shared penalty tracker cuts the peer off, refuses its streams and closes its connection.
 */
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, decodeEnvelope, encodeEnvelope } from '@murmur/protocol'
import { describe, expect, it, vi } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { STEM_PROTOCOL, createStem, encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Stream } from '@libp2p/interface'
import type * as Protocol from '@murmur/protocol'

const verifications = vi.hoisted(() => ({ count: 0 }))
vi.mock('@murmur/protocol', async (importOriginal) => {
  const actual = await importOriginal<typeof Protocol>()
  return {
    ...actual,
    validateEnvelope: (...args: Parameters<typeof actual.validateEnvelope>) => {
      verifications.count++
      return actual.validateEnvelope(...args)
    }
  }
})

const CHANNEL = '#stem-transport'
const TOPIC = channelTopic(CHANNEL)
const COPIES = 1_000

describe('stem transport: a peer sending one invalid frame over and over', () => {
  const { running } = cleanedAfterEach()

  it(`costs one verification for ${COPIES} copies, and the peer is cut off and disconnected`, async () => {
    const victim = await startStockPeer()
    running.push(victim)
    const tracker = new InvalidMessageTracker()
    const penalties: string[] = []
    const intake = new PostIntake({ store: createPostStore({ db: await openDatabase(undefined) }), powBits: { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }, announce: () => {} })
    const stem = createStem({
      libp2p: victim,
      validate: async (topic, envelope) => intake.judge(topic, envelope),
      penalize: (peer, code) => {
        penalties.push(code)
        tracker.penalise(peer.toString())
      },
      blocked: (peer) => tracker.isCutOff(peer.toString()),
      fluff: async () => ({ status: 'sent', recipients: 0 })
    })
    await stem.start()
    running.push({ stop: () => { stem.stop() } })
    let disconnects = 0
    victim.addEventListener('peer:disconnect', () => { disconnects++ })

    const attacker: StockPeer = await startStockPeer()
    running.push(attacker)
    const forged = decodeEnvelope((await buildEnvelope({ channel: CHANNEL, body: 'forged', powBits: TEST_POW_BITS })).bytes)
    forged.oneTime!.signature = new Uint8Array(64) as Uint8Array<ArrayBuffer>
    const frame = encodeStemFrame({ topic: TOPIC, envelope: encodeEnvelope(forged) })
    verifications.count = 0

    // one copy per stream, each sent once the node dealt with the one before (it closes the stream of
    // an invalid frame, and the connection of a cut-off peer): every copy is read, none is lost in a buffer
    let refused = 0
    for (let copy = 0; copy < COPIES; copy++) {
      let stream: Stream
      try {
        stream = await attacker.dialProtocol(victim.getMultiaddrs()[0]!, STEM_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      } catch {
        refused++
        continue
      }
      const closed = new Promise<void>((resolve) => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
      await lpStream(stream).write(frame).catch(() => { refused++ })
      if (stream.status === 'open') await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000))])
      if (stream.status === 'open') throw new Error(`the node kept reading after copy ${copy}`)
    }
    // every copy the victim read was penalised; three of them cut the peer off (CUT_OFF_COUNT)
    await waitFor(() => tracker.isCutOff(attacker.peerId.toString()), 'the attacker to be cut off')
    await waitFor(() => disconnects > 0, 'the victim to close the attacker\'s connection')
    expect(penalties.every((code) => code === 'ERR_INVALID_STEM_POST')).toBe(true)
    expect(verifications.count).toBe(1)
    // from the cut-off on, the node read nothing more: streams refused, connections closed
    expect(penalties.length).toBeLessThanOrEqual(5)
    expect(refused).toBeGreaterThan(COPIES - 10)
    // and a cut-off peer's next stream is refused before anything is read
    const before = penalties.length
    const again = await attacker.dialProtocol(victim.getMultiaddrs()[0]!, STEM_PROTOCOL).catch(() => undefined)
    if (again !== undefined) await lpStream(again).write(frame).catch(() => {})
    await waitFor(() => victim.getConnections(attacker.peerId).length === 0, 'no connection to the cut-off attacker')
    expect(penalties.length).toBe(before)
    expect(verifications.count).toBe(1)
  }, 300_000)
})
