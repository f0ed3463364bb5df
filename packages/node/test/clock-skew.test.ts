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
  it('is unknown until five samples, then their median: late, old posts do not move it', () => {
    const estimate = new ClockSkewEstimate()
    const now = 1_800_000_000
    const monotonic = 5_000
    // posts made just now by clocks that agree: created 0..119 s before, 60 s on average
    for (const lag of [30, 60, 90, 100]) estimate.add(now - lag, monotonic)
    expect(estimate.offset(now, monotonic)).toBeUndefined()
    // two posts that waited hours in an outbox
    estimate.add(now - 7_200, monotonic)
    estimate.add(now - 3 * 3_600, monotonic)
    estimate.add(now - 45, monotonic)
    expect(Math.abs(estimate.offset(now, monotonic)!)).toBeLessThanOrEqual(60)
    // ten minutes later on both clocks: the same; the wall clock set ten minutes ahead: +600
    expect(Math.abs(estimate.offset(now + 600, monotonic + 600)!)).toBeLessThanOrEqual(60)
    expect(estimate.offset(now + 1_200, monotonic + 600)! - estimate.offset(now, monotonic)!).toBe(600)
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
