/**
 * A member's sequence numbers of its ring-signed posts per channel, hour and week, and of its votes per
 * channel and hour (the `sequence` of RingAuthOptions): each number is handed out once, written to the node's database before the post is
 * built (write-ahead), so neither an aborted build nor a crash and a restart can repeat one, which would
 * repeat a slot, link two posts and get the second refused everywhere (of two votes in one budget slot,
 * every node keeps one). The (K+1)-th post of an hour (or the (W+1)-th of a week) in a channel, and the
 * (VOTE_BUDGET+1)-th vote of an hour, are refused here, before anything is counted, built or sent.
 */
import { EPOCH_SECONDS, POSTS_PER_EPOCH, POSTS_PER_WEEK, RateLimitError, VOTE_BUDGET, WEEK_SECONDS } from '@murmur/protocol'
import type { MemberDatabase } from './storage.js'
import type { RingLimits, RingSequence } from '@murmur/protocol'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the node's database holding the counters: `h/<epoch>/<topic>`, `w/<week>/<topic>` and `v/<epoch>/<topic>` (votes) → count. */
export const POST_COUNTERS_SUBLEVEL = 'member-post-counters'

/** Options of {@link openPostCounters}. */
export interface PostCountersInit extends RingLimits {
  /** The node's database. */
  db: MemberDatabase
  /** Unix seconds now: counters of hours and weeks long past are dropped on open. @default () => Math.floor(Date.now() / 1000) */
  clock?: () => number
}

/** The member's post counters. */
export interface PostCounters {
  /**
   * The sequence numbers of a new ring post in `topic` created at `created` (unix seconds), counted and on
   * disk once this resolves. Throws RateLimitError (ERR_RATE_LIMITED, `retryAt`) when the member has made
   * its K posts of that hour or W of that week in the channel; nothing is counted then.
   */
  take: (topic: string, created: number) => Promise<RingSequence>
  /** Posts counted in `topic` for the hour and the week of `created`. */
  used: (topic: string, created: number) => RingSequence
  /**
   * The sequence number of a new ring vote in `topic` created at `created`: votes before it in that channel
   * and hour, counted and on disk once this resolves. Throws RateLimitError (ERR_RATE_LIMITED, limit
   * 'epoch', `retryAt`) when the member has cast its VOTE_BUDGET votes of that hour there; nothing is
   * counted then.
   */
  takeVote: (topic: string, created: number) => Promise<number>
}

type Records = AbstractSublevel<MemberDatabase, string | Uint8Array, string, number>

const hourKey = (topic: string, created: number): string => `h/${Math.floor(created / EPOCH_SECONDS)}/${topic}`
const weekKey = (topic: string, created: number): string => `w/${Math.floor(created / WEEK_SECONDS)}/${topic}`
const voteKey = (topic: string, created: number): string => `v/${Math.floor(created / EPOCH_SECONDS)}/${topic}`

/** Whether a counter key is of an hour or week that can no longer take posts (two periods back or older). */
function stale (key: string, now: number): boolean {
  const [kind, period] = key.split('/', 2)
  const current = kind === 'w' ? Math.floor(now / WEEK_SECONDS) : Math.floor(now / EPOCH_SECONDS)
  return !(Number(period) >= current - 1)
}

/**
 * Opens the counters kept in `db`, dropping those of periods past.
 *
 * @example
 * ```ts
 * const counters = await openPostCounters({ db })
 * const sequence = await counters.take('murmur/2/#lobby', created) // before buildEnvelope({ created, auth: { kind: 'ring', sequence, ... } })
 * ```
 */
export async function openPostCounters (init: PostCountersInit): Promise<PostCounters> {
  const clock = init.clock ?? (() => Math.floor(Date.now() / 1000))
  const perEpoch = init.postsPerEpoch ?? POSTS_PER_EPOCH
  const perWeek = init.postsPerWeek ?? POSTS_PER_WEEK
  const perHourVotes = init.votesPerEpoch ?? VOTE_BUDGET
  const records: Records = init.db.sublevel<string, number>(POST_COUNTERS_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'json' })
  const counts = new Map<string, number>()
  const drop: string[] = []
  const now = clock()
  for await (const [key, value] of records.iterator()) {
    if (stale(key, now) || !Number.isSafeInteger(value) || value < 0) drop.push(key)
    else counts.set(key, value)
  }
  if (drop.length > 0) await records.batch(drop.map((key) => ({ type: 'del' as const, key })))
  // one take at a time: two concurrent posts (or votes) must not read the same count
  let turn = Promise.resolve()
  const serially = async <T>(take: () => Promise<T>): Promise<T> => {
    const taking = turn.then(take)
    turn = taking.then(() => {}, () => {})
    return await taking
  }
  const used = (topic: string, created: number): RingSequence => ({ epoch: counts.get(hourKey(topic, created)) ?? 0, week: counts.get(weekKey(topic, created)) ?? 0 })
  return {
    used,
    take: async (topic, created) => await serially(async () => {
      const sequence = used(topic, created)
      if (sequence.epoch >= perEpoch) {
        throw new RateLimitError('epoch', (Math.floor(created / EPOCH_SECONDS) + 1) * EPOCH_SECONDS, `this member has made its ${perEpoch} posts of this hour in this channel`)
      }
      if (sequence.week >= perWeek) {
        throw new RateLimitError('week', (Math.floor(created / WEEK_SECONDS) + 1) * WEEK_SECONDS, `this member has made its ${perWeek} posts of this week in this channel`)
      }
      const hour = hourKey(topic, created)
      const week = weekKey(topic, created)
      await records.batch([{ type: 'put', key: hour, value: sequence.epoch + 1 }, { type: 'put', key: week, value: sequence.week + 1 }])
      counts.set(hour, sequence.epoch + 1)
      counts.set(week, sequence.week + 1)
      return sequence
    }),
    takeVote: async (topic, created) => await serially(async () => {
      const key = voteKey(topic, created)
      const sequence = counts.get(key) ?? 0
      if (sequence >= perHourVotes) {
        throw new RateLimitError('epoch', (Math.floor(created / EPOCH_SECONDS) + 1) * EPOCH_SECONDS, `this member has cast its ${perHourVotes} votes of this hour in this channel`)
      }
      await records.put(key, sequence + 1)
      counts.set(key, sequence + 1)
      return sequence
    })
  }
}
