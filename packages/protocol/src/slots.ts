import { isBytes, u32be, u64be, utf8 } from './bytes.js'
import { DOWNVOTE_BUDGET, EPOCH_SECONDS, POSTS_PER_EPOCH, POSTS_PER_WEEK, VOTE_BUDGET, WEEK_SECONDS } from './constants.js'
import { RateLimitError } from './errors.js'
import { DOMAIN, sha256 } from './hash.js'
import type { RingLimits } from './auth.js'

/**
 * A member's sequence numbers of one ring-signed POST or REPLY: how many of its ring posts in this channel
 * came before it in the same epoch (hour), and in the same week. 0 for the first of each.
 */
export interface RingSequence {
  /** Posts this member made before this one in (channel, epoch); 0..K-1. */
  epoch: number
  /** Posts this member made before this one in (channel, week); 0..W-1. */
  week: number
}

/** The epoch and week a ring post falls in (from its `created`), for which a caller hands out sequence numbers. */
export interface RingPeriod {
  /** floor(created / 3600). */
  epoch: bigint
  /** floor(created / 604800). */
  week: bigint
}

const HOUR = new Uint8Array([0])
const WEEK = new Uint8Array([1])
const VOTES = new Uint8Array([2])
const DOWNVOTES = new Uint8Array([3])

/**
 * The secret permutation of 0..size-1 of one member, topic and period: a Fisher–Yates shuffle driven by
 * SHA-256 of the key in counter mode (rejection sampling, no modulo bias).
 */
function permutation (key: Uint8Array, size: number): number[] {
  const slots = Array.from({ length: size }, (_, i) => i)
  let counter = 0
  let words: number[] = []
  const next = (): number => {
    if (words.length === 0) {
      const block = sha256(key, u32be(counter++))
      const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
      words = Array.from({ length: 8 }, (_, i) => view.getUint32(4 * i, false))
    }
    return words.pop()!
  }
  for (let i = size - 1; i > 0; i--) {
    const bound = i + 1
    const limit = Math.floor(0x1_0000_0000 / bound) * bound
    let value = next()
    while (value >= limit) value = next()
    const j = value % bound
    ;[slots[i], slots[j]] = [slots[j]!, slots[i]!]
  }
  return slots
}

/** The slot of the `sequence`-th post of a period: position `sequence` of the member's secret permutation. */
function scheduled (secretKey: Uint8Array, topic: Uint8Array, which: Uint8Array, period: bigint, size: number, sequence: number): number {
  const key = sha256(DOMAIN.slot, secretKey, u32be(topic.byteLength), topic, which, u64be(period), u32be(size))
  return permutation(key, size)[sequence]!
}

function checkedKey (secretKey: Uint8Array, topic: string): Uint8Array {
  if (!isBytes(secretKey, 32)) throw new TypeError('expected a 32-byte author secret key')
  if (typeof topic !== 'string') throw new TypeError('expected a topic string')
  return utf8(topic)
}

/**
 * The rate-limit slots of a member's ring-signed POST or REPLY from its sequence numbers: the `epoch`-th
 * entry of a secret permutation of 0..K-1 and the `week`-th of one of 0..W-1, each keyed by
 * `SHA-256("murmur/v2/slot" || x || u32be(len(topic)) || topic || 0x00 (hour) or 0x01 (week) || u64be(period)
 * || u32be(size))`. No two posts of one member in one period share a slot until the cap is really reached,
 * and a slot does not say how many posts came before (only the author can invert the permutation).
 * Throws a RateLimitError (ERR_RATE_LIMITED) when a sequence number is past its cap, and a TypeError or
 * RangeError on malformed input.
 *
 * @example
 * ```ts
 * const { slot, weekSlot } = ringSlots(author.secretKey, 'murmur/2/#lobby', created, { epoch: 0, week: 12 })
 * ```
 */
export function ringSlots (secretKey: Uint8Array, topic: string, created: bigint, sequence: RingSequence, limits: RingLimits = {}): { slot: number, weekSlot: number } {
  const t = checkedKey(secretKey, topic)
  const epochs = limits.postsPerEpoch ?? POSTS_PER_EPOCH
  const weeks = limits.postsPerWeek ?? POSTS_PER_WEEK
  for (const [name, value] of [['epoch', sequence?.epoch], ['week', sequence?.week]] as const) {
    if (!Number.isSafeInteger(value) || value! < 0) throw new RangeError(`expected a sequence number ≥ 0 for the ${name}, got ${String(value)}`)
  }
  const epoch = created / BigInt(EPOCH_SECONDS)
  const week = created / BigInt(WEEK_SECONDS)
  if (sequence.epoch >= epochs) {
    throw new RateLimitError('epoch', Number((epoch + 1n) * BigInt(EPOCH_SECONDS)), `this member has made its ${epochs} ring posts of this hour in this channel`)
  }
  if (sequence.week >= weeks) {
    throw new RateLimitError('week', Number((week + 1n) * BigInt(WEEK_SECONDS)), `this member has made its ${weeks} ring posts of this week in this channel`)
  }
  return {
    slot: scheduled(secretKey, t, HOUR, epoch, epochs, sequence.epoch),
    weekSlot: scheduled(secretKey, t, WEEK, week, weeks, sequence.week)
  }
}

/**
 * The budget slot of a member's ring-signed VOTE from its sequence number (how many votes of the same
 * direction it cast before this one in the channel and the week of `created`): for an upvote the
 * `sequence`-th entry of a secret permutation of 0..VOTE_BUDGET-1, keyed as {@link ringSlots} keys its
 * week's with the byte 0x02; for a downvote (`vote` −1) the entry of a permutation of 0..DOWNVOTE_BUDGET-1
 * keyed with 0x03 (a slot of the downvote budget's scope). Two votes of one member and direction in one week never share a
 * budget slot until that budget is spent, and a slot does not say how many votes came before. Throws a
 * RateLimitError (ERR_RATE_LIMITED, limit 'week') when `sequence` is past the budget, a TypeError or
 * RangeError on malformed input.
 *
 * @example
 * ```ts
 * const slot = voteSlot(author.secretKey, 'murmur/2/#lobby', created, 0) // the week's first upvote
 * const down = voteSlot(author.secretKey, 'murmur/2/#lobby', created, 0, {}, -1) // its first downvote
 * ```
 */
export function voteSlot (secretKey: Uint8Array, topic: string, created: bigint, sequence: number, limits: RingLimits = {}, vote: 1 | -1 = 1): number {
  const t = checkedKey(secretKey, topic)
  const budget = vote === -1 ? limits.downvotesPerWeek ?? DOWNVOTE_BUDGET : limits.votesPerWeek ?? VOTE_BUDGET
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`expected a vote sequence number ≥ 0, got ${String(sequence)}`)
  const week = created / BigInt(WEEK_SECONDS)
  if (sequence >= budget) {
    throw new RateLimitError('week', Number((week + 1n) * BigInt(WEEK_SECONDS)), `this member has cast its ${budget} ${vote === -1 ? 'downvotes' : 'votes'} of this week in this channel`)
  }
  return scheduled(secretKey, t, vote === -1 ? DOWNVOTES : VOTES, week, budget, sequence)
}
