/**
 * Chaos slice `crash_acked_lost` (issue 17; the full scenario is `npm run chaos`, bench/chaos/crash.ts):
 * a daemon posting through its control API as fast as it acknowledges, its posts going out to a peer and
 * coming back into its store, is killed with SIGKILL at a random point of the flood and right on its
 * last acknowledgement, and restarted on the same data dir each time: the store opens, and every post
 * and every join the API acknowledged is there.
 */
import { describe, expect, it } from 'vitest'
import { runCrash } from '../bench/chaos/crash.ts'

describe('chaos: kill -9 of a daemon mid-flood', () => {
  it('loses no acknowledged post and the store opens after each kill', async () => {
    const outcome = await runCrash({ posts: 100, killPoints: 1, seed: 17 })
    expect(outcome.restarts).toBe(2)
    expect(outcome.acked).toBe(100)
    expect(outcome.lost).toEqual([])
    expect(outcome.lostJoins).toEqual([])
    // the posts went the whole way (out to the peer and back into the store) while the kills fell
    expect(outcome.inStore).toBeGreaterThan(0)
  }, 240_000)
})
