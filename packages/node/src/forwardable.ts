/**
 * The protocol's forward rule (forwardableAt) on a node's paths: a post is passed on — a gossip Accept, a stem
 * relay, a history-sync answer — only while every honest node whose clock is within MAX_CLOCK_SKEW of this
 * one's accepts it. A post acceptable here but not forwardable is kept and not passed on, at no cost to its
 * sender (eighth read of issue 12, H1: an honest node was charged by its neighbours for edge-timed posts an
 * attacker sent it).
 */
import { forwardableAt } from '@murmur/protocol'
import { epochRuleOf } from './intake.js'
import type { ValidEnvelope } from '@murmur/protocol'

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
  return forwardableAt(valid.post, Math.floor(now / 1000), epochRuleOf(valid, live))
}
