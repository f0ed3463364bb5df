/**
 * Issue 12, High 4 (clock-skew part): a ring envelope dated an hour ahead is refused as too early, which
 * is no penalty (the sender's clock may just be ahead), so its sender may send the very same bytes again
 * and again on one stem stream. Each copy used to reach the clock-skew watch, which verified it in full
 * as of its own time: 30 copies of one 64-member ring envelope, 30 ring verifications. Now the bytes are
 * checked once.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { buildEnvelope, compareBytes, equalBytes, generateAuthorKey, ready } from '@murmur/protocol'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { STEM_PROTOCOL, encodeStemFrame } from '../src/stem/index.js'
import { UNPAID_IGNORES } from '../src/gossip.js'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type * as Protocol from '@murmur/protocol'

/** Validations of the attack bytes: those refused as too early (cheap), and the full ones. */
const checks = vi.hoisted(() => ({ bytes: undefined as Uint8Array | undefined, early: 0, full: 0 }))
vi.mock('@murmur/protocol', async (importOriginal) => {
  const actual = await importOriginal<typeof Protocol>()
  return {
    ...actual,
    validateEnvelope: (...args: Parameters<typeof actual.validateEnvelope>) => {
      const result = actual.validateEnvelope(...args)
      if (checks.bytes !== undefined && actual.equalBytes(args[0], checks.bytes)) {
        if (!result.ok && result.code === 'ERR_TOO_EARLY') checks.early++
        else checks.full++
      }
      return result
    }
  }
})

const CHANNEL = '#early'
const RING = 64
/** As many copies as one peer may send for free (more count as rejections, and its stream is closed). */
const COPIES = UNPAID_IGNORES

describe('a too-early ring envelope sent again and again', () => {
  const { running } = cleanedAfterEach()
  beforeAll(async () => { await ready() })

  it(`costs one full verification for ${COPIES} copies on one stem stream`, async () => {
    // verified on the main thread, where the mocked validateEnvelope counts each verification
    const node = await startNode({ channels: [CHANNEL], sync: false, verify: false })
    running.push(node)
    const keys = Array.from({ length: RING }, () => generateAuthorKey())
    const ring = keys.map((key) => key.publicKey).sort(compareBytes)
    const signer = ring.findIndex((key) => equalBytes(key, keys[0]!.publicKey))
    const now = Math.floor(Date.now() / 1000)
    const created = now + 3600 - ((now + 3600) % 60)
    const built = await buildEnvelope({ channel: CHANNEL, body: 'an hour early', created, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: 0, weekSlot: 0 } })
    expect(signer).toBeGreaterThanOrEqual(0)
    checks.bytes = built.bytes

    const attacker = await startStockPeer()
    running.push(attacker)
    const stream = lpStream(await attacker.dialProtocol(multiaddr(addressOf(node)), STEM_PROTOCOL))
    const frame = encodeStemFrame({ topic: built.topic, envelope: built.bytes })
    for (let copy = 0; copy < COPIES; copy++) await stream.write(frame)
    await waitFor(() => checks.early >= COPIES, `the node to read all ${COPIES} copies`, 60_000)
    // every copy was refused as too early; one of them (the first) was checked as of its own time
    expect(checks.early).toBe(COPIES)
    expect(checks.full).toBe(1)
  }, 120_000)

  it('reports it to the clock-skew watch once, with the address group of the peer that brought it', async () => {
    const seen: Array<string | undefined> = []
    const store = createPostStore({ db: await openDatabase(undefined) })
    running.push({ stop: async () => { await store.close() } })
    const intake = new PostIntake({
      store,
      powBits: { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS },
      announce: () => {},
      onVerified: (_topic, _envelope, result, _path, from) => { if (!result.ok) seen.push(`${result.code} ${from}`) }
    })
    const now = Math.floor(Date.now() / 1000)
    const early = await buildEnvelope({ channel: CHANNEL, body: 'ten minutes early', created: now + 600 - ((now + 600) % 60), powBits: TEST_POW_BITS })
    expect(await intake.judge(early.topic, early.bytes, 'ip4/10.1.0.0')).toBe('ignore')
    expect(await intake.judge(early.topic, early.bytes, 'ip4/10.2.0.0')).toBe('ignore')
    expect(intake.validate(early.topic, early.bytes, 'gossip', 'ip4/10.3.0.0')).toMatchObject({ ok: false, code: 'ERR_TOO_EARLY' })
    expect(seen).toEqual(['ERR_TOO_EARLY ip4/10.1.0.0'])
  })
})
