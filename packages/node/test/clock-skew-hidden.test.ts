/**
 * Issue 12, 12b, third review: forged posts must not hide a real clock skew for good. The bounds were
 * kept since the start, so one forged post (dated 720 s ahead, valid to a clock 600 s ahead; or a day
 * ahead, refused as too early and verified as of its own time) cleared a real 600 s skew for the rest of
 * the process; and junk refused as too early drained the one check budget every sender shared, so a
 * node whose clock runs behind never learnt it.
 */
import { authBinding, buildEnvelope, channelTopic, contentDigest, decodeEnvelope, encodeEnvelope, minePow, postId, powDigest, requiredPowBits, validateEnvelope } from '@murmur/protocol'
import type { ValidationResult } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CLOCK_SKEW_EARLY_CHECKS, CLOCK_SKEW_MEMORY, ClockSkewEstimate, ClockWatch } from '../src/clock-skew.js'
import type { ClockSkewDetail } from '../src/index.js'

const NETWORK = 1_800_000_000
const CHANNEL = '#hidden-clocks'
const TOPIC = channelTopic(CHANNEL)
/** Proof-of-work bits the victim asks for: honest posts pay them, junk does not. */
const POW_BITS = { POST: 8, REPLY: 8, VOTE: 8 }

/** `created` of a post made at network time `t` by an honest builder (jitter 0..59 s, then down to the minute). */
const madeAt = (t: number, jitter: number): number => Math.floor((t - jitter) / 60) * 60

/**
 * A clock 600 s ahead hears honest posts every 30 s through three honest groups; `forge`, if given,
 * adds one forged post from the attacker's own group after ten minutes. Returns the estimate ten
 * minutes after the forgery, and after 100 more minutes of honest posts.
 */
function aheadUnderForgery (forge?: (network: number) => number, attackerGroup = 'attacker'): { soon: ClockSkewDetail | undefined, later: ClockSkewDetail | undefined } {
  const ahead = 600
  const estimate = new ClockSkewEstimate()
  let monotonic = 1_000
  let i = 0
  const honest = (): void => {
    monotonic += 30
    i++
    estimate.add(madeAt(NETWORK + monotonic, (i * 7) % 60), NETWORK + monotonic + ahead, monotonic, `honest-${i % 3}`)
  }
  for (let k = 0; k < 20; k++) honest()
  expect(estimate.detail(NETWORK + monotonic + ahead, monotonic)).toMatchObject({ skewed: true })
  if (forge !== undefined) {
    monotonic += 1
    estimate.add(forge(NETWORK + monotonic), NETWORK + monotonic + ahead, monotonic, attackerGroup)
  }
  for (let k = 0; k < 20; k++) honest()
  const soon = estimate.detail(NETWORK + monotonic + ahead, monotonic)
  for (let k = 0; k < 200; k++) honest()
  return { soon, later: estimate.detail(NETWORK + monotonic + ahead, monotonic) }
}

describe('clock skew: forged posts cannot hide a real skew', () => {
  it('one valid post dated 720 s ahead does not clear a real 600 s skew while honest posts keep coming', () => {
    const { soon, later } = aheadUnderForgery((t) => Math.floor((t + 720) / 60) * 60)
    for (const detail of [soon, later]) {
      expect(detail).toMatchObject({ skewed: true })
      expect(Math.abs(detail!.offset - 600)).toBeLessThan(100)
    }
  })

  it('one post dated a day ahead (refused as too early, genuine as of its own time) does not clear it either', () => {
    const { soon, later } = aheadUnderForgery((t) => Math.floor((t + 86_400) / 60) * 60)
    for (const detail of [soon, later]) {
      expect(detail).toMatchObject({ skewed: true })
      expect(Math.abs(detail!.offset - 600)).toBeLessThan(100)
    }
  })

  it('a forged post delivered through an honest group (or with no group known) hides the skew for an hour at most', () => {
    const { soon, later } = aheadUnderForgery((t) => Math.floor((t + 720) / 60) * 60, 'honest-0')
    // one of three groups vouches for the forged post: fewer than half, it is set aside
    expect(soon).toMatchObject({ skewed: true })
    expect(later).toMatchObject({ skewed: true })
    // all posts from one group (no group known): hidden while the forged post is remembered, told again after
    const estimate = new ClockSkewEstimate()
    let monotonic = 0
    for (let k = 0; k < 10; k++) {
      monotonic += 30
      estimate.add(madeAt(NETWORK + monotonic, 20), NETWORK + monotonic + 600, monotonic)
    }
    estimate.add(Math.floor((NETWORK + monotonic + 720) / 60) * 60, NETWORK + monotonic + 600, monotonic)
    const forgedAt = monotonic
    const told: number[] = []
    while (monotonic < forgedAt + 2 * CLOCK_SKEW_MEMORY) {
      monotonic += 30
      estimate.add(madeAt(NETWORK + monotonic, 20), NETWORK + monotonic + 600, monotonic)
      if (estimate.detail(NETWORK + monotonic + 600, monotonic)?.skewed === true) told.push(monotonic - forgedAt)
    }
    expect(told.length).toBeGreaterThan(0)
    expect(told[0]).toBeGreaterThan(0)
    expect(told[0]).toBeLessThanOrEqual(CLOCK_SKEW_MEMORY)
  })

  it('two attacker groups against three honest ones cannot make a right clock refuse to post; three against two can (the stated limit)', () => {
    const run = (honestGroups: number, attackerGroups: number): ClockSkewDetail | undefined => {
      const estimate = new ClockSkewEstimate()
      for (let t = 0; t < 600; t += 10) {
        estimate.add(madeAt(NETWORK + t, (t * 7) % 60), NETWORK + t, t, `honest-${(t / 10) % honestGroups}`)
        // backdated by ten minutes: valid everywhere
        estimate.add(madeAt(NETWORK + t - 600, 0), NETWORK + t, t, `attacker-${(t / 10) % attackerGroups}`)
      }
      return estimate.detail(NETWORK + 600, 600)
    }
    expect(run(3, 2)).toMatchObject({ skewed: false })
    expect(run(3, 50)).toMatchObject({ skewed: false })
    expect(run(1, 1)).toMatchObject({ skewed: false })
    expect(run(2, 2)).toMatchObject({ skewed: false })
    expect(run(2, 3)).toMatchObject({ skewed: true })
  })
})

describe('clock skew: junk refused as too early cannot hide a clock behind', () => {
  /** A clock 600 s behind, with full validation of real envelopes (8 bits of proof of work asked). */
  function behindWatch (): { watch: ClockWatch, changes: ClockSkewDetail[], checks: () => number } {
    const ms = (NETWORK - 600) * 1000
    let checks = 0
    const changes: ClockSkewDetail[] = []
    const watch = new ClockWatch({
      now: () => ms,
      monotonic: () => ms,
      validateAt: (topic, envelope, at) => {
        checks++
        return validateEnvelope(envelope, { topic, powBits: POW_BITS, now: at })
      },
      onChange: (detail) => { changes.push(detail) }
    })
    return { watch, changes, checks: () => checks }
  }
  const observe = (watch: ClockWatch, envelope: Uint8Array, victimSeconds: number, from?: string): ValidationResult => {
    const result = validateEnvelope(envelope, { topic: TOPIC, powBits: POW_BITS, now: victimSeconds })
    watch.observe(TOPIC, envelope, result, from)
    return result
  }

  /** An envelope dated at network time whose signature does not verify, with a proof of work mined over it. */
  async function badSignature (body: string): Promise<Uint8Array> {
    const envelope = decodeEnvelope((await buildEnvelope({ channel: CHANNEL, body, created: NETWORK, powBits: 0 })).bytes)
    const oneTime = envelope.oneTime!
    const signature = oneTime.signature.slice()
    signature[0]! ^= 1
    const id = postId(contentDigest(TOPIC, envelope.post), authBinding(envelope))
    const pow = await minePow(powDigest(id, { oneTime: { signature } }), requiredPowBits('POST', 0, POW_BITS))
    const bytes = encodeEnvelope({ ...envelope, oneTime: { ...oneTime, signature }, pow })
    expect(validateEnvelope(bytes, { topic: TOPIC, powBits: POW_BITS, now: NETWORK })).toMatchObject({ code: 'ERR_BAD_SIGNATURE' })
    return bytes
  }

  it('a thousand junk envelopes without proof of work, from the honest posters\' own group, do not use up the checks', async () => {
    const { watch, changes } = behindWatch()
    const victimNow = NETWORK - 600
    for (let i = 0; i < 1_000; i++) {
      const junk = await buildEnvelope({ channel: CHANNEL, body: `junk ${i}`, created: NETWORK, powBits: 0 })
      observe(watch, junk.bytes, victimNow)
    }
    for (let i = 0; i < 6; i++) {
      const honest = await buildEnvelope({ channel: CHANNEL, body: `honest ${i}`, created: madeAt(NETWORK, 10 * i), powBits: 8 })
      expect(observe(watch, honest.bytes, victimNow)).toMatchObject({ ok: false, code: 'ERR_TOO_EARLY' })
    }
    expect(changes).toHaveLength(1)
    expect(changes[0]!.skewed).toBe(true)
    expect(changes[0]!.offset).toBeLessThan(-480)
  })

  it('junk that paid its proof of work (a bad signature) from the attacker\'s group uses up only that group\'s checks', async () => {
    const { watch, changes, checks } = behindWatch()
    const victimNow = NETWORK - 600
    for (let i = 0; i < 50; i++) observe(watch, await badSignature(`forged ${i}`), victimNow, 'attacker')
    expect(checks()).toBe(CLOCK_SKEW_EARLY_CHECKS)
    for (let i = 0; i < 6; i++) {
      const honest = await buildEnvelope({ channel: CHANNEL, body: `honest ${i}`, created: madeAt(NETWORK, 10 * i), powBits: 8 })
      observe(watch, honest.bytes, victimNow, `honest-${i % 3}`)
    }
    expect(changes).toMatchObject([{ skewed: true }])
    expect(changes[0]!.offset).toBeLessThan(-480)
  })
})
