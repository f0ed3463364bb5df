/**
 * The time rules of a member stamp on a node's paths, written once: when the directory takes one
 * (stampAcceptedAt) and when one may leave the node (stampForwardableAt) — a gossip Accept, a stem
 * hand-on or fluff, an own announcement, a history-sync answer. The forward rule is the posts'
 * (forwardableAt, docs/PROTOCOL.md §6) on a stamp's window: whatever a node passes on, every node whose
 * clock is within MAX_CLOCK_SKEW of its own takes, however long (up to FORWARD_SLACK) the copy takes to be
 * judged there. Twelfth read of issue 12, H1: without it a burst of stamps sent a node just before their
 * window closed was forwarded after the close, and every neighbour charged the node for them.
 */
import { FORWARD_SLACK, MAX_CLOCK_SKEW, isStampWeekAccepted, stampRetainedUntil, stampWindow } from '@murmur/protocol'
import type { AnnouncementPath } from './directory-types.js'

/**
 * Whether the directory takes a stamp for `week` at `now` (unix seconds) by `path`: on the live paths
 * (gossip, the stem) inside its window (isStampWeekAccepted); by history sync also past it, while rings
 * may still name it (until stampRetainedUntil).
 *
 * @example
 * ```ts
 * stampAcceptedAt(stamp.week, now, 'sync') // true for last week's stamp a post of this week may still name
 * ```
 */
export function stampAcceptedAt (week: number, now: number, path: AnnouncementPath): boolean {
  if (path !== 'sync') return isStampWeekAccepted(week, now)
  return stampWindow(week).notBefore <= now && now < stampRetainedUntil(week)
}

/**
 * Whether a stamp for `week` the node holds (or judged valid) may leave it at `now` (unix seconds) by
 * `path`: taken by {@link stampAcceptedAt} at every clock reading from `now − MAX_CLOCK_SKEW` to
 * `now + MAX_CLOCK_SKEW + FORWARD_SLACK`, at which an honest next node may judge it. Both ends decide
 * (the rule holds on an interval). Read `now` when the verdict is given, not when the stamp arrived: its
 * evaluation may wait. A stamp taken but not forwardable is kept and not passed on, charging nobody.
 *
 * @example
 * ```ts
 * if (!stampForwardableAt(stamp.week, Math.floor(Date.now() / 1000), 'live')) return TopicValidatorResult.Ignore
 * ```
 */
export function stampForwardableAt (week: number, now: number, path: AnnouncementPath): boolean {
  return stampAcceptedAt(week, now - MAX_CLOCK_SKEW, path) && stampAcceptedAt(week, now + MAX_CLOCK_SKEW + FORWARD_SLACK, path)
}

/**
 * The first second (unix seconds) from which a stamp for `week` may leave the node on the live paths
 * ({@link stampForwardableAt}): MAX_CLOCK_SKEW after its window opens. An own stamp is announced no
 * earlier, or a successor whose clock lags would refuse it and charge this node.
 *
 * @example
 * ```ts
 * const from = Math.max(now, firstForwardable(stamp.week))
 * ```
 */
export function firstForwardable (week: number): number {
  return stampWindow(week).notBefore + MAX_CLOCK_SKEW
}
