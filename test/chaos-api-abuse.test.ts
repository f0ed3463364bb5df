/**
 * Chaos slice `api_abuse_ok` (issue 17; the full scenario is `npm run chaos`, bench/chaos/api-abuse.ts):
 * a daemon's control API under slow-loris connections, 10 MB bodies, malformed JSON, missing and wrong
 * tokens and a crowd of connections, all at once, answers each with a clear 4xx (or a refusal at its
 * connection cap), drops the slow-loris connections, stays within bounded memory and keeps serving its
 * user's normal requests throughout.
 */
import { describe, expect, it } from 'vitest'
import { runApiAbuse } from '../bench/chaos/api-abuse.ts'

/** RSS growth the abuse may cause (MiB): a 10 MB body kept whole, or per connection, would pass it. */
const RSS_BOUND_MB = 120

describe('chaos: abuse of the control API', () => {
  it('answers every abuse with a clear 4xx, drops slow-loris connections and keeps serving', async () => {
    // a crowd smaller than the connection cap (64) with everything else: nothing is refused
    const outcome = await runApiAbuse({ slowLoris: 8, bigBodies: 2, malformed: 2, badTokens: 2, parallel: 20, durationMs: 4_000, calmSamples: 5 })
    expect(outcome.violations).toEqual([])
    expect(outcome.alive).toBe(true)
    expect(outcome.postAfter).toBe(true)
    expect(outcome.normal.sent).toBeGreaterThan(0)
    expect(outcome.normal.ok).toBe(outcome.normal.sent)
    expect(outcome.posts.sent).toBeGreaterThan(0)
    expect(outcome.posts.ok).toBe(outcome.posts.sent)
    expect(outcome.posts.held).toBe(outcome.posts.sent)
    expect(outcome.slowLoris.closedByDaemon).toBe(outcome.slowLoris.connections)
    expect(outcome.answers['malformed-json']).toEqual({ 400: expect.any(Number) })
    expect(outcome.answers['missing-token']).toEqual({ 401: expect.any(Number) })
    expect(outcome.answers['wrong-token']).toEqual({ 401: expect.any(Number) })
    // a body announced too large is answered before it is read; a chunked one once 16 KiB are in (or, past
    // the 2 MiB the daemon reads on, the connection is cut while the client still sends)
    expect(Object.keys(outcome.answers['big-body-announced'] ?? {}).every((result) => result === '413' || result === 'reset')).toBe(true)
    expect(outcome.answers['big-body-announced']?.['413']).toBeGreaterThan(0)
    expect(outcome.rss.peak - outcome.rss.before).toBeLessThan(RSS_BOUND_MB)
  }, 120_000)

  // bug B1: a crowd of connections kept coming at the cap evicted the user's connection before its request
  // was read (6 of 7 refused at 100 clients); then, a fresh connection kept and the newcomer refused, the
  // crowd's batch got the user's refused (2 % failed after 8 tries at 200). Fresh connections are now held
  // apart from the cap, and the user's client tries a refused GET again, and a POST the daemon did not read
  // (chaos-api-crowd.test.ts tests the cap and the client's rules alone)
  it('keeps serving its user while a crowd without the token hammers it', async () => {
    const outcome = await runApiAbuse({ slowLoris: 0, bigBodies: 0, malformed: 0, badTokens: 0, parallel: 200, authedShare: 0, durationMs: 5_000, calmSamples: 5 })
    expect(outcome.normal.failures).toEqual([])
    expect(outcome.posts.failures).toEqual([])
    expect(outcome.posts.held).toBe(outcome.posts.sent)
    expect(outcome.violations).toEqual([])
  }, 120_000)
})
