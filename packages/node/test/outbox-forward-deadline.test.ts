/**
 * Eighth read of issue 12, H1, the own-post side: a post queued while no member of its channel could be
 * reached used to leave up to its last second of life; neighbours whose clocks are a little ahead then
 * refused it as expired and charged this node. A queued post now leaves only while every node within the
 * clock tolerance takes it (forwardableUntil), and is dropped as expired after that.
 */
import { logger } from '@libp2p/logger'
import { FORWARD_SLACK, MAX_CLOCK_SKEW } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { Outbox } from '../src/outbound.js'
import type { GossipSub } from '@libp2p/gossipsub'

describe('a queued own post near its expiry', () => {
  it('is dropped as expired, not sent, once less than MAX_CLOCK_SKEW + FORWARD_SLACK of it is left', async () => {
    const reachable = new Set<string>()
    let heartbeat = (): void => {}
    const pubsub = {
      getSubscribers: (topic: string) => reachable.has(topic) ? [{ toString: () => 'peer' }] : [],
      addEventListener: (_type: string, listener: () => void) => { heartbeat = listener },
      removeEventListener: () => {}
    } as unknown as GossipSub
    const released: Uint8Array[] = []
    const dropped: Array<[Uint8Array, string]> = []
    const box = new Outbox({
      pubsub,
      connectionCount: () => 0,
      release: async (topic, envelope) => { if (!reachable.has(topic)) return undefined; released.push(envelope); return { status: 'sent', recipients: 1 } },
      onDropped: (_topic, envelope, reason) => { dropped.push([envelope, reason]) },
      log: logger('murmur:test')
    })
    const now = Math.floor(Date.now() / 1000)
    const late = new Uint8Array([1])
    const fine = new Uint8Array([2])
    // an hour's post that waited 57 minutes (170 s left), and one with a minute more than the margin
    expect(await box.send('a', late, now + MAX_CLOCK_SKEW + FORWARD_SLACK - 10)).toMatchObject({ status: 'queued' })
    expect(await box.send('a', fine, now + MAX_CLOCK_SKEW + FORWARD_SLACK + 60)).toMatchObject({ status: 'queued' })
    reachable.add('a')
    heartbeat()
    await expect.poll(() => released.length).toBe(1)
    expect(released).toEqual([fine])
    expect(dropped).toEqual([[late, 'expired']])
    box.stop()
  })
})
