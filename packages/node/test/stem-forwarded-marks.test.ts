/**
 * A ring post this node sent on in the stem: no later sender of it is ever asked for its ring's missing
 * stamps (an author never asks, so an ask tells a successor "not the author"). Eighth read of issue 12: the
 * mark sat in a plain cache of 4,096 entries beside the post's entry, so 4,096 ring posts relayed through
 * this node's stem flushed it, and a restart lost every mark: the successor sending the post back by gossip
 * afterwards was asked.
 */
import { channelTopic, ready, requiredPowBits } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore } from '../src/internal.js'
import { STAMP_ASK_RETRY, STEM_SENDERS } from '../src/intake.js'
import { ForwardedRings, MAX_FORWARDED_RINGS } from '../src/store/forwarded-rings.js'
import { TEST_POW_BITS } from './harness.js'
import { remined, ringPost } from './remined-fixtures.js'
import { memoryDatabase } from './store-fixtures.js'
import type { StoreDatabase } from '../src/internal.js'
import type { RingMembership } from '@murmur/protocol'

const CHANNEL = '#forwarded-marks'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const BITS = requiredPowBits('POST', 4, POW)
const PREDECESSOR = 'ip4/192.0.2.1'
const SUCCESSOR = 'ip4/203.0.113.7'
const FLOODER = 'ip4/198.51.100.1'

/** An intake on `db` whose directory knows no member, recording whom it asks for stamps, on a clock the test moves. */
function askingIntake (db: StoreDatabase, clock: { now: number }): { intake: PostIntake, asked: string[] } {
  const asked: string[] = []
  const checkRing = (ring: Uint8Array[], _created: number, from?: string): RingMembership => {
    if (from !== undefined) asked.push(from)
    return { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: 'unknown members', missing: ring }
  }
  const intake = new PostIntake({ store: createPostStore({ db }), powBits: POW, announce: () => {}, checkRing, db, now: () => Date.now() + clock.now })
  return { intake, asked }
}

/** The successor's copy of the post, sent back by gossip from its own group: whether this node asked it for stamps. */
async function successorAsked (intake: PostIntake, asked: string[], copy: Uint8Array): Promise<boolean> {
  const valid = await intake.verify(TOPIC, copy, 'gossip', SUCCESSOR)
  if (valid.ok) intake.membership(valid, 'successor', { topic: TOPIC, envelope: copy, path: 'gossip', from: SUCCESSOR })
  return asked.includes('successor')
}

describe('the mark of a ring post sent on in the stem', () => {
  beforeAll(async () => { await ready() })

  it(`outlives ${STEM_SENDERS} and then ${MAX_FORWARDED_RINGS} ring posts relayed through the stem from another group`, async () => {
    const clock = { now: 0 }
    const { intake, asked } = askingIntake(memoryDatabase(), clock)
    const post = await ringPost(CHANNEL, 'relayed by new members')
    const [first, back] = remined(post.bytes, post.id, BITS, 2)
    expect(await intake.judge(TOPIC, first!, PREDECESSOR, 'predecessor')).toBe('accept')
    intake.forwarded(post.id, SUCCESSOR)
    // the flood: valid ring posts judged here and sent on in the stem (as a stem hop judges each), all
    // of one sender group; each costs its sender a proof of work and a ring signature
    const judged = intake.validate(TOPIC, first!, 'stem')
    if (!judged.ok) throw new Error(judged.code)
    for (let i = 0; i < STEM_SENDERS + MAX_FORWARDED_RINGS; i++) {
      const id = Uint8Array.from([0xff, i >> 16, (i >> 8) & 0xff, i & 0xff, ...new Uint8Array(28)])
      intake.membership({ ...judged, id })
      intake.forwarded(id, FLOODER)
    }
    clock.now += STAMP_ASK_RETRY
    expect(await successorAsked(intake, asked, back!)).toBe(false)
    expect(asked).toEqual(['predecessor'])
  })

  it('outlives a restart on the same database', async () => {
    const db = memoryDatabase()
    const clock = { now: 0 }
    const before = askingIntake(db, clock)
    await before.intake.open()
    const post = await ringPost(CHANNEL, 'relayed before the restart')
    const [first, back] = remined(post.bytes, post.id, BITS, 2)
    expect(await before.intake.judge(TOPIC, first!, PREDECESSOR, 'predecessor')).toBe('accept')
    before.intake.forwarded(post.id, SUCCESSOR)
    await before.intake.flush()

    const after = askingIntake(db, clock)
    await after.intake.open()
    clock.now += STAMP_ASK_RETRY
    expect(await successorAsked(after.intake, after.asked, back!)).toBe(false)
    // nobody at all is asked: the predecessor was, in the run before
    expect(after.asked).toEqual([])
  })
})

describe('ForwardedRings', () => {
  const id = (group: number, i: number): Uint8Array => Uint8Array.from([group, i >> 8, i & 0xff, ...new Uint8Array(29)])

  it('stays within its bound, a flood pushing out its own group\'s marks first, and forgets a mark when its post expires', async () => {
    const clock = { now: 1_000_000_000 }
    const now = (): number => clock.now
    const marks = ForwardedRings.memory({ max: 64, now })
    const expires = clock.now / 1000 + 3600
    for (let i = 0; i < 8; i++) marks.mark(id(1, i), expires, `ip4/192.0.2.${i}`)
    marks.mark(id(2, 0), expires)
    for (let i = 0; i < 1_000; i++) marks.mark(id(3, i), expires, FLOODER)
    expect(marks.size).toBe(64)
    for (let i = 0; i < 8; i++) expect(marks.has(id(1, i))).toBe(true)
    expect(marks.has(id(2, 0))).toBe(true)
    expect(marks.has(id(3, 999))).toBe(true)
    expect(marks.has(id(3, 0))).toBe(false)
    clock.now += 3_600_000
    expect(marks.has(id(1, 0))).toBe(false)
  })

  it('keeps on disk the expiry and a group token alone, nothing that tells an own post from a relayed one', async () => {
    const db = memoryDatabase()
    const expires = Math.floor(Date.now() / 1000) + 3600
    const marks = await ForwardedRings.open(db)
    marks.mark(id(1, 0), expires, PREDECESSOR)
    marks.mark(id(2, 0), expires)
    await marks.flush()
    const records = db.sublevel<Uint8Array, Uint8Array>('stem-forwarded', { keyEncoding: 'view', valueEncoding: 'view' })
    const values = (await records.values().all()).map((value) => [...value])
    expect(values).toHaveLength(2)
    // the same expiry, then each its group's token (at-rest-forwarded-marks.test): no address, no flag
    expect(values[0]!.slice(0, 8)).toEqual(values[1]!.slice(0, 8))
    expect(values.map((value) => value.length)).toEqual([16, 16])
    const again = await ForwardedRings.open(db)
    expect(again.has(id(1, 0)) && again.has(id(2, 0))).toBe(true)
  })
})
