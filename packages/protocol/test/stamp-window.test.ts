import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_TTL, WEEK_SECONDS } from '../src/constants.js'
import { generateAuthorKey } from '../src/ring.js'
import {
  MAX_STAMP_WEEK, STAMP_EARLY_SECONDS, STAMP_GRACE_SECONDS, STAMP_RENEW_SPREAD_SECONDS,
  acceptedStampWeeks, isStampWeekAccepted, renewalSchedule, stampRetainedUntil, stampWindow, weekOf, weekStart, weekToMint
} from '../src/stamp-window.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const DAY = 86_400
const time = fc.integer({ min: DAY * 8, max: 2 ** 40 })

describe('week arithmetic', () => {
  it('weeks start on Thursdays 00:00 UTC and VECTOR_NOW starts one', () => {
    expect(weekOf(VECTOR_NOW)).toBe(2922)
    expect(weekStart(2922)).toBe(VECTOR_NOW)
    expect(new Date(weekStart(2922) * 1000).getUTCDay()).toBe(4)
    expect(weekOf(VECTOR_NOW - 1)).toBe(2921)
  })

  it('the window of week w is [start − 1 day, start + 1 week + 1 day)', () => {
    expect(stampWindow(2922)).toEqual({ notBefore: VECTOR_NOW - DAY, notAfter: VECTOR_NOW + WEEK_SECONDS + DAY })
    expect(STAMP_EARLY_SECONDS).toBe(DAY)
    expect(STAMP_GRACE_SECONDS).toBe(DAY)
  })

  it('at the boundaries: accepted on notBefore, refused one second before and on notAfter', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (week) => {
      const { notBefore, notAfter } = stampWindow(week)
      expect(isStampWeekAccepted(week, notBefore - 1)).toBe(false)
      expect(isStampWeekAccepted(week, notBefore)).toBe(true)
      expect(isStampWeekAccepted(week, notAfter - 1)).toBe(true)
      expect(isStampWeekAccepted(week, notAfter)).toBe(false)
    }))
  })

  it('acceptedStampWeeks is exactly the weeks whose window holds the time: one, or two near a boundary', () => {
    fc.assert(fc.property(time, (now) => {
      const weeks = acceptedStampWeeks(now)
      const week = weekOf(now)
      for (let w = week - 3; w <= week + 3; w++) expect(weeks.includes(w)).toBe(isStampWeekAccepted(w, now))
      const offset = now - weekStart(week)
      const expected = offset < STAMP_GRACE_SECONDS ? [week - 1, week] : offset >= WEEK_SECONDS - STAMP_EARLY_SECONDS ? [week, week + 1] : [week]
      expect(weeks).toEqual(expected)
    }), { numRuns: 2000 })
    expect(acceptedStampWeeks(VECTOR_NOW)).toEqual([2921, 2922])
    expect(acceptedStampWeeks(VECTOR_NOW + DAY - 1)).toEqual([2921, 2922])
    expect(acceptedStampWeeks(VECTOR_NOW + DAY)).toEqual([2922])
    expect(acceptedStampWeeks(VECTOR_NOW - DAY)).toEqual([2921, 2922])
    expect(acceptedStampWeeks(VECTOR_NOW - DAY - 1)).toEqual([2921])
  })

  it('weekToMint gives a week accepted now that lasts two days more at least (then renewalSchedule takes over)', () => {
    fc.assert(fc.property(time, (now) => {
      const week = weekToMint(now)
      expect(isStampWeekAccepted(week, now)).toBe(true)
      expect(stampWindow(week).notAfter - now).toBeGreaterThan(STAMP_EARLY_SECONDS + STAMP_GRACE_SECONDS)
    }), { numRuns: 1000 })
  })

  it('a directory keeps a stamp until every post made inside its window has expired', () => {
    expect(stampRetainedUntil(2922)).toBe(stampWindow(2922).notAfter + MAX_TTL)
  })

  it('refuses times and weeks out of range', () => {
    expect(() => weekOf(-1)).toThrow(RangeError)
    expect(() => weekOf(1.5)).toThrow(RangeError)
    expect(() => weekStart(MAX_STAMP_WEEK + 1)).toThrow(RangeError)
    expect(isStampWeekAccepted(Number.NaN, VECTOR_NOW)).toBe(false)
    expect(isStampWeekAccepted(2922, Number.POSITIVE_INFINITY)).toBe(false)
  })
})

describe('renewalSchedule', () => {
  const keys = Array.from({ length: 400 }, (_, i) => generateAuthorKey(seededRandom(`renew-${i}`)).publicKey)

  it('mints in the first four days of the held week and announces inside the new window, before the held stamp expires', () => {
    for (const key of keys) {
      const { week, mintFrom, announceFrom } = renewalSchedule(key, 2922)
      expect(week).toBe(2923)
      expect(mintFrom).toBeGreaterThanOrEqual(weekStart(2922))
      expect(mintFrom).toBeLessThan(weekStart(2922) + STAMP_RENEW_SPREAD_SECONDS)
      expect(isStampWeekAccepted(2923, announceFrom)).toBe(true)
      expect(announceFrom).toBeLessThan(stampWindow(2922).notAfter)
      // two days at least between the latest start of minting and the opening of the new window
      expect(stampWindow(2923).notBefore - mintFrom).toBeGreaterThanOrEqual(2 * DAY)
    }
  })

  it('spreads keys evenly over the four days (each day holds 20–30 % of them), differently each week', () => {
    const days = [0, 0, 0, 0]
    for (const key of keys) days[Math.floor((renewalSchedule(key, 2922).mintFrom - weekStart(2922)) / DAY)]!++
    for (const count of days) expect(count / keys.length).toBeGreaterThan(0.2)
    for (const count of days) expect(count / keys.length).toBeLessThan(0.3)
    const offsets = keys.map((key) => renewalSchedule(key, 2922).mintFrom - weekStart(2922))
    const nextOffsets = keys.map((key) => renewalSchedule(key, 2923).mintFrom - weekStart(2923))
    expect(offsets.filter((o, i) => o === nextOffsets[i]).length).toBe(0)
  })
})
