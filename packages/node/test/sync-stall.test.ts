/**
 * One chosen peer cannot stall anti-entropy (review 5, second read, Medium): a stock libp2p peer that
 * speaks /murmur/sync/2.1.0, reads the node's opening and then drips one byte a second (or says nothing)
 * held every anti-entropy round of the node, since a peer it chose and dialed is drawn first and a failed
 * session was retried with the same peer: an honest member's posts never arrived by sync. Now a session
 * with no whole message within the idle timeout is a SyncStalledError, is not retried, and the next
 * round draws another peer first.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../src/index.js'
import { HistorySync, PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS, cleanedAfterEach, waitFor } from './harness.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { SyncInit } from '../src/index.js'
import type { PostStore, StoredPost } from '../src/internal.js'

const CHANNEL = '#sync-stall'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }

async function startPeer (host: string): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [`/ip4/${host}/tcp/0`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

async function storedPost (body: string): Promise<StoredPost> {
  const created = Math.floor(Date.now() / 1000) - 60
  const built = await buildEnvelope({ channel: CHANNEL, body, created, ttl: 3600, powBits: TEST_POW_BITS })
  return { id: built.id, channel: CHANNEL, kind: 'POST', body, vote: 0, created, expires: created + 3600, envelope: built.bytes }
}

interface SyncPeer { libp2p: Libp2p, store: PostStore, sync: HistorySync, stop(): Promise<void> }

/** A libp2p node running HistorySync over a real store, with these channel members, of which `chosen` were dialed by choice. */
async function syncPeer (host: string, held: StoredPost[], init: SyncInit, members: () => PeerId[] = () => [], chosen: (peer: PeerId) => boolean = () => false): Promise<SyncPeer> {
  const libp2p = await startPeer(host)
  const store = createPostStore({ db: await openDatabase(undefined) })
  for (const post of held) expect(await store.put(post)).toBe('stored')
  const intake = new PostIntake({ store, powBits: POW, announce: () => {} })
  const sync = new HistorySync(libp2p, {
    channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
    items: async (channel) => { const items = []; for await (const item of store.ids(channel)) items.push(item); return items },
    envelope: async (id) => (await store.get(id))?.envelope,
    ingest: async (topic, envelope) => intake.ingest(topic, envelope),
    penalise: () => {},
    topics: () => [TOPIC],
    members,
    chosen,
    groupOf: (peer) => peer.toString()
  }, { log: logger('test:sync'), ...init })
  await sync.start()
  return { libp2p, store, sync, stop: async () => { await sync.stop(); await libp2p.stop(); await store.close() } }
}

describe('a stalling sync peer (review 5, second read)', () => {
  const { running } = cleanedAfterEach()

  it.each([
    ['drips one byte a second', true],
    ['never answers', false]
  ])('a chosen peer that %s does not hold anti-entropy: the honest member\'s posts arrive by sync', async (_, drip) => {
    const posts = await Promise.all(Array.from({ length: 5 }, async (_, i) => storedPost(`honest ${i}`)))
    const honest = await syncPeer('127.0.0.2', posts, { interval: 3_600_000 })
    running.push(honest)
    const staller = await startPeer('127.0.0.3')
    running.push(staller)
    let sessions = 0
    await staller.handle(SYNC_PROTOCOL, async (stream) => {
      sessions++
      const lp = lpStream(stream)
      await lp.read().catch(() => undefined)
      // a length prefix announcing 1,000 bytes, then a byte a second: never a whole message
      const bytes = lp.unwrap()
      if (drip) bytes.send(Uint8Array.from([0xe8, 0x07]))
      while (drip && stream.status === 'open') {
        bytes.send(Uint8Array.from([0]))
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
    })
    // the victim chose and dialed the staller (drawn first); the honest member is there too
    let members: PeerId[] = []
    const victim = await syncPeer('127.0.0.1', [], { interval: 1_000, idleTimeout: 2_000, sessionTimeout: 10_000 }, () => members, (peer) => peer.equals(staller.peerId))
    running.push(victim)
    await victim.libp2p.dial(staller.getMultiaddrs()[0]!)
    await victim.libp2p.dial(honest.libp2p.getMultiaddrs()[0]!)
    members = [staller.peerId, honest.libp2p.peerId]
    // before: every round drew the staller, every failed session was retried with it, nothing arrived
    await waitFor(async () => {
      const have = new Set<string>()
      for await (const item of victim.store.ids(CHANNEL)) have.add(toHex(item.id))
      return posts.every((post) => have.has(toHex(post.id)))
    }, 'the honest posts by anti-entropy', 45_000)
    expect(sessions).toBeGreaterThan(0)
  }, 90_000)

  it('a session whose peer drips bytes ends with SyncStalledError within the idle timeout', async () => {
    const staller = await startPeer('127.0.0.3')
    running.push(staller)
    await staller.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      await lp.read().catch(() => undefined)
      const bytes = lp.unwrap()
      bytes.send(Uint8Array.from([0xe8, 0x07]))
      while (stream.status === 'open') {
        bytes.send(Uint8Array.from([0]))
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
    })
    const victim = await syncPeer('127.0.0.1', [], { interval: 3_600_000, idleTimeout: 1_500 })
    running.push(victim)
    await victim.libp2p.dial(staller.getMultiaddrs()[0]!)
    const error = await victim.sync.syncWith(staller.peerId, TOPIC).then(() => undefined, (err: unknown) => err)
    expect(error).toMatchObject({ name: 'SyncStalledError', code: 'ERR_SYNC_STALLED' })
  }, 60_000)
})
