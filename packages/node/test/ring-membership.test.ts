/**
 * Issue 13, the membership rule in the intake on every path: a ring-signed vote or post of a public channel
 * is taken only over a ring the directory knows (checkRing), from the stem (judge, which names the peer to
 * fetch missing stamps from) and history sync (ingest) as from gossip; one-time posts pass (unverified), and
 * so do circle posts (their own members sign them). Stable codes, Ignore, no penalty.
 */
import { buildEnvelope, channelTopic, circleChannel, compareBytes, generateAuthorKey, ready, toHex } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { OwnPosts } from '../src/own-posts.js'
import type { OwnPostsComponents } from '../src/own-posts.js'
import type { PostStore } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import type { RingMembership } from '@murmur/protocol'

const CHANNEL = '#members'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }

/** An intake whose directory answers `verdict`, recording what it was asked. */
async function intakeWith (verdict: RingMembership): Promise<{ intake: PostIntake, store: PostStore, asked: Array<{ ring: string[], created: number, from?: string }> }> {
  const asked: Array<{ ring: string[], created: number, from?: string }> = []
  const store = createPostStore({ db: await openDatabase(undefined) })
  const intake = new PostIntake({
    store,
    powBits: POW,
    announce: () => {},
    checkRing: (ring, created, from) => {
      asked.push({ ring: ring.map(toHex), created, from })
      return verdict
    }
  })
  return { intake, store, asked }
}

describe('the membership rule in the intake', () => {
  beforeAll(async () => { await ready() })

  const ringVote = async (): Promise<{ bytes: Uint8Array, ring: Uint8Array[], created: number }> => {
    const keys = Array.from({ length: 4 }, () => generateAuthorKey())
    const ring = keys.map((key) => key.publicKey).sort(compareBytes)
    const created = Math.floor(Date.now() / 1000 / 60) * 60 - 60
    const built = await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: new Uint8Array(32).fill(7), vote: -1, created, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: 0 } })
    return { bytes: built.bytes, ring, created }
  }

  it('ignores a ring the directory does not know from history sync, passes it on in the stem, asking the stem peer for the stamps', async () => {
    const refusals: Array<RingMembership & { ok: false }> = [
      { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown', missing: [] },
      { ok: false, code: 'ERR_RING_TOO_SMALL', reason: 'small' }
    ]
    for (const verdict of refusals) {
      const { intake, asked } = await intakeWith(verdict)
      const vote = await ringVote()
      // passed on, not dropped: the author's node would fluff a post lost in the stem, naming its author
      expect(await intake.judge(TOPIC, vote.bytes, 'group', 'peer-id')).toBe('accept')
      expect(asked).toEqual([{ ring: vote.ring.map(toHex), created: vote.created, from: 'peer-id' }])
      expect(await intake.ingest(TOPIC, vote.bytes, 'group', 'sync-peer')).toBe('ignore')
      // judged here before (from the stem): only its first sender is asked (bounce-stamp-fetch.test.ts)
      expect(asked.at(-1)?.from).toBeUndefined()
      const bySync = await intakeWith(verdict)
      expect(await bySync.intake.ingest(TOPIC, vote.bytes, 'group', 'sync-peer')).toBe('ignore')
      expect(bySync.asked).toEqual([{ ring: vote.ring.map(toHex), created: vote.created, from: 'sync-peer' }])
      const valid = intake.validate(TOPIC, vote.bytes, 'gossip')
      if (!valid.ok) throw new Error(valid.code)
      expect(intake.membership(valid, 'peer-id')).toEqual({ code: verdict.code, reason: verdict.reason })
    }
  })

  it('takes a ring the directory knows, a one-time post without asking, and a circle post without asking', async () => {
    const { intake, asked } = await intakeWith({ ok: true })
    const vote = await ringVote()
    expect(await intake.judge(TOPIC, vote.bytes, 'group', 'peer-id')).toBe('accept')
    expect(await intake.ingest(TOPIC, vote.bytes, 'group')).toBe('accept')
    expect(asked).toHaveLength(2)
    const refusing = await intakeWith({ ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown', missing: [] })
    const oneTime = await buildEnvelope({ channel: CHANNEL, body: 'unverified', powBits: TEST_POW_BITS })
    expect(await refusing.intake.ingest(TOPIC, oneTime.bytes)).toBe('accept')
    // a circle's ring is of the circle's members, not the directory's: as a node holding the circle key reads it
    const valid = refusing.intake.validate(TOPIC, vote.bytes, 'sync')
    if (!valid.ok) throw new Error(valid.code)
    expect(refusing.intake.membership({ ...valid, post: { ...valid.post, channel: circleChannel(new Uint8Array(32).fill(9)) } })).toBeUndefined()
    expect(refusing.asked).toHaveLength(0)
  })

  it('publishes a stem post over a ring it does not take where the stem ends here, without storing it', async () => {
    for (const verdict of [{ ok: true }, { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown', missing: [] }] as RingMembership[]) {
      const { intake, store } = await intakeWith(verdict)
      const sent: Uint8Array[] = []
      // only what fluff uses: the intake, the direct outbox, the joined channel
      const components = {
        intake,
        direct: { send: async (_topic: string, envelope: Uint8Array) => { sent.push(envelope); return { status: 'sent', recipients: 1 } }, reachable: () => true },
        channelOf: () => CHANNEL
      } as unknown as OwnPostsComponents
      const own = new OwnPosts(components, { powBits: POW, authorKey: generateAuthorKey() })
      const vote = await ringVote()
      expect(await intake.judge(TOPIC, vote.bytes, 'group', 'peer-id')).toBe('accept')
      expect(await own.fluff(TOPIC, vote.bytes, undefined)).toMatchObject({ status: 'sent' })
      expect(sent).toHaveLength(1)
      const valid = intake.validate(TOPIC, vote.bytes, 'stem')
      if (!valid.ok) throw new Error(valid.code)
      expect(await store.has(valid.id)).toBe(verdict.ok)
    }
  })
})
