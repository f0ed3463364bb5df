/**
 * A relayed post fluffed here while no member of its channel is reachable waits in the outbox and is
 * stored only once the outbox publishes it, as an own post is; a fluff into a full outbox must not cost a
 * queued one its store (eighteenth read of issue 12, Medium 1: held before the send, one more fluff into a
 * full outbox dropped the oldest held post, which was then published and never stored, where an own post
 * always is: a sync peer told them apart). The real OwnPosts and Outbox, wired as murmur.ts wires them.
 */
import { messageId, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { MAX_OUTBOX } from '../src/constants.js'
import { OwnPosts } from '../src/own-posts.js'
import { Outbox, publishTo, reporting } from '../src/outbound.js'
import { waitFor } from './harness.js'
import type { OwnPostsComponents } from '../src/own-posts.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { ValidEnvelope } from '@murmur/protocol'

const TOPIC = 'topic-of-c'

describe('relayed posts fluffed into the outbox', () => {
  it('are each stored once published, one more fluff into the full outbox refused without dropping a queued one', async () => {
    const now = Date.now()
    let reachable = false
    let heartbeat = (): void => {}
    const pubsub = {
      getSubscribers: () => reachable ? [{ toString: () => 'peer' }] : [],
      publish: async () => ({ recipients: [1] }),
      addEventListener: (_: string, listener: () => void) => { heartbeat = listener },
      removeEventListener: () => {}
    } as unknown as GossipSub
    const log = Object.assign(() => {}, { error: () => {} }) as unknown as OwnPostsComponents['log']
    const valids = new Map<Uint8Array, ValidEnvelope>()
    const stored = new Set<string>()
    const direct = new Outbox({ pubsub, connectionCount: () => 1, release: reporting(publishTo(pubsub), (id) => { void own.landed(id) }), log })
    const intake = {
      validate: (_: string, envelope: Uint8Array) => ({ ok: true, ...valids.get(envelope) }),
      membership: () => undefined,
      accept: async (_: Uint8Array, valid: ValidEnvelope) => { stored.add(toHex(valid.id)) }
    }
    // published posts land here (`own` is read only once the outbox publishes, after it is made)
    const own = new OwnPosts({ intake, direct, inStem: { get: () => undefined }, channelOf: () => 'c', log } as unknown as OwnPostsComponents, { powBits: {}, clock: () => now } as unknown as ConstructorParameters<typeof OwnPosts>[1])
    const fluff = async (i: number): Promise<unknown> => {
      const envelope = Uint8Array.of(1, 2, i >> 8, i & 255)
      valids.set(envelope, { id: messageId(TOPIC, envelope), post: { created: BigInt(Math.floor(now / 1000) - 10), ttl: 7200, channel: 'c' }, auth: { kind: 'one-time' } } as unknown as ValidEnvelope)
      try {
        return (await own.fluff(TOPIC, envelope, undefined)).status
      } catch (err) {
        return (err as { code?: string }).code
      }
    }

    for (let i = 0; i < MAX_OUTBOX; i++) expect(await fluff(i)).toBe('queued')
    expect(stored.size, 'nothing stored while queued').toBe(0)
    expect(await fluff(MAX_OUTBOX), 'one more, into the full outbox').toBe('ERR_OUTBOX_FULL')
    reachable = true
    heartbeat()
    await waitFor(() => direct.queued === 0 && stored.size === MAX_OUTBOX, 'every queued post published and stored', 10_000, 5)
    expect(stored.size).toBe(MAX_OUTBOX)
    direct.stop()
  })
})
