// Issue 13 (S9C), budgets that backdating cannot refill: a member's vote budget was per (channel, hour of
// the vote's `created`), so votes dated in past hours, which history sync carries, each drew on their own
// hour's fresh budget, back to their parent (30 × (A + 1) votes on posts of age A hours). The budget is per
// (channel, week) now: whatever hours the votes claim, a member counts for at most VOTE_BUDGET of them in a
// week. On the hourly budget the first test counted all 40 votes (10 slots × 4 hours), the second 40 too.
// Downvotes have a budget of their own, DOWNVOTE_BUDGET a week: before it, the third test counted 20.
import { DOWNVOTE_BUDGET, WEEK_SECONDS, authorPublicKey, buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ready } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import type { PostStore } from '../src/store/index.js'

const HOUR = 3600
const CHANNEL = '#backdate-budget'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
/** Budget slots the attacker uses in each past hour, and how many past hours. */
const SLOTS = 10
const HOURS = 4
/** A fixed week start (unix seconds): the node's clock is a fake one, so no run depends on the time of day. */
const WEEK_START = 2977 * WEEK_SECONDS

/** The store with its clock at `now` (the intake stores without a time). */
function storeAt (store: PostStore, now: number): PostStore {
  return new Proxy(store, {
    get: (target, key) => key === 'put'
      ? async (post: Parameters<PostStore['put']>[0]) => await target.put(post, now)
      : (Reflect.get(target, key) as (...args: unknown[]) => unknown).bind(target)
  })
}

describe('backdated ring votes by history sync draw on one weekly budget (S9C attack)', () => {
  beforeAll(async () => { await ready() })

  /** Delivers the attacker's downvotes by sync; how many the node counts at the end (minus the scores' sum). */
  async function attack (weekStart: number, hours: number[], slots = SLOTS): Promise<{ counted: number, votes: number }> {
    const keys = [generateAuthorKey(), generateAuthorKey(), generateAuthorKey()]
    const ring = keys.map((key) => authorPublicKey(key.secretKey)).sort(compareBytes)
    // the node's clock: the last voted hour plus half an hour
    const now = weekStart + (Math.max(...hours) + 1) * HOUR + 1800
    const db = await openDatabase(undefined)
    const store = createPostStore({ db })
    const intake = new PostIntake({ store: storeAt(store, now), powBits: POW, announce: () => {}, now: () => now * 1000 })
    // parents made before the first voted hour, live for a week; one per vote (one vote per member and post)
    const parentCreated = weekStart + Math.min(...hours) * HOUR - HOUR
    const count = hours.length * slots
    const parents = await Promise.all(Array.from({ length: count }, async (_, i) =>
      await buildEnvelope({ channel: CHANNEL, body: `post ${i}`, created: parentCreated, ttl: WEEK_SECONDS, powBits: TEST_POW_BITS })))
    for (const parent of parents) expect(await intake.ingest(TOPIC, parent.bytes, 'g0')).toBe('accept')
    // the attacker: budget slots 0..slots-1 again in each past hour, each vote on its own post (a slot past
    // the downvote budget is refused by the builder as by every validator: ERR_BAD_SCOPE)
    const built = await Promise.all(parents.map(async (parent, i) => await buildEnvelope({
      channel: CHANNEL,
      kind: 'VOTE',
      parent: parent.id,
      vote: -1,
      created: weekStart + hours[Math.floor(i / slots)]! * HOUR + 60,
      ttl: WEEK_SECONDS,
      powBits: TEST_POW_BITS,
      auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: i % slots }
    }).catch((err: Error) => { expect(err).toMatchObject({ code: 'ERR_BAD_SCOPE' }) })))
    const votes = built.flatMap((v) => v === undefined ? [] : [v])
    // a vote under a budget tag already counted is refused, or counts instead when its id is smaller (the
    // store keeps a few losers, so what counts is read off the scores)
    for (const v of votes) expect(['accept', 'ignore']).toContain(await intake.ingest(TOPIC, v.bytes, 'g1'))
    let counted = 0
    for (const parent of parents) counted -= (await store.get(parent.id, now))?.score ?? 0
    await db.close()
    return { counted, votes: count }
  }

  it(`${SLOTS} budget slots reused in ${HOURS} past hours of one week: ${SLOTS} votes count, not ${SLOTS * HOURS}`, async () => {
    const { counted, votes } = await attack(WEEK_START, Array.from({ length: HOURS }, (_, h) => 10 + h * 7))
    expect(votes).toBe(SLOTS * HOURS)
    expect(counted).toBe(SLOTS)
  }, 120_000)

  it('votes dated across a week boundary draw on two weeks\' budgets, no more', async () => {
    // two hours at the end of one week, two at the start of the next
    const last = WEEK_SECONDS / HOUR
    const { counted } = await attack(WEEK_START, [last - 3, last - 2, last + 1, last + 2])
    expect(counted).toBe(2 * SLOTS)
  }, 120_000)

  it(`a sybil identity downvoting with 20 budget slots a week counts for DOWNVOTE_BUDGET (${DOWNVOTE_BUDGET}) downvotes`, async () => {
    // before the downvote budget, downvotes drew on the vote budget's VOTE_BUDGET slots: all 20 counted
    const { counted } = await attack(WEEK_START, [10], 20)
    expect(counted).toBe(DOWNVOTE_BUDGET)
  }, 120_000)
})
