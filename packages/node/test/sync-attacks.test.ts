import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { Reconciler, SyncRange, buildEnvelope, channelTopic, decodeSyncMessage, encodeSyncMessage, toHex } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../src/index.js'
import { SYNC_MAX_ROUND_TRIPS } from '../src/sync/constants.js'
import { HistorySync, PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS, cleanedAfterEach, waitFor } from './harness.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { TCPSocketOptions } from '@libp2p/tcp'
import type { SyncInit } from '../src/index.js'
import type { PostStore, StoredPost } from '../src/internal.js'
import type { SyncMessage } from '@murmur/protocol'

const CHANNEL = '#sync-attack'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const now = (): number => Math.floor(Date.now() / 1000)

/** A plain libp2p node on one loopback address: nothing of Murmur in it unless a test adds it. */
async function startPeer (host = '127.0.0.1'): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [`/ip4/${host}/tcp/0`] },
    connectionManager: { inboundConnectionThreshold: 1_000 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

async function storedPost (body: string): Promise<StoredPost> {
  const created = now() - 60
  const built = await buildEnvelope({ channel: CHANNEL, body, created, ttl: 3600, powBits: TEST_POW_BITS })
  return { id: built.id, channel: CHANNEL, kind: 'POST', body, vote: 0, created, expires: created + 3600, envelope: built.bytes }
}

interface SyncPeer { libp2p: Libp2p, store: PostStore, sync: HistorySync, penalised: string[], stop(): Promise<void> }

/** A libp2p node running the node's own HistorySync over a real store and intake. */
async function syncPeer (held: StoredPost[], init: SyncInit = {}, host = '127.0.0.1', blocked?: (peer: PeerId) => boolean): Promise<SyncPeer> {
  const libp2p = await startPeer(host)
  const store = createPostStore({ db: await openDatabase(undefined) })
  for (const post of held) expect(await store.put(post)).toBe('stored')
  const intake = new PostIntake({ store, powBits: POW, announce: () => {} })
  const penalised: string[] = []
  const sync = new HistorySync(libp2p, {
    channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
    items: async (channel) => { const items = []; for await (const item of store.ids(channel)) items.push(item); return items },
    envelope: async (id) => (await store.get(id))?.envelope,
    ingest: async (topic, envelope) => intake.ingest(topic, envelope),
    penalise: (peer) => { penalised.push(peer.toString()) },
    topics: () => [TOPIC],
    members: () => [],
    ...(blocked === undefined ? {} : { blocked })
  }, { log: logger('test:sync'), interval: 3_600_000, ...init })
  await sync.start()
  return { libp2p, store, sync, penalised, stop: async () => { await sync.stop(); await libp2p.stop(); await store.close() } }
}

/** Every id a store holds in CHANNEL, as hex. */
async function held (store: PostStore): Promise<Set<string>> {
  const out = new Set<string>()
  for await (const item of store.ids(CHANNEL)) out.add(toHex(item.id))
  return out
}

/** Resolves once the other end closes or resets `stream` (or sends something). */
async function streamEnd (stream: Stream): Promise<void> {
  const lp = lpStream(stream)
  await lp.read().catch(() => undefined)
}

describe('history sync under attack (issue 12, Medium 10)', () => {
  const { running } = cleanedAfterEach()

  it('cuts a stream whose first message does not come within the first-message timeout', async () => {
    const responder = await syncPeer([], { firstMessageTimeout: 500 })
    const attacker = await startPeer()
    running.push(responder, attacker)
    const stream = await attacker.dialProtocol(responder.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL)
    let ended = false
    void streamEnd(stream).then(() => { ended = true })
    // the session timeout is 60 s: only the first-message timeout ends the stream within the wait
    await waitFor(() => ended, 'the idle stream to be cut', 15_000)
  })

  it.each([
    ['open streams and never speak', false],
    ['send a first request and then go silent', true]
  ])('an honest peer syncs while 8 sybils on one address hold 2 streams each that %s', async (_, speak) => {
    const posts = await Promise.all(Array.from({ length: 40 }, async (_, i) => storedPost(`honest ${i}`)))
    const responder = await syncPeer(posts)
    running.push(responder)
    const sybils = await Promise.all(Array.from({ length: 8 }, async () => startPeer('127.0.0.1')))
    running.push(...sybils)
    const opening: SyncMessage = { topic: TOPIC, ranges: new Reconciler([], 'initiator').initial(), need: [], envelopes: [], pending: 0 }
    const streams: Stream[] = []
    for (const sybil of sybils) {
      for (let i = 0; i < 2; i++) {
        const stream = await sybil.dialProtocol(responder.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL)
        streams.push(stream)
        if (speak) {
          const lp = lpStream(stream)
          await lp.write(encodeSyncMessage(opening))
          // a reply means the responder took a slot for this stream (or refused it: then it resets)
          await lp.read().then((reply) => decodeSyncMessage(reply.subarray())).catch(() => undefined)
        }
      }
    }
    // the honest peer is on another address; the responder dialled it, as it would a peer it found
    const honest = await syncPeer([], {}, '127.0.0.2')
    running.push(honest)
    await responder.libp2p.dial(honest.libp2p.getMultiaddrs()[0]!)
    await waitFor(() => honest.libp2p.getConnections(responder.libp2p.peerId).length > 0, 'the connection on the honest side')
    const report = await honest.sync.syncWith(responder.libp2p.peerId, TOPIC)
    expect(report.stored).toBe(posts.length)
    expect(await held(honest.store)).toEqual(new Set(posts.map((p) => toHex(p.id))))
    for (const stream of streams) stream.abort(new Error('done'))
  })

  it('stores no envelope it did not ask for, and demotes the peer that pushed it', async () => {
    const wanted = await storedPost('listed and asked for')
    const pushed = await Promise.all([storedPost('never asked 1'), storedPost('never asked 2')])
    const liar = await startPeer()
    running.push(liar)
    let rounds = 0
    await liar.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      decodeSyncMessage((await lp.read()).subarray())
      rounds++
      // round 1: list the wanted id over the whole range, and push two valid posts nobody asked for
      const listing: SyncRange = { upperCreated: 2n ** 64n - 1n, upperId: new Uint8Array(0), mode: SyncRange.Mode.ID_LIST, fingerprint: new Uint8Array(0), count: 0, ids: [wanted.id as Uint8Array<ArrayBuffer>] }
      await lp.write(encodeSyncMessage({ topic: '', ranges: [listing], need: [], envelopes: pushed.map((p) => p.envelope as Uint8Array<ArrayBuffer>), pending: 0 }))
      await streamEnd(stream)
    })
    // the victim holds a post, so its opening fingerprint is not "send me everything" (an empty
    // newcomer's is, and then every valid post of the channel is an answer)
    const own = await storedPost('the victim\'s own')
    const victim = await syncPeer([own])
    running.push(victim)
    await victim.libp2p.dial(liar.getMultiaddrs()[0]!)
    await expect(victim.sync.syncWith(liar.peerId, TOPIC)).rejects.toThrow('not asked for')
    expect(rounds).toBe(1)
    expect(await held(victim.store)).toEqual(new Set([toHex(own.id)]))
    expect(victim.penalised).toEqual([liar.peerId.toString()])
  })

  it(`ends a session a peer keeps going forever with SyncLimitError after ${SYNC_MAX_ROUND_TRIPS} round trips; an honest sync goes on`, async () => {
    const liar = await startPeer()
    running.push(liar)
    let replies = 0
    let cut = false
    await liar.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      try {
        // the guard removed, the liar ends it here, not at the 60 s session timeout: any other error fails the test
        while (replies < 4 * SYNC_MAX_ROUND_TRIPS) {
          decodeSyncMessage((await lp.read()).subarray())
          // every round one small range over everything whose fingerprint never matches, and "more to come":
          // well-formed, far within the range budget, never done
          const range: SyncRange = { upperCreated: 2n ** 64n - 1n, upperId: new Uint8Array(0), mode: SyncRange.Mode.FINGERPRINT, fingerprint: crypto.getRandomValues(new Uint8Array(16)), count: 2, ids: [] }
          await lp.write(encodeSyncMessage({ topic: '', ranges: [range], need: [], envelopes: [], pending: 1 }))
          replies++
        }
        stream.abort(new Error('the liar gave up'))
      } catch {
        cut = true
      }
    })
    const posts = [await storedPost('the victim\'s own')]
    const victim = await syncPeer(posts)
    const honest = await syncPeer([await storedPost('from an honest peer')], {}, '127.0.0.2')
    running.push(victim, honest)
    await victim.libp2p.dial(liar.getMultiaddrs()[0]!)
    await expect(victim.sync.syncWith(liar.peerId, TOPIC)).rejects.toMatchObject({ name: 'SyncLimitError', code: 'ERR_SYNC_LIMIT' })
    expect(replies).toBe(SYNC_MAX_ROUND_TRIPS)
    await waitFor(() => cut, 'the liar\'s stream to be cut')
    // the victim syncs on with an honest peer
    await victim.libp2p.dial(honest.libp2p.getMultiaddrs()[0]!)
    expect((await victim.sync.syncWith(honest.libp2p.peerId, TOPIC)).stored).toBe(1)
    expect((await held(victim.store)).size).toBe(2)
  })

  it('takes what it asked for, but not another post sent in its place', async () => {
    const wanted = await storedPost('asked for')
    const substitute = await storedPost('sent instead')
    const liar = await startPeer()
    running.push(liar)
    await liar.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      decodeSyncMessage((await lp.read()).subarray())
      const listing: SyncRange = { upperCreated: 2n ** 64n - 1n, upperId: new Uint8Array(0), mode: SyncRange.Mode.ID_LIST, fingerprint: new Uint8Array(0), count: 0, ids: [wanted.id as Uint8Array<ArrayBuffer>] }
      await lp.write(encodeSyncMessage({ topic: '', ranges: [listing], need: [], envelopes: [], pending: 0 }))
      const request = decodeSyncMessage((await lp.read()).subarray())
      expect(request.need.map(toHex)).toEqual([toHex(wanted.id)])
      await lp.write(encodeSyncMessage({ topic: '', ranges: [], need: [], envelopes: [wanted.envelope, substitute.envelope] as Array<Uint8Array<ArrayBuffer>>, pending: 0 }))
      await streamEnd(stream)
    })
    const own = await storedPost('the victim\'s own')
    const victim = await syncPeer([own])
    running.push(victim)
    await victim.libp2p.dial(liar.getMultiaddrs()[0]!)
    await expect(victim.sync.syncWith(liar.peerId, TOPIC)).rejects.toThrow('not asked for')
    expect(await held(victim.store)).toEqual(new Set([toHex(own.id), toHex(wanted.id)]))
    expect(victim.penalised).toEqual([liar.peerId.toString()])
  })

  it('holds no session with a blocked peer, either way', async () => {
    const posts = [await storedPost('kept from a blocked peer')]
    const blockedPeers = new Set<string>()
    const responder = await syncPeer(posts, {}, '127.0.0.1', (peer) => blockedPeers.has(peer.toString()))
    const other = await syncPeer([], {}, '127.0.0.1', (peer) => blockedPeers.has(peer.toString()))
    running.push(responder, other)
    await other.libp2p.dial(responder.libp2p.getMultiaddrs()[0]!)
    blockedPeers.add(other.libp2p.peerId.toString())
    // the responder refuses the blocked initiator
    const raw = await other.libp2p.dialProtocol(responder.libp2p.peerId, SYNC_PROTOCOL)
    await streamEnd(raw)
    await expect(other.sync.syncWith(responder.libp2p.peerId, TOPIC)).rejects.toThrow()
    expect(await held(other.store)).toEqual(new Set())
    // and the blocked peer is not asked
    blockedPeers.clear()
    blockedPeers.add(responder.libp2p.peerId.toString())
    expect(await other.sync.maybeSyncWith(responder.libp2p.peerId, TOPIC)).toBeUndefined()
    await expect(other.sync.syncWith(responder.libp2p.peerId, TOPIC)).rejects.toThrow('blocked')
  })

  it('an honest peer gets a slot from sybil addresses that end each session just before the hold cap and open the next', async () => {
    // review finding (issue 12, Medium 10): the cap was per session, so a restarted session was never old enough to yield
    const posts = await Promise.all(Array.from({ length: 5 }, async (_, i) => storedPost(`honest ${i}`)))
    const responder = await syncPeer(posts, { maxResponding: 2, respondingHoldCap: 1_000, dialedReserve: 0 })
    running.push(responder)
    // two hosts: each dials from an address of its own (all of 127.0.0.0/8 reaches 127.0.0.1 on Linux)
    const sybils = await Promise.all(['127.0.0.3', '127.0.0.4'].map(async (host) => {
      // @libp2p/tcp hands dialOpts to net.connect, whose localAddress its type does not list
      const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress: host }
      return createLibp2p({ transports: [tcp({ dialOpts })], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    }))
    running.push(...sybils)
    const opening: SyncMessage = { topic: TOPIC, ranges: new Reconciler([], 'initiator').initial(), need: [], envelopes: [], pending: 0 }
    const controller = new AbortController()
    const held = (sybil: Libp2p): Promise<void> => (async () => {
      while (!controller.signal.aborted) {
        const stream = await sybil.dialProtocol(responder.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL).catch(() => undefined)
        if (stream === undefined) continue
        const lp = lpStream(stream)
        const took = await lp.write(encodeSyncMessage(opening)).then(async () => lp.read()).then(() => true, () => false)
        // a session held 0.8 s, then the next one: no slot ever lives to the 1 s cap
        if (took) await new Promise((resolve) => setTimeout(resolve, 800))
        stream.abort(new Error('next session'))
      }
    })()
    const attacks = sybils.map(held)
    try {
      await waitFor(() => sybils.every((s) => s.getConnections(responder.libp2p.peerId).length > 0), 'the sybils to connect')
      // both slots taken: give the sybils a couple of rounds of restarts first
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      const honest = await syncPeer([], {})
      running.push(honest)
      // the honest peer dials (from 127.0.0.1): to the responder it is an inbound peer like the sybils
      await honest.libp2p.dial(responder.libp2p.getMultiaddrs()[0]!)
      let report
      for (let attempt = 0; attempt < 10 && report === undefined; attempt++) {
        report = await honest.sync.syncWith(responder.libp2p.peerId, TOPIC).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 500))
          return undefined
        })
      }
      expect(report?.stored).toBe(posts.length)
    } finally {
      controller.abort()
      await Promise.all(attacks)
    }
  })
})
