/**
 * The time rules of a post, written once for every path: what a node takes (acceptableAt) and what it
 * passes on (forwardableAt). Clocks of honest nodes differ by up to MAX_CLOCK_SKEW, and a copy passed on is
 * judged at the next node up to FORWARD_SLACK later, so a node passes on only what is acceptable at every
 * time the next node's clock may read when it judges the copy: an honest node never forwards what an
 * honest receiver refuses, and every time refusal can be charged to its sender (docs/PROTOCOL.md §6).
 */
import { EPOCH_SECONDS, FORWARD_SLACK, MAX_CLOCK_SKEW } from './constants.js'

/** What the time rules read of a post: `created` and `ttl` (unix seconds, seconds). */
export interface PostTimes {
  created: bigint | number
  ttl: number
}

/** The live paths' epoch rule for a ring-signed post: its ring `epoch` within `window` epochs of now's. */
export interface EpochRule {
  epoch: bigint
  window: number
}

/** Why a post is out of its time window: ahead of what any honest clock may date it, or past its expiry. */
export type TimeRefusal = 'ERR_TOO_EARLY' | 'ERR_EXPIRED'

/**
 * Why a post is not acceptable at `now` (unix seconds), or undefined when it is: too early when `created`
 * is more than 2 × MAX_CLOCK_SKEW ahead (a forwarder's clock may be MAX_CLOCK_SKEW ahead of ours, and it
 * forwards what is up to MAX_CLOCK_SKEW ahead of its own), expired from the second `created + ttl` on.
 *
 * @example
 * ```ts
 * timeRefusal({ created: 1_700_000_000n, ttl: 3600 }, 1_700_003_600) // 'ERR_EXPIRED'
 * ```
 */
export function timeRefusal (post: PostTimes, now: bigint | number): TimeRefusal | undefined {
  const at = BigInt(now)
  const created = BigInt(post.created)
  if (created > at + BigInt(2 * MAX_CLOCK_SKEW)) return 'ERR_TOO_EARLY'
  if (isExpired(post, at)) return 'ERR_EXPIRED'
  return undefined
}

/**
 * Whether a post is acceptable at `now` (unix seconds): within its time window ({@link timeRefusal}) and,
 * given `epoch` (a ring-signed post on a live path), of an epoch within `epoch.window` of now's. The
 * validator refuses what this refuses; a node stores what this takes.
 *
 * @example
 * ```ts
 * acceptableAt(valid.post, Math.floor(Date.now() / 1000))
 * ```
 */
export function acceptableAt (post: PostTimes, now: bigint | number, epoch?: EpochRule): boolean {
  if (timeRefusal(post, now) !== undefined) return false
  return epoch === undefined || inEpochWindow(epoch.epoch, BigInt(now), epoch.window)
}

/**
 * Whether a post acceptable here may be passed on at `now` (unix seconds), by any path (a gossip Accept, a
 * stem relay or fluff, a history-sync answer, an own post's publication): whether it is acceptable at every
 * time from `now − MAX_CLOCK_SKEW` to `now + MAX_CLOCK_SKEW + FORWARD_SLACK`, the clock readings at which an
 * honest next node may judge it. Each rule of {@link acceptableAt} holds on an interval of time, so both ends
 * decide. A post acceptable but not forwardable is kept and not passed on, which costs its sender nothing.
 *
 * @example
 * ```ts
 * if (forwardableAt(valid.post, now, { epoch: valid.auth.epoch, window: 1 })) await pubsub.publish(topic, bytes)
 * ```
 */
export function forwardableAt (post: PostTimes, now: bigint | number, epoch?: EpochRule): boolean {
  const at = BigInt(now)
  return acceptableAt(post, at - BigInt(MAX_CLOCK_SKEW), epoch) && acceptableAt(post, at + BigInt(MAX_CLOCK_SKEW + FORWARD_SLACK), epoch)
}

/**
 * The last second (unix seconds) at which a post that expires at `expires` (`created + ttl`) is still
 * forwardable by its expiry ({@link forwardableAt} without the other rules): a queue of posts waiting to
 * leave gives up on it after this.
 *
 * @example
 * ```ts
 * forwardableUntil(1_700_003_600) // 1_700_003_419
 * ```
 */
export function forwardableUntil (expires: number): number {
  return expires - MAX_CLOCK_SKEW - FORWARD_SLACK - 1
}

/**
 * Whether a post has expired at `now` (unix seconds): from the second `created + ttl` on, every node drops
 * it, and the validator refuses it with `ERR_EXPIRED`.
 *
 * @example
 * ```ts
 * isExpired(valid.post, BigInt(Math.floor(Date.now() / 1000))) // false while the post may still spread
 * ```
 */
export function isExpired (post: PostTimes, now: bigint | number): boolean {
  return BigInt(now) >= BigInt(post.created) + BigInt(post.ttl)
}

/** How many epochs lie between `epoch` and the epoch of `now` (unix seconds). */
export function epochDistance (epoch: bigint, now: bigint): bigint {
  const current = now / BigInt(EPOCH_SECONDS)
  return epoch > current ? epoch - current : current - epoch
}

/**
 * Whether a ring epoch is at most `window` epochs from the epoch of `now` (unix seconds): the rule
 * ValidateOptions.epochWindow applies to a ring-signed envelope.
 *
 * @example
 * ```ts
 * inEpochWindow(valid.auth.epoch, BigInt(Math.floor(Date.now() / 1000)), 1) // this hour's, or a neighbour
 * ```
 */
export function inEpochWindow (epoch: bigint, now: bigint, window: number): boolean {
  return epochDistance(epoch, now) <= BigInt(window)
}
