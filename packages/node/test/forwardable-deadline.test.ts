/**
 * The forward rule asked two ways (ninth read of issue 12, H1): `forwardRefusal` at one time (a stem hand-on,
 * a fluff, a release) and `forwardableDeadline` for a queue (the outbox) must agree: a post is refused at `t`
 * exactly when `t` is past its deadline, and at the first such second for the deadline's reason.
 */
import { EPOCH_SECONDS, FORWARD_SLACK, MAX_CLOCK_SKEW } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { forwardRefusal, forwardableDeadline } from '../src/forwardable.js'
import type { ValidEnvelope } from '@murmur/protocol'

/** What the rule reads of a valid post: `created`, `ttl` and, ring-signed, its epoch. */
function post (created: number, ttl: number, epoch?: number): Pick<ValidEnvelope, 'post' | 'auth'> {
  return {
    post: { created: BigInt(created), ttl },
    auth: epoch === undefined ? { kind: 'one-time' } : { kind: 'ring', epoch: BigInt(epoch) }
  } as unknown as Pick<ValidEnvelope, 'post' | 'auth'>
}

describe('forwardRefusal and forwardableDeadline', () => {
  const hour = 500_000 * EPOCH_SECONDS

  it.each([
    ['a one-time post of an hour', post(hour + 600, 3600)],
    ['a ring post of a week', post(hour + 600, 7 * 86_400, 500_000)],
    ['a ring post of a day made in the last minute of its hour', post(hour + 3540, 86_400, 500_000)],
    ['a ring vote read on a path without the epoch rule', post(hour + 600, 86_400, 500_000), false]
  ])('%s: refused from the second after its deadline on, with its code at that second', (_, valid, live = true) => {
    const deadline = forwardableDeadline(valid, live)
    const created = Number(valid.post.created)
    const expires = created + valid.post.ttl
    // from P after it was made (a clock behind ours may find it too early before) to past its expiry: every
    // second around the deadline, each hour's end and the expiry, and a second in every 97 between
    const seconds = new Set<number>()
    for (let t = created + MAX_CLOCK_SKEW; t <= expires + 10; t += 97) seconds.add(t)
    for (const edge of [deadline.at, expires - MAX_CLOCK_SKEW - FORWARD_SLACK, ...Array.from({ length: 170 }, (_, i) => (Math.floor(created / EPOCH_SECONDS) + i + 1) * EPOCH_SECONDS)]) {
      for (let t = edge - 200; t <= edge + 2; t++) if (t >= created + MAX_CLOCK_SKEW && t <= expires + 10) seconds.add(t)
    }
    for (const t of seconds) {
      const refused = forwardRefusal(valid, t * 1000, live)
      if (t <= deadline.at) expect(refused, `at ${t - created} s`).toBeUndefined()
      else expect(refused, `at ${t - created} s`).toBeDefined()
    }
    expect(forwardRefusal(valid, (deadline.at + 1) * 1000, live)).toBe(deadline.code)
  })

  it('a ring post of hour E − 1 may leave until P + FORWARD_SLACK + 1 s before hour E ends, then ERR_STALE_EPOCH', () => {
    const valid = post(hour + 1800, 86_400, 500_000)
    const end = hour + 2 * EPOCH_SECONDS
    expect(forwardableDeadline(valid, true)).toEqual({ at: end - MAX_CLOCK_SKEW - FORWARD_SLACK - 1, code: 'ERR_STALE_EPOCH' })
    expect(forwardRefusal(valid, (end - 181) * 1000, true)).toBeUndefined()
    expect(forwardRefusal(valid, (end - 180) * 1000, true)).toBe('ERR_STALE_EPOCH')
  })
})
