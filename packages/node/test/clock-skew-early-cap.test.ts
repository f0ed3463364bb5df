/**
 * Review 4, A Low 3: checks of posts refused as too early run a signature verification on the main
 * thread (up to ~40 ms for a ring of 64), and each sender group had its own budget only (ten at once,
 * one a second): many address groups (IPv6 /48s), each sending posts that paid their proof of work,
 * could keep the event loop busy. A budget shared by all groups caps them; each group's turn keeps a
 * flood from starving an honest group's checks for ever.
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CLOCK_SKEW_EARLY_CHECKS, CLOCK_SKEW_SHARED_CHECKS, CLOCK_SKEW_SHARED_RATE, ClockWatch } from '../src/clock-skew.js'
import { seededRandom } from './stem-fixtures.js'
import type { ClockSkewDetail } from '../src/clock-skew.js'
import type { ValidationResult } from '@murmur/protocol'

const CHANNEL = '#early-cap'
const TOPIC = channelTopic(CHANNEL)
/** The network's time; the watched clock runs 600 s behind it. */
const NETWORK = 1_800_000_000
const TOO_EARLY = { ok: false, code: 'ERR_TOO_EARLY', reason: 'created 600 s in the future' } as ValidationResult
const BAD_SIGNATURE = { ok: false, code: 'ERR_BAD_SIGNATURE', reason: 'paid its proof of work, forged its signature' } as ValidationResult
const JUNK = { ok: false, code: 'ERR_POW_TOO_LOW', reason: 'no proof of work' } as ValidationResult
const GENUINE = { ok: true } as unknown as ValidationResult

/**
 * A watch on a clock 600 s behind, with hand-moved wall and monotonic clocks (monotonic 0 is network
 * time NETWORK): `honest` and `fresh` ones are genuine as of their own time, `forged` paid its proof of
 * work but not its signature, anything else is junk.
 */
async function behind (): Promise<{ watch: ClockWatch, checks: { honest: number, forged: number }, changes: ClockSkewDetail[], time: { ms: number, wall: number }, honest: Uint8Array, forged: Uint8Array, fresh(minute: number): Promise<Uint8Array> }> {
  const genuine = new Set<Uint8Array>()
  /** A genuine post made in minute `minute` of the network's time from NETWORK on. */
  const fresh = async (minute: number): Promise<Uint8Array> => {
    const bytes = (await buildEnvelope({ channel: CHANNEL, body: `honest ${minute}`, created: NETWORK + minute * 60, powBits: 0 })).bytes
    genuine.add(bytes)
    return bytes
  }
  const honest = await fresh(0)
  const forged = (await buildEnvelope({ channel: CHANNEL, body: 'forged', created: NETWORK, powBits: 0 })).bytes
  const time = { ms: 0, wall: (NETWORK - 600) * 1000 }
  const checks = { honest: 0, forged: 0 }
  const changes: ClockSkewDetail[] = []
  const watch = new ClockWatch({
    now: () => time.wall + time.ms,
    monotonic: () => time.ms,
    validateAt: (_topic, envelope) => {
      if (genuine.has(envelope)) {
        checks.honest++
        return GENUINE
      }
      if (envelope === forged) {
        checks.forged++
        return BAD_SIGNATURE
      }
      return JUNK
    },
    onChange: (detail) => { changes.push(detail) }
  })
  return { watch, checks, changes, time, honest, forged, fresh }
}

describe('clock skew: checks of too-early posts shared by all sender groups', () => {
  it('caps the checks of 1,000 groups each sending paid forgeries at its own rate', async () => {
    const { watch, checks, time, forged } = await behind()
    for (let g = 0; g < 1_000; g++) {
      for (let i = 0; i < CLOCK_SKEW_EARLY_CHECKS; i++) watch.observe(TOPIC, forged, TOO_EARLY, `2001:db8:${g.toString(16)}::/48`)
    }
    expect(checks.forged).toBe(CLOCK_SKEW_SHARED_CHECKS)
    // a minute more, every group one post a second (its own budget's rate)
    for (let s = 1; s <= 60; s++) {
      for (let g = 0; g < 1_000; g++) {
        time.ms = s * 1000 + g
        watch.observe(TOPIC, forged, TOO_EARLY, `2001:db8:${g.toString(16)}::/48`)
      }
    }
    expect(checks.forged).toBeLessThanOrEqual(CLOCK_SKEW_SHARED_CHECKS + 61 * CLOCK_SKEW_SHARED_RATE)
    expect(checks.forged).toBeGreaterThanOrEqual(CLOCK_SKEW_SHARED_CHECKS + 59 * CLOCK_SKEW_SHARED_RATE)
  })

  it('gives a slow honest group its turn as often as each of 100 flooding groups: it is told the clock is behind', async () => {
    const { watch, checks, changes, time, forged, fresh } = await behind()
    const GROUPS = 100
    const MINUTES = 20
    const honest: Uint8Array[] = []
    for (let minute = 0; minute < MINUTES; minute++) honest.push(await fresh(minute))
    // every attacker group sends one paid forgery a second (what its own budget lets through), and starts
    // at g/10 s, so that the groups' turns come spread over every ten seconds (bunched, the honest group
    // would draw between the bunches); the honest group sends a post every ten to eleven seconds
    const random = seededRandom(5)
    let honestAt = 0
    for (let ms = 0; ms < MINUTES * 60_000; ms += 10) {
      time.ms = ms
      if (ms === honestAt) {
        watch.observe(TOPIC, honest[Math.floor(ms / 60_000)]!, TOO_EARLY, '198.51.100.7')
        honestAt += 10_000 + Math.floor(random() * 100) * 10
      }
      const g = ((ms / 10) * 37) % GROUPS
      if (ms >= g * 100) watch.observe(TOPIC, forged, TOO_EARLY, `2001:db8:${g.toString(16)}::/48`)
    }
    expect(checks.forged + checks.honest).toBeLessThanOrEqual(CLOCK_SKEW_SHARED_CHECKS + MINUTES * 60 * CLOCK_SKEW_SHARED_RATE)
    // 120 turns against 10 of the attacker's a second for 2 checks: about 1 in 10 wins, where first
    // come, first served would give the honest group 1 check in 1,001 (2,400 in all: about 2)
    expect(checks.honest).toBeGreaterThanOrEqual(6)
    expect(changes).toMatchObject([{ skewed: true }])
    expect(changes[0]!.offset).toBeLessThan(-480)
  })

  it('gives an honest group its own budget again once a flood of many groups stops', async () => {
    const { watch, checks, time, honest, forged } = await behind()
    for (let g = 0; g < 1_000; g++) watch.observe(TOPIC, forged, TOO_EARLY, `2001:db8:${g.toString(16)}::/48`)
    time.ms += CLOCK_SKEW_SHARED_CHECKS / CLOCK_SKEW_SHARED_RATE * 1000
    for (let i = 0; i < 50; i++) watch.observe(TOPIC, honest, TOO_EARLY, '198.51.100.7')
    expect(checks.honest).toBe(CLOCK_SKEW_EARLY_CHECKS)
    time.ms += 3_000
    for (let i = 0; i < 50; i++) watch.observe(TOPIC, honest, TOO_EARLY, '198.51.100.7')
    expect(checks.honest).toBe(CLOCK_SKEW_EARLY_CHECKS + 3)
  })

  it('does not charge junk without proof of work from 1,000 groups to the shared budget', async () => {
    const { watch, checks, honest } = await behind()
    const junk = (await buildEnvelope({ channel: CHANNEL, body: 'junk', created: NETWORK, powBits: 0 })).bytes
    for (let g = 0; g < 1_000; g++) watch.observe(TOPIC, junk, TOO_EARLY, `2001:db8:${g.toString(16)}::/48`)
    for (let i = 0; i < 50; i++) watch.observe(TOPIC, honest, TOO_EARLY, '198.51.100.7')
    expect(checks.honest).toBe(CLOCK_SKEW_EARLY_CHECKS)
  })

  it('refills on the monotonic clock: a wall clock set back an hour does not stop the checks', async () => {
    const { watch, checks, time, honest } = await behind()
    for (let i = 0; i < 50; i++) watch.observe(TOPIC, honest, TOO_EARLY, '198.51.100.7')
    expect(checks.honest).toBe(CLOCK_SKEW_EARLY_CHECKS)
    time.wall -= 3_600_000
    time.ms += 3_000
    for (let i = 0; i < 50; i++) watch.observe(TOPIC, honest, TOO_EARLY, '198.51.100.7')
    expect(checks.honest).toBe(CLOCK_SKEW_EARLY_CHECKS + 3)
  })
})
