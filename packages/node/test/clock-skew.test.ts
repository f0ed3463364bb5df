/**
 * Issue 12, 12b: a node whose clock is minutes off is told so, from the posts of others, before its
 * posts are refused everywhere without a word.
 */
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { ClockSkewDetail, Murmur } from '../src/index.js'

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
