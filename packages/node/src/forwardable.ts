/**
 * The protocol's forward rule (forwardableAt) on a node's paths: a post leaves the node — a gossip Accept, a
 * stem relay, hand-on or fluff, a history-sync answer, an own post's release — only while every honest node
 * whose clock is within MAX_CLOCK_SKEW of this one's accepts it. A post acceptable here but not forwardable
 * is kept and not passed on, at no cost to its sender (eighth read of issue 12, H1: an honest node was
 * charged by its neighbours for edge-timed posts an attacker sent it; ninth read, H1: the same posts held in
 * its stem past the rule, then handed on or published).
 */
import { CIRCLE_SHARED_TOPIC, DIRECTORY_TOPIC, EPOCH_SECONDS, forwardableAt, forwardableUntil } from '@murmur/protocol'
import { epochRuleOf } from './intake.js'
import type { ValidEnvelope } from '@murmur/protocol'

/** Why a valid post may not be passed on now: near its expiry, its ring epoch about to leave the live window, or dated too far ahead. */
export type ForwardRefusal = 'ERR_EXPIRED' | 'ERR_STALE_EPOCH' | 'ERR_TOO_EARLY'

/**
 * Whether a valid post may be passed on at `now` (unix milliseconds, the node's clock); `live`: on gossip or
 * the stem, where a ring post's epoch must be within LIVE_EPOCH_WINDOW of every such clock's too.
 *
 * @example
 * ```ts
 * if (!forwardableNow(valid, Date.now(), true)) return 'kept'
 * ```
 */
export function forwardableNow (valid: Pick<ValidEnvelope, 'post' | 'auth'>, now: number, live: boolean): boolean {
  return forwardRefusal(valid, now, live) === undefined
}

/**
 * Why a valid post may not be passed on at `now` (unix milliseconds), by the rule of {@link forwardableNow};
 * undefined when it may. Every point where a post leaves the node asks this (a gossip Accept, a stem hand-on
 * or fluff, a sync answer, an own post's release): an own post refused here is given up (or, a vote, signed
 * again) with the code as the reason its author is told, another node's is kept and not passed on.
 *
 * @example
 * ```ts
 * forwardRefusal(valid, Date.now(), true) // 'ERR_STALE_EPOCH' for a ring post of the hour before last
 * ```
 */
export function forwardRefusal (valid: Pick<ValidEnvelope, 'post' | 'auth'>, now: number, live: boolean): ForwardRefusal | undefined {
  const at = Math.floor(now / 1000)
  if (forwardableAt(valid.post, at, epochRuleOf(valid, live))) return undefined
  // within its time window: the epoch rule is what refuses it
  if (forwardableAt(valid.post, at)) return 'ERR_STALE_EPOCH'
  return forwardableUntil(Number(valid.post.created) + valid.post.ttl) < at ? 'ERR_EXPIRED' : 'ERR_TOO_EARLY'
}

/** The last second a post may leave (unix seconds), and what refuses it after that. */
export interface ForwardDeadline {
  at: number
  code: 'ERR_EXPIRED' | 'ERR_STALE_EPOCH'
}

/**
 * The last second (unix seconds) at which a valid post is still forwardable ({@link forwardRefusal}) as time
 * goes on: by its expiry, and, `live`, by its ring epoch (which leaves the live window of a clock ahead of
 * ours before it leaves ours). A queue of posts waiting to leave gives up on it after this.
 *
 * @example
 * ```ts
 * forwardableDeadline(valid, true) // { at: ..., code: 'ERR_STALE_EPOCH' } for a ring post of a week's ttl
 * ```
 */
export function forwardableDeadline (valid: Pick<ValidEnvelope, 'post' | 'auth'>, live: boolean): ForwardDeadline {
  const expiry = forwardableUntil(Number(valid.post.created) + valid.post.ttl)
  const rule = epochRuleOf(valid, live)
  // the epoch rule holds at a clock until the end of epoch `epoch + window`, as if the post expired then
  const epochEnd = rule === undefined ? Infinity : forwardableUntil((Number(rule.epoch) + rule.window + 1) * EPOCH_SECONDS)
  return epochEnd < expiry ? { at: epochEnd, code: 'ERR_STALE_EPOCH' } : { at: expiry, code: 'ERR_EXPIRED' }
}

/**
 * Whether `topic` carries posts (a channel's, or a circle's), which the forward rule judges; directory
 * announcements and circle frames are not posts, and their own paths judge them.
 *
 * @example
 * ```ts
 * carriesPosts(DIRECTORY_TOPIC) // false
 * ```
 */
export function carriesPosts (topic: string): boolean {
  return topic !== DIRECTORY_TOPIC && topic !== CIRCLE_SHARED_TOPIC
}
