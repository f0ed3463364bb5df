/**
 * Issue 12 B-M1: members try a rotation's new keys only on frames that arrived since its `created` (the
 * owner's clock, less ROTATION_SCAN_MARGIN), so an owner whose node knows its clock is off must not
 * rotate: `circles.remove` is refused with ClockSkewError, as a post is, and nothing changes.
 */
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#clocks'

describe('a circle owner whose clock is off', () => {
  const { running } = cleanedAfterEach()

  it('cannot rotate (remove) while its node knows its clock disagrees with its peers\'', async () => {
    const start = async (init: Parameters<typeof startNode>[0]): Promise<Murmur> => {
      const node = await startNode({ channels: [CHANNEL], stem: false, membership: false, ...init })
      running.push(node)
      return node
    }
    const honest = await start({})
    const other = await start({ bootstrap: [addressOf(honest)] })
    const ahead = await start({ bootstrap: [addressOf(honest)], clock: () => Date.now() + 10 * 60 * 1000 })
    await ahead.circles.create('club', { minRing: 2 })
    const told = new Promise((resolve) => { ahead.addEventListener('clock-skew', resolve, { once: true }) })
    await waitFor(() => [honest, other, ahead].every((n) => n.libp2p.services.pubsub.getSubscribers(channelTopic(CHANNEL)).length > 0), 'every node to see the channel')
    for (let i = 0; i < 6; i++) {
      await honest.post(CHANNEL, `honest ${i}`)
      await other.post(CHANNEL, `other ${i}`)
    }
    await told
    await expect(ahead.circles.remove('club', 'ab')).rejects.toMatchObject({ name: 'ClockSkewError', code: 'ERR_CLOCK_SKEW' })
    expect(ahead.circles.list()[0]).toMatchObject({ generation: 0, members: 1 })
  }, 60_000)
})
