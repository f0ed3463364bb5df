/**
 * Second read of issue 12, M1: valid ring posts whose rings name members without a known stamp are refused
 * by the membership rule (ERR_UNKNOWN_MEMBER, Ignore: no penalty) and never stored. A peer cycling more of
 * them than the signature memo holds (SIGNATURE_MEMO_SIZE, more than the byte caches) had every one
 * verified in full on every round. A copy of a post refused so now costs the rule again, not a check.
 */
import { buildEnvelope, channelTopic, generateAuthorKey, ready, validateEnvelope } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { SIGNATURE_MEMO_SIZE } from '../src/signature-memo.js'
import { TEST_POW_BITS } from './harness.js'
import type { RingMembership, ValidateOptions, ValidationResult } from '@murmur/protocol'

const CHANNEL = '#refused-rings'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
/** More posts than the signature memo holds: each was verified again on every round before the fix. */
const POSTS = SIGNATURE_MEMO_SIZE + 100
const GROUP = 'ip4/198.51.100.9'

describe('posts whose rings the membership rule refused', () => {
  beforeAll(async () => { await ready() })

  it(`${POSTS} cycled by gossip and sync cost one check each in all, until their members' stamps arrive`, async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    let checks = 0
    const offThread = async (envelope: Uint8Array, options: ValidateOptions): Promise<ValidationResult> => {
      checks++
      return validateEnvelope(envelope, options)
    }
    // the directory knows no member, until `stamped` is set
    let stamped = false
    const checkRing = (ring: Uint8Array[]): RingMembership => stamped ? { ok: true } : { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'no stamp', missing: ring }
    const intake = new PostIntake({ store, powBits: POW, announce: () => {}, offThread, checkRing })
    try {
      const posts: Uint8Array[] = []
      for (let i = 0; i < POSTS; i++) {
        const key = generateAuthorKey()
        posts.push((await buildEnvelope({ channel: CHANNEL, body: `unstamped ${i}`, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring: [key.publicKey], secretKey: key.secretKey, slot: 0, weekSlot: 0 } })).bytes)
      }
      /** One round of every post by gossip, as the gossip validator takes it: validation, then the membership rule. */
      const gossipRound = async (): Promise<Record<string, number>> => {
        const verdicts: Record<string, number> = {}
        for (const bytes of posts) {
          const result = await intake.verify(TOPIC, bytes, 'gossip', GROUP)
          const verdict = result.ok ? intake.membership(result, 'peer', { topic: TOPIC, envelope: bytes, path: 'gossip', from: GROUP })?.code ?? 'taken' : result.code
          verdicts[verdict] = (verdicts[verdict] ?? 0) + 1
        }
        return verdicts
      }
      expect(await gossipRound()).toEqual({ ERR_UNKNOWN_MEMBER: POSTS })
      expect(checks).toBe(POSTS)
      // the newest ones are still valid in the byte cache (refused by the rule again, unchecked), the rest dropped unchecked
      const again = await gossipRound()
      expect((again.ERR_DUPLICATE ?? 0) + (again.ERR_UNKNOWN_MEMBER ?? 0)).toBe(POSTS)
      expect(again.ERR_DUPLICATE).toBeGreaterThan(0)
      expect(checks).toBe(POSTS)
      const synced: Record<string, number> = {}
      for (const bytes of posts) {
        const verdict = await intake.ingest(TOPIC, bytes, GROUP, 'peer')
        synced[verdict] = (synced[verdict] ?? 0) + 1
      }
      expect(synced).toEqual({ ignore: POSTS })
      expect(checks).toBe(POSTS)
      // once the members are stamped, a copy is checked and taken again
      stamped = true
      expect(await intake.ingest(TOPIC, posts[0]!, GROUP, 'peer')).toBe('accept')
    } finally {
      await store.close()
    }
  }, 180_000)
})
