import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EPOCH_SECONDS, FORWARD_SLACK, MAX_CLOCK_SKEW, MAX_TTL, MIN_TTL, acceptableAt, buildEnvelope, channelTopic, forwardableAt, forwardableUntil,
  isExpired, timeRefusal, validateEnvelope
} from '../src/index.js'
import { VECTOR_NOW } from './helpers.js'

// The rule of the eighth read of issue 12, High 1: an honest node never passes on what an honest receiver whose
// clock is within MAX_CLOCK_SKEW of its own refuses, so that every time refusal can be charged to its sender.
const P = MAX_CLOCK_SKEW
const NOW = VECTOR_NOW

describe('time window', () => {
  it('accepts up to 2P ahead and until the second before created + ttl; the validator answers the same', async () => {
    const post = { created: BigInt(NOW), ttl: MIN_TTL }
    expect(timeRefusal(post, NOW - 2 * P)).toBeUndefined()
    expect(timeRefusal(post, NOW - 2 * P - 1)).toBe('ERR_TOO_EARLY')
    expect(timeRefusal(post, NOW + MIN_TTL - 1)).toBeUndefined()
    expect(timeRefusal(post, NOW + MIN_TTL)).toBe('ERR_EXPIRED')
    expect(isExpired(post, NOW + MIN_TTL)).toBe(true)
    const { bytes } = await buildEnvelope({ channel: '#lobby', body: 'edge', created: NOW, ttl: MIN_TTL, powBits: 0 })
    const at = (now: number): string => { const r = validateEnvelope(bytes, { topic: channelTopic('#lobby'), now, powBits: { POST: 0 }, powFloor: { POST: 0 } }); return r.ok ? 'ok' : r.code }
    expect([at(NOW - 2 * P), at(NOW - 2 * P - 1), at(NOW + MIN_TTL - 1), at(NOW + MIN_TTL)]).toEqual(['ok', 'ERR_TOO_EARLY', 'ok', 'ERR_EXPIRED'])
  })

  it('forwards only up to P ahead and while more than P + FORWARD_SLACK of the life is left', () => {
    const post = { created: NOW, ttl: MIN_TTL }
    expect(forwardableAt(post, NOW - P)).toBe(true)
    expect(forwardableAt(post, NOW - P - 1)).toBe(false)
    expect(acceptableAt(post, NOW - P - 1)).toBe(true)
    const last = forwardableUntil(post.created + post.ttl)
    expect(last).toBe(NOW + MIN_TTL - P - FORWARD_SLACK - 1)
    expect(forwardableAt(post, last)).toBe(true)
    expect(forwardableAt(post, last + 1)).toBe(false)
    expect(acceptableAt(post, last + 1)).toBe(true)
  })

  it('forwards a ring post only while its epoch is acceptable to every clock within P', () => {
    const hour = BigInt(Math.floor(NOW / EPOCH_SECONDS))
    const start = Number(hour + 1n) * EPOCH_SECONDS // the first second of the next hour
    const post = { created: Number(hour - 1n) * EPOCH_SECONDS, ttl: MAX_TTL }
    const epoch = { epoch: hour - 1n, window: 1 }
    // at start - 1 the epoch is one from now's: acceptable, but a clock 1 s ahead is already two hours on
    expect(acceptableAt(post, start - 1, epoch)).toBe(true)
    expect(forwardableAt(post, start - 1, epoch)).toBe(false)
    expect(forwardableAt(post, start - 1 - P - FORWARD_SLACK, epoch)).toBe(true)
    expect(forwardableAt(post, start - P - FORWARD_SLACK, epoch)).toBe(false)
  })

  it('whatever a node forwards, a node whose clock is within P of its own accepts (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10 * MAX_TTL }), fc.integer({ min: MIN_TTL, max: MAX_TTL }), fc.integer({ min: 0, max: 12 * MAX_TTL }),
      fc.integer({ min: -P, max: P }), fc.integer({ min: 0, max: FORWARD_SLACK }), fc.integer({ min: -2, max: 2 }),
      (minute, ttl, now, skew, delay, off) => {
        const created = minute * 60
        const rule = { epoch: BigInt(Math.floor(created / EPOCH_SECONDS) + off), window: 1 }
        if (!forwardableAt({ created, ttl }, now, rule)) return
        // the receiver judges it `delay` s later by a clock `skew` s off
        expect(acceptableAt({ created, ttl }, now + delay + skew, rule)).toBe(true)
      }), { numRuns: 2000 })
  })

  it('an honest author whose clock is within P of the relay\'s has its fresh post forwarded', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * MAX_TTL }), fc.integer({ min: -P, max: P }), fc.integer({ min: 0, max: 59 }), fc.constantFrom(3600, 86_400, 604_800),
      (now, skew, jitter, ttl) => {
        const authorNow = now + skew
        const created = authorNow - jitter - ((authorNow - jitter) % 60)
        expect(forwardableAt({ created, ttl }, authorNow)).toBe(true)
        expect(forwardableAt({ created, ttl }, now)).toBe(true)
      }), { numRuns: 1000 })
  })
})
