/**
 * Issue 12, 12b: a node whose clock is minutes off is told so, from the posts of others, before its
 * posts are refused everywhere without a word.
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { ClockSkewEstimate, ClockWatch } from '../src/clock-skew.js'
import type { ClockSkewDetail, Murmur } from '../src/index.js'
import type { ValidationResult } from '@murmur/protocol'

const CHANNEL = '#clocks'
const SKEW_MS = 10 * 60 * 1000

/** The first `clock-skew` event of a node. */
async function skewEvent (node: Murmur): Promise<ClockSkewDetail> {
  return new Promise((resolve) => {
    node.addEventListener('clock-skew', (evt) => { resolve(evt.detail) }, { once: true })
  })
}

describe('clock skew', () => {
  const { running } = cleanedAfterEach()

  it('a node ten minutes ahead or behind learns it from others\' posts, is told, and refuses to post', async () => {
    const honest = await startNode({ channels: [CHANNEL], stem: false })
    running.push(honest)
    const other = await startNode({ channels: [CHANNEL], stem: false, bootstrap: [addressOf(honest)] })
    running.push(other)
    const ahead = await startNode({ channels: [CHANNEL], stem: false, bootstrap: [addressOf(honest)], clock: () => Date.now() + SKEW_MS })
    running.push(ahead)
    const behind = await startNode({ channels: [CHANNEL], stem: false, bootstrap: [addressOf(honest)], clock: () => Date.now() - SKEW_MS })
    running.push(behind)
    const nodes = [honest, other, ahead, behind]
    const aheadTold = skewEvent(ahead)
    const behindTold = skewEvent(behind)
    await waitFor(() => nodes.every((n) => n.libp2p.services.pubsub.getSubscribers(channelTopic(CHANNEL)).length > 0), 'every node to see the channel')
    expect(ahead.clockSkew()).toBeUndefined()

    for (let i = 0; i < 6; i++) {
      await honest.post(CHANNEL, `honest ${i}`)
      await other.post(CHANNEL, `other ${i}`)
    }
    const [toldAhead, toldBehind] = await Promise.all([aheadTold, behindTold])
    expect(toldAhead.skewed).toBe(true)
    expect(toldAhead.offset).toBeGreaterThan(480)
    expect(toldAhead.offset).toBeLessThan(720)
    expect(toldBehind.skewed).toBe(true)
    expect(toldBehind.offset).toBeLessThan(-480)
    expect(toldBehind.offset).toBeGreaterThan(-720)
    expect(ahead.clockSkew()).toBeGreaterThan(120)
    expect(behind.clockSkew()).toBeLessThan(-120)

    for (const skewed of [ahead, behind]) {
      await expect(skewed.post(CHANNEL, 'refused anyway')).rejects.toMatchObject({ name: 'ClockSkewError', code: 'ERR_CLOCK_SKEW' })
      await expect(skewed.post(CHANNEL, 'refused anyway')).rejects.toThrow(/about \d+ s (ahead of|behind) the other nodes/)
    }
    // the honest nodes agree with each other, and keep posting
    const agreed = await waitFor(() => honest.clockSkew(), 'the honest node\'s estimate')
    expect(Math.abs(agreed)).toBeLessThanOrEqual(120)
    await expect(honest.post(CHANNEL, 'still fine')).resolves.toMatchObject({ status: 'sent' })
  }, 120_000)
})

describe('clock skew estimate', () => {
  const start = 1_800_000_000
  /** `created` of a post made at `t` (unix seconds) by an honest builder: jitter 0..59 s, then down to the minute. */
  const madeAt = (t: number, jitter: number): number => Math.floor((t - jitter) / 60) * 60

  it('is unknown until five posts, then bounded by the freshest and the oldest: late, old posts do not move it', () => {
    const estimate = new ClockSkewEstimate()
    const monotonic = 5_000
    for (const jitter of [5, 20, 35, 50]) estimate.add(madeAt(start - 17, jitter), start, monotonic)
    expect(estimate.detail(start, monotonic)).toBeUndefined()
    // two posts that waited hours in an outbox
    estimate.add(start - 7_200, start, monotonic)
    estimate.add(start - 3 * 3_600, start, monotonic)
    estimate.add(madeAt(start - 3, 45), start, monotonic)
    const detail = estimate.detail(start, monotonic)!
    expect(detail.skewed).toBe(false)
    expect(Math.abs(detail.offset)).toBeLessThanOrEqual(60)
    // ten minutes later on both clocks: the same
    expect(estimate.detail(start + 600, monotonic + 600)).toEqual(detail)
    // the wall clock set ten minutes ahead: a jump (or a sleep), so unknown until five new posts
    expect(estimate.detail(start + 1_200, monotonic + 600)).toBeUndefined()
    for (const jitter of [5, 20, 35, 50]) estimate.add(madeAt(start + 600, jitter), start + 1_200, monotonic + 600)
    expect(estimate.detail(start + 1_200, monotonic + 600)).toBeUndefined()
    estimate.add(madeAt(start + 600, 10), start + 1_200, monotonic + 600)
    const ahead = estimate.detail(start + 1_200, monotonic + 600)!
    expect(ahead.skewed).toBe(true)
    expect(Math.abs(ahead.offset - 600)).toBeLessThan(100)
  })

  it('a clock ten minutes ahead is told from five honest posts, one ten minutes behind too', () => {
    for (const skew of [600, -600]) {
      const estimate = new ClockSkewEstimate()
      let monotonic = 100
      for (const jitter of [3, 17, 29, 44, 58]) {
        monotonic += 7
            estimate.add(madeAt(start + monotonic, jitter), start + monotonic + skew, monotonic)
      }
      const detail = estimate.detail(start + monotonic + skew, monotonic)!
      expect(detail.skewed).toBe(true)
      expect(Math.abs(detail.offset - skew)).toBeLessThan(100)
    }
  })

  it('a clock ten minutes behind is not told it is ahead once it has seen fresh posts among others a quarter of an hour late', () => {
    const estimate = new ClockSkewEstimate()
    // valid here: made fifteen minutes before they arrive, they look five minutes old to a clock ten behind
    for (let i = 0; i < 5; i++) estimate.add(madeAt(start + i - 900, 10 * i), start + i - 600, i)
    // alone, they cannot be told from a clock five minutes ahead
    expect(estimate.detail(start + 5 - 600, 5)).toMatchObject({ skewed: true })
    // fresh posts, refused as too early and verified as of their own time, show it is not ahead
    for (let i = 5; i < 10; i++) estimate.add(madeAt(start + i, 10 * i), start + i - 600, i)
    // the late posts hide that the clock is behind (not promised), and nothing says it is ahead
    expect(estimate.detail(start + 10 - 600, 10)).toMatchObject({ skewed: false })
  })

  it('a clock within the accepted skew is not told it is off', () => {
    for (const skew of [-100, -60, 0, 60, 100]) {
      const estimate = new ClockSkewEstimate()
      for (let i = 0; i < 40; i++) estimate.add(madeAt(start + i * 11, (i * 37) % 60), start + i * 11 + skew, i * 11)
      const detail = estimate.detail(start + 440 + skew, 440)!
      expect(detail.skewed).toBe(false)
      expect(Math.abs(detail.offset - skew)).toBeLessThanOrEqual(40)
    }
  })

  it('verifies posts refused as too early at most ten at once and one a second, tells when the clock is behind, and when it is set right', async () => {
    let now = 1_800_000_000_000
    let checks = 0
    const changes: ClockSkewDetail[] = []
    let wall = 0
    const watch = new ClockWatch({
      now: () => now + wall,
      monotonic: () => now,
      validateAt: () => { checks++; return { ok: true } as unknown as ValidationResult },
      onChange: (detail) => { changes.push(detail) }
    })
    const tooEarly = { ok: false, code: 'ERR_TOO_EARLY', reason: 'created 600 s in the future' } as ValidationResult
    const early = (await buildEnvelope({ channel: '#clocks', body: 'x', created: Math.floor(now / 1000) + 600, powBits: 0 })).bytes
    for (let i = 0; i < 50; i++) watch.observe(channelTopic('#clocks'), early, tooEarly)
    expect(checks).toBe(10)
    now += 3_000
    for (let i = 0; i < 50; i++) watch.observe(channelTopic('#clocks'), early, tooEarly)
    expect(checks).toBe(13)
    expect(changes).toHaveLength(1)
    expect(changes[0]!.skewed).toBe(true)
    expect(changes[0]!.offset).toBeLessThan(-480)
    expect(watch.current()).toMatchObject({ skewed: true })
    // the user sets the clock right: seen at once, without waiting for new posts
    wall = 600_000
    expect(watch.current()).toMatchObject({ skewed: false })
    expect(changes).toHaveLength(2)
    expect(Math.abs(changes[1]!.offset)).toBeLessThanOrEqual(120)
  })
})
