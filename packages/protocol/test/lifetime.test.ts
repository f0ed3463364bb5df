import { describe, expect, it } from 'vitest'
import { DEFAULT_TTL, MAX_TTL, MIN_TTL } from '../src/constants.js'
import { DEFAULT_LIFETIME, LIFETIMES, VOTE_TTL, checkLifetime, lifetimeOf, parseLifetime, timeLeft } from '../src/lifetime.js'

const NOW = 1_800_000_000

describe('the lifetime rule', () => {
  it('offers an hour, a day (the default) and a week, all within the wire range', () => {
    expect(Object.values(LIFETIMES)).toEqual([3_600, 86_400, 604_800])
    expect(LIFETIMES[DEFAULT_LIFETIME]).toBe(DEFAULT_TTL)
    expect(VOTE_TTL).toBe(86_400)
    for (const ttl of Object.values(LIFETIMES)) expect(ttl >= MIN_TTL && ttl <= MAX_TTL).toBe(true)
    expect(lifetimeOf(604_800)).toBe('1w')
    expect(lifetimeOf(5_400)).toBeUndefined()
  })

  it('parses 1h, 1d and 1w only, refusing anything else with ERR_BAD_LIFETIME', () => {
    expect([parseLifetime('1h'), parseLifetime('1D'), parseLifetime(' 1w ')]).toEqual([3_600, 86_400, 604_800])
    for (const bad of ['2h', '3600', '', 'constructor', '__proto__', 'toString']) {
      expect(() => parseLifetime(bad), bad).toThrow(expect.objectContaining({ name: 'LifetimeError', code: 'ERR_BAD_LIFETIME', message: expect.stringContaining('would link your posts') as string }) as Error)
    }
  })

  it('checks a ttl of any type: a post\'s one of the three, a vote\'s a day, or none', () => {
    expect([3_600, 86_400, 604_800, undefined].map((ttl) => checkLifetime(ttl))).toEqual([3_600, 86_400, 604_800, undefined])
    expect([86_400, undefined].map((ttl) => checkLifetime(ttl, 'VOTE'))).toEqual([86_400, undefined])
    for (const bad of [60, 5_400, 86_401, 604_800.5, '3600', null, -3_600, Number.NaN, {}]) {
      expect(() => checkLifetime(bad), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_BAD_LIFETIME' }) as Error)
      expect(() => checkLifetime(bad, 'REPLY'), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_BAD_LIFETIME' }) as Error)
    }
    for (const bad of [3_600, 604_800, '86400']) {
      expect(() => checkLifetime(bad, 'VOTE'), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_BAD_LIFETIME', message: expect.stringContaining('a vote lives a day') as string }) as Error)
    }
  })

  it('says the time left in whole units, rounded down', () => {
    expect([604_800, 86_399, 5 * 3_600 + 59 * 60, 3_599, 59, 0, -5].map((s) => timeLeft(NOW + s, NOW)))
      .toEqual(['7d left', '23h left', '5h left', '59m left', '<1m left', 'expired', 'expired'])
  })
})
