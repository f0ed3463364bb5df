/**
 * When to mint and when to announce (pure): a member without a usable stamp mints at once; one holding a
 * stamp mints the next week's from its renewalSchedule point, before the held one expires.
 */
import { isStampWeekAccepted, renewalSchedule, stampWindow, weekToMint } from '@murmur/protocol'
import { firstForwardable } from './stamp-forward.js'

/** The next mint: for which week, from when (unix seconds, possibly already past). */
export interface MintPlan {
  week: number
  at: number
}

/**
 * The next stamp to mint, given the weeks the member holds stamps for: `weekToMint(now)` at once while no
 * held stamp is accepted now, else the week after the latest held one, from its renewal point (spread over
 * the first four days of the held week, so the network never re-mints at one moment).
 *
 * @example
 * ```ts
 * const { week, at } = planMint(memberKey, state.stamps().map((s) => s.week), now)
 * ```
 */
export function planMint (memberKey: Uint8Array, heldWeeks: readonly number[], now: number): MintPlan {
  const live = heldWeeks.filter((week) => now < stampWindow(week).notAfter)
  if (!live.some((week) => isStampWeekAccepted(week, now))) {
    const week = weekToMint(now)
    if (!live.includes(week)) return { week, at: now }
  }
  const { week, mintFrom } = renewalSchedule(memberKey, Math.max(...live))
  return { week, at: mintFrom }
}

/**
 * When to announce a stamp of `week`: as soon as it may leave the node (firstForwardable: MAX_CLOCK_SKEW
 * into its window, so no successor whose clock lags refuses it) when it is the member's only stamp
 * accepted now (a newcomer, or a renewal that came late), else from its announceFrom point in the early
 * day, which spreads every node's verification load, and never before that first second either.
 *
 * @example
 * ```ts
 * setTimeout(announce, (announceAt(memberKey, stamp.week, heldWeeks, now) - now) * 1000)
 * ```
 */
export function announceAt (memberKey: Uint8Array, week: number, heldWeeks: readonly number[], now: number): number {
  const covered = heldWeeks.some((held) => held !== week && isStampWeekAccepted(held, now))
  const from = firstForwardable(week)
  if (!covered || week === 0) return Math.max(now, from)
  return Math.max(now, from, renewalSchedule(memberKey, week - 1).announceFrom)
}
