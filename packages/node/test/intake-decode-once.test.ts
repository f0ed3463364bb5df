/**
 * Review of issue 12, Medium (perf): the intake decoded one message's envelope three or four times, each a
 * canonical decode (wire shape, protons, re-encode, compare): the post id for the stored-here check, again
 * for the refused-ring check, the signature memo's key, the precheck. Now once, on every path (gossip, the
 * stem's judge, history sync), whatever the message: a new post, a re-mined copy the memo knows, junk.
 */
import { Envelope, channelTopic, encodeEnvelope, decodeEnvelope, ready, requiredPowBits, validateEnvelope } from '@murmur/protocol'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import { remined, ringPost } from './remined-fixtures.js'
import type { PostStore } from '../src/internal.js'
import type { ValidationResult } from '@murmur/protocol'

const CHANNEL = '#decode-once'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }

/**
 * An intake with the membership rule on (it takes every ring) whose pool answers with the verdicts found
 * beforehand: the worker's own decode is not the main thread's.
 */
function intakeOver (store: PostStore, messages: Uint8Array[]): PostIntake {
  const verdicts = new Map(messages.map((bytes) => [bytes, validateEnvelope(bytes, { topic: TOPIC, powBits: POW })]))
  const offThread = async (envelope: Uint8Array): Promise<ValidationResult> => verdicts.get(envelope) ?? { ok: false, code: 'ERR_MALFORMED', reason: 'not a message of this test' }
  return new PostIntake({ store, powBits: POW, announce: () => {}, checkRing: () => ({ ok: true }), offThread })
}

describe('one message, one decode', () => {
  beforeAll(async () => { await ready() })
  afterEach(() => { vi.restoreAllMocks() })

  it('a new ring post, a re-mined copy of it and a junk envelope, by gossip, the stem and sync: Envelope.decode once each', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    try {
      const post = await ringPost(CHANNEL, 'decoded once')
      const copies = remined(post.bytes, post.id, requiredPowBits('POST', 4, POW), 4)
      // a canonical envelope with a ring whose post does not decode: refused by the checks
      const junk = encodeEnvelope({ ...decodeEnvelope(post.bytes), post: new Uint8Array(600).fill(0xff) })
      const refusal = validateEnvelope(junk, { topic: TOPIC, powBits: POW })
      expect(refusal.ok).toBe(false)
      const intake = intakeOver(store, [post.bytes, ...copies, junk])
      const decode = vi.spyOn(Envelope, 'decode')
      const counted = async (check: () => Promise<unknown>): Promise<number> => {
        decode.mockClear()
        await check()
        return decode.mock.calls.length
      }
      expect(await counted(async () => intake.verify(TOPIC, post.bytes, 'gossip', 'ip4/192.0.2.1'))).toBe(1)
      expect(await counted(async () => intake.verify(TOPIC, copies[0]!, 'gossip', 'ip4/192.0.2.2'))).toBe(1)
      expect(await counted(async () => intake.judge(TOPIC, copies[1]!, 'ip4/192.0.2.3', 'peer'))).toBe(1)
      expect(await counted(async () => intake.ingest(TOPIC, copies[2]!, 'ip4/192.0.2.4'))).toBe(1)
      expect(await counted(async () => intake.verify(TOPIC, junk, 'gossip', 'ip4/192.0.2.5'))).toBe(1)
      // the verdicts are what they were
      expect(await intake.verify(TOPIC, copies[3]!, 'gossip')).toMatchObject({ ok: true, id: post.id })
      expect(await intake.verify(TOPIC, junk, 'gossip')).toEqual(refusal)
    } finally {
      await store.close()
    }
  })
})
