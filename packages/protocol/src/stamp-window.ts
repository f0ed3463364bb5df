import { u64be, utf8 } from './bytes.js'
import { MAX_TTL, WEEK_SECONDS } from './constants.js'
import { sha256 } from './hash.js'

/**
 * How long before its week a stamp is already accepted, in seconds: renewed stamps are announced in this
 * last day of the previous week, so every directory holds them when the week turns. @default 86400
 */
export const STAMP_EARLY_SECONDS = 86_400
/**
 * How long after its week a stamp is still accepted, in seconds: covers clocks that are off, a renewal
 * that finished late, and announcements spread up to the boundary. @default 86400
 */
export const STAMP_GRACE_SECONDS = 86_400
/**
 * Minting the next week's stamp starts at a per-key point within this many seconds from the start of the
 * current week (days 0..4), so the network does not re-mint at one moment and a slow device has two days
 * before the early window opens. @default 345600
 */
export const STAMP_RENEW_SPREAD_SECONDS = 4 * 86_400

/** Largest week number (a 32-bit wire integer; year ~80 million): keeps every time below 2^53. @default 2^32 − 1 */
export const MAX_STAMP_WEEK = 2 ** 32 - 1

const RENEWAL_DOMAIN = utf8('murmur/v2/stamp-renewal')

/** The seconds a stamp of one week is accepted in: `notBefore ≤ t < notAfter`. */
export interface StampWindow {
  /** `weekStart(week) − STAMP_EARLY_SECONDS`. */
  notBefore: number
  /** `weekStart(week + 1) + STAMP_GRACE_SECONDS`. */
  notAfter: number
}

/** When a member holding a stamp renews it for the next week. */
export interface RenewalSchedule {
  /** The week the new stamp is for. */
  week: number
  /** Unix seconds from which to start minting it. */
  mintFrom: number
  /** Unix seconds from which to announce it (inside its window, before the held stamp expires). */
  announceFrom: number
}

function checkWeek (week: number): void {
  if (!Number.isSafeInteger(week) || week < 0 || week > MAX_STAMP_WEEK) {
    throw new RangeError(`expected a week in 0..${MAX_STAMP_WEEK}, got ${week}`)
  }
}

function checkTime (seconds: number): void {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError(`expected unix seconds as a non-negative integer, got ${seconds}`)
}

/**
 * The week a time falls in: `floor(seconds / 604800)` (weeks start on Thursdays 00:00 UTC, as the Unix
 * epoch did), the same week as the weekly link tag's.
 *
 * @example
 * ```ts
 * weekOf(1_767_225_600) // 2922: 2026-01-01T00:00Z, a Thursday, starts a week
 * ```
 */
export function weekOf (seconds: number): number {
  checkTime(seconds)
  return Math.floor(seconds / WEEK_SECONDS)
}

/**
 * The first second of a week.
 *
 * @example
 * ```ts
 * weekStart(weekOf(now)) <= now // true
 * ```
 */
export function weekStart (week: number): number {
  checkWeek(week)
  return week * WEEK_SECONDS
}

/**
 * The seconds in which a stamp for `week` is accepted: from one day before the week to one day after it
 * (nine days; consecutive weeks' windows overlap by two days).
 *
 * @example
 * ```ts
 * const { notBefore, notAfter } = stampWindow(2921)
 * notAfter - notBefore // 777600 (9 days)
 * ```
 */
export function stampWindow (week: number): StampWindow {
  const start = weekStart(week)
  return { notBefore: start - STAMP_EARLY_SECONDS, notAfter: start + WEEK_SECONDS + STAMP_GRACE_SECONDS }
}

/**
 * Whether a stamp for `week` is accepted at `now`. Never throws: a week or time out of range is `false`.
 *
 * @example
 * ```ts
 * isStampWeekAccepted(weekOf(now), now) // true
 * ```
 */
export function isStampWeekAccepted (week: number, now: number): boolean {
  if (!Number.isSafeInteger(week) || week < 0 || week > MAX_STAMP_WEEK || !Number.isSafeInteger(now)) return false
  const { notBefore, notAfter } = stampWindow(week)
  return notBefore <= now && now < notAfter
}

/**
 * The weeks whose stamps are accepted at `now`, ascending: the current week, and the next one in its early
 * day or the previous one in its grace day. A validator looks ring members' stamps up for these weeks,
 * with `now` the post's `created`.
 *
 * @example
 * ```ts
 * acceptedStampWeeks(weekStart(2922) - 3600) // [2921, 2922]
 * ```
 */
export function acceptedStampWeeks (now: number): number[] {
  const week = weekOf(now)
  return [week - 1, week, week + 1].filter((w) => w >= 0 && isStampWeekAccepted(w, now))
}

/**
 * The week a member without a usable stamp mints for at `now`: the current week, or the next one once
 * its window has opened (it is accepted at once and lasts longer). A stamp minted this way lasts two days
 * at least; renewalSchedule then says when to mint the next (at once, if its point has passed).
 *
 * @example
 * ```ts
 * weekToMint(weekStart(2922) - 60) // 2922
 * ```
 */
export function weekToMint (now: number): number {
  const week = weekOf(now)
  return isStampWeekAccepted(week + 1, now) ? week + 1 : week
}

/**
 * Until when a directory keeps a stamp for `week`: the end of its window plus the longest ttl, since a post
 * created inside the window lives that long and its ring is checked against stamps valid at `created`.
 *
 * @example
 * ```ts
 * if (now >= stampRetainedUntil(stamp.week)) directory.delete(id)
 * ```
 */
export function stampRetainedUntil (week: number): number {
  return stampWindow(week).notAfter + MAX_TTL
}

/**
 * A number in [0, 1) drawn from a member key and a week: where the key's renewal falls in the spread,
 * different every week so that no key is always last.
 */
function renewalFraction (memberKey: Uint8Array, week: number): number {
  const digest = sha256(RENEWAL_DOMAIN, memberKey, u64be(week))
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false) / 2 ** 32
}

/**
 * When a member holding a stamp for `heldWeek` mints and announces the stamp for `heldWeek + 1`: minting
 * from a key-derived point in the first four days of `heldWeek`, announcing from the same fraction of the
 * next stamp's early day. Both only spread honest load: nothing stops anyone from minting any week ahead.
 *
 * @example
 * ```ts
 * const { week, mintFrom, announceFrom } = renewalSchedule(memberKey.publicKey, weekOf(now))
 * ```
 */
export function renewalSchedule (memberKey: Uint8Array, heldWeek: number): RenewalSchedule {
  checkWeek(heldWeek + 1)
  const week = heldWeek + 1
  const fraction = renewalFraction(memberKey, week)
  return {
    week,
    mintFrom: weekStart(heldWeek) + Math.floor(fraction * STAMP_RENEW_SPREAD_SECONDS),
    announceFrom: stampWindow(week).notBefore + Math.floor(fraction * STAMP_EARLY_SECONDS)
  }
}
