import { logger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { MAX_OUTBOX } from '../src/constants.js'
import { Outbox } from '../src/outbound.js'
import type { GossipSub } from '@libp2p/gossipsub'

const ENVELOPE = new Uint8Array([1])
const LATER = Math.floor(Date.now() / 1000) + 3600

/** An outbox over a stand-in for gossipsub whose reachable topics the test sets. */
function outbox (): { box: Outbox, reachable: Set<string> } {
  const reachable = new Set<string>()
  const pubsub = {
    getSubscribers: (topic: string) => reachable.has(topic) ? [{ toString: () => 'peer' }] : [],
    addEventListener: () => {},
    removeEventListener: () => {}
  } as unknown as GossipSub
  const box = new Outbox({
    pubsub,
    connectionCount: () => 1,
    release: async (topic) => reachable.has(topic) ? { status: 'sent', recipients: 1 } : undefined,
    log: logger('murmur:test')
  })
  return { box, reachable }
}

describe('outbox rooms', () => {
  it('refuses a reservation when the queued posts and held rooms fill the outbox; a cancelled room is given back', async () => {
    const { box } = outbox()
    for (let i = 0; i < MAX_OUTBOX - 1; i++) await box.send('a', ENVELOPE, LATER)
    const last = box.reserve('a')
    expect(() => box.reserve('a')).toThrow(expect.objectContaining({ name: 'OutboxFullError' }))
    await expect(box.send('a', ENVELOPE, LATER)).rejects.toMatchObject({ name: 'OutboxFullError' })
    last.cancel()
    last.cancel() // twice gives back one room, not two
    const again = box.reserve('a')
    expect(await again.send(ENVELOPE, LATER)).toMatchObject({ status: 'queued' })
    expect(box.queued).toBe(MAX_OUTBOX)
    expect(() => box.reserve('a')).toThrow(expect.objectContaining({ name: 'OutboxFullError' }))
  })

  it('holds no room for a post that can leave now, and still queues it if its channel goes quiet before it is sent', async () => {
    const { box, reachable } = outbox()
    for (let i = 0; i < MAX_OUTBOX; i++) await box.send('a', ENVELOPE, LATER)
    reachable.add('b')
    const rooms = Array.from({ length: 3 }, () => box.reserve('b'))
    expect(await rooms[0]!.send(ENVELOPE, LATER)).toMatchObject({ status: 'sent' })
    reachable.delete('b')
    // reserved while it could leave, so it is never refused after the caller stored it
    expect(await rooms[1]!.send(ENVELOPE, LATER)).toMatchObject({ status: 'queued', reason: 'no-subscribers' })
    rooms[2]!.cancel()
    expect(box.queued).toBe(MAX_OUTBOX + 1)
  })
})
