/**
 * A member's sequence numbers of its ring-signed posts per channel, hour and week, and of its votes per
 * channel and week (the `sequence` of RingAuthOptions): each number is handed out once, written to the node's database before the post is
 * built (write-ahead), so neither an aborted build nor a crash and a restart can repeat one, which would
 * repeat a slot, link two posts and get the second refused everywhere (of two votes in one budget slot,
 * every node keeps one). The (K+1)-th post of an hour (or the (W+1)-th of a week) in a channel, and the
 * (VOTE_BUDGET+1)-th vote of a week, are refused here, before anything is counted, built or sent.
 */
import { DOWNVOTE_BUDGET, EPOCH_SECONDS, POSTS_PER_EPOCH, POSTS_PER_WEEK, RateLimitError, VOTE_BUDGET, WEEK_SECONDS } from '@murmur/protocol'
import type { MemberDatabase } from './storage.js'
import type { RingLimits, RingSequence } from '@murmur/protocol'
import type { AbstractSublevel } from 'abstract-level'

/**
 * Sublevel of the node's database holding the counters: `h/<epoch>/<topic>`, `w/<week>/<topic>` and
 * `b/<week>/<topic>` and `d/<week>/<topic>` (upvotes and downvotes: the week's budgets) → count (JSON), and `x/<unix seconds>` when a repair found
 * the counters cut short at that time. `v/<epoch>/<topic>`, the hourly vote counters of earlier versions, are
 * dropped as stale.
 */
export const POST_COUNTERS_SUBLEVEL = 'member-post-counters'

/** A counter value that does not decode: its period counts as used up (never as 0, which repeats slots). */
export const USED_UP_COUNT: Uint8Array = new TextEncoder().encode('null')

/** The key marking counters cut short by damage at `seconds`: every channel's hour and week of that time count as used up. */
export function counterCutKey (seconds: number): string {
  return `x/${seconds}`
}

/** A counter value decoded: a non-negative safe integer, or undefined when the bytes are none. */
export function readCount (raw: Uint8Array | string): number | undefined {
  let value: unknown
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw))
  } catch {
    return undefined
  }
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

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
   * The sequence number of a new ring vote (`vote` +1 or −1, counted apart) in `topic` created at `created`:
   * votes of that direction before it in that channel and week, counted and on disk once this resolves.
   * Throws RateLimitError (ERR_RATE_LIMITED, limit 'week', `retryAt`) when the member has cast its
   * VOTE_BUDGET upvotes (DOWNVOTE_BUDGET downvotes) of that week there; nothing is counted then.
   */
  takeVote: (topic: string, created: number, vote?: 1 | -1) => Promise<number>
}

/** In memory, a count whose value did not decode. */
const UNREADABLE = -1

type Records = AbstractSublevel<MemberDatabase, string | Uint8Array, string, number>

const hourKey = (topic: string, created: number): string => `h/${Math.floor(created / EPOCH_SECONDS)}/${topic}`
const weekKey = (topic: string, created: number): string => `w/${Math.floor(created / WEEK_SECONDS)}/${topic}`
const voteKey = (topic: string, created: number, vote: 1 | -1): string => `${vote === -1 ? 'd' : 'b'}/${Math.floor(created / WEEK_SECONDS)}/${topic}`

/** Whether a counter key is of an hour or week that can no longer take posts (two periods back or older). */
function stale (key: string, now: number): boolean {
  const [kind, value] = key.split('/', 2)
  const period = kind === 'x' ? Math.floor(Number(value) / WEEK_SECONDS) : Number(value)
  const current = kind === 'h' || kind === 'v' ? Math.floor(now / EPOCH_SECONDS) : Math.floor(now / WEEK_SECONDS)
  return !(period >= current - 1)
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
  const perWeekVotes = { up: init.votesPerWeek ?? VOTE_BUDGET, down: init.downvotesPerWeek ?? DOWNVOTE_BUDGET }
  const records: Records = init.db.sublevel<string, number>(POST_COUNTERS_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'json' })
  const counts = new Map<string, number>()
  /** Times at which a repair found the counters cut short: their hour and week are used up everywhere. */
  const cuts: number[] = []
  const drop: string[] = []
  const now = clock()
  // read as text and decoded one by one: a damaged value (LevelDB's iterators do not verify checksums)
  // must neither stop the start nor count as 0
  const raw = init.db.sublevel<string, string>(POST_COUNTERS_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  for await (const [key, value] of raw.iterator()) {
    if (stale(key, now)) drop.push(key)
    else if (key.startsWith('x/')) cuts.push(Number(key.slice(2)))
    else counts.set(key, readCount(value) ?? UNREADABLE)
  }
  const cutIn = (created: number, seconds: number): boolean => cuts.some((at) => Math.floor(at / seconds) === Math.floor(created / seconds))
  if (drop.length > 0) await records.batch(drop.map((key) => ({ type: 'del' as const, key })))
  // one take at a time: two concurrent posts (or votes) must not read the same count
  let turn = Promise.resolve()
  const serially = async <T>(take: () => Promise<T>): Promise<T> => {
    const taking = turn.then(take)
    turn = taking.then(() => {}, () => {})
    return await taking
  }
  /** The count under `key`: `limit` when the period is cut short or its value did not decode. */
  const count = (key: string, created: number, seconds: number, limit: number): number => {
    const value = counts.get(key) ?? 0
    return cutIn(created, seconds) || value === UNREADABLE ? Math.max(limit, value === UNREADABLE ? 0 : value) : value
  }
  const used = (topic: string, created: number): RingSequence => ({
    epoch: count(hourKey(topic, created), created, EPOCH_SECONDS, perEpoch),
    week: count(weekKey(topic, created), created, WEEK_SECONDS, perWeek)
  })
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
    takeVote: async (topic, created, vote = 1) => await serially(async () => {
      const key = voteKey(topic, created, vote)
      const budget = vote === -1 ? perWeekVotes.down : perWeekVotes.up
      const sequence = count(key, created, WEEK_SECONDS, budget)
      if (sequence >= budget) {
        throw new RateLimitError('week', (Math.floor(created / WEEK_SECONDS) + 1) * WEEK_SECONDS, `this member has cast its ${budget} ${vote === -1 ? 'downvotes' : 'votes'} of this week in this channel`)
      }
      await records.put(key, sequence + 1)
      counts.set(key, sequence + 1)
      return sequence
    })
  }
}
