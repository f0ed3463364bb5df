import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, decodeSyncMessage, encodeSyncMessage, oneTimeKey, signOneTime, decodeEnvelope, encodeEnvelope, toHex, validateEnvelope } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../src/index.js'
import { createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS, addressOf, startNode, startStockPeer, waitFor, cleanedAfterEach } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { StoredPost } from '../src/internal.js'

const CHANNEL = '#sync'
const TOPIC = channelTopic(CHANNEL)
const now = (): number => Math.floor(Date.now() / 1000)

/** A valid envelope of CHANNEL, as the store keeps it. */
async function storedPost (body: string, created: number, ttl: number, channel = CHANNEL): Promise<StoredPost> {
  const built = await buildEnvelope({ channel, body, created, ttl, powBits: TEST_POW_BITS })
  return { id: built.id, channel, kind: 'POST', body, vote: 0, created, expires: created + ttl, envelope: built.bytes }
}

/** Ids of every post a node holds in CHANNEL. */
async function idsOf (node: Murmur): Promise<Set<string>> {
  return new Set((await node.feed(CHANNEL, { limit: 10_000 })).map((p) => p.id))
}

describe('history sync', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a newcomer gets exactly the unexpired posts of a channel, each validated', async () => {
    const dir = await tempDir()
    const store = createPostStore({ db: await openDatabase(dir) })
    const t = now()
    const live: StoredPost[] = []
    for (let i = 0; i < 250; i++) live.push(await storedPost(`live ${i}`, t - 600 + i, 3600))
    for (const post of live) expect(await store.put(post, t)).toBe('stored')
    // 50 posts that were alive when stored and have expired since
    for (let i = 0; i < 50; i++) {
      const old = await storedPost(`expired ${i}`, t - 7200 + i, 3600)
      expect(await store.put(old, old.created)).toBe('stored')
    }
    await store.close()

    const a = await startNode({ dataDir: dir, channels: [CHANNEL] })
    running.push(a)
    const b = await startNode({ bootstrap: [addressOf(a)] })
    running.push(b)
    await b.join(CHANNEL)
    const expected = new Set(live.map((p) => toHex(p.id)))
    const got = await waitFor(async () => { const ids = await idsOf(b); return ids.size >= expected.size && ids }, 'the newcomer to catch up')
    expect(got).toEqual(expected)
    // nothing expired arrived, and everything B holds is a valid envelope of this channel
    for (const view of await b.feed(CHANNEL, { limit: 10_000 })) {
      expect(view.body.startsWith('live ')).toBe(true)
    }
  })

  it('heals a partition: after reconnecting every node has the union', async () => {
    const sync = { interval: 500 }
    const a = await startNode({ channels: [CHANNEL], sync })
    const b = await startNode({ channels: [CHANNEL], sync, bootstrap: [addressOf(a)] })
    const c = await startNode({ channels: [CHANNEL], sync })
    const d = await startNode({ channels: [CHANNEL], sync, bootstrap: [addressOf(c)] })
    running.push(a, b, c, d)
    await waitFor(() => [a, b, c, d].every((n) => n.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0), 'both halves meshed')
    const posted: string[] = []
    for (const [node, name] of [[a, 'a'], [b, 'b'], [c, 'c'], [d, 'd']] as const) {
      for (let i = 0; i < 3; i++) posted.push((await node.post(CHANNEL, `${name} ${i}`)).id)
    }
    // each half has its own posts only
    await waitFor(async () => (await idsOf(b)).size === 6 && (await idsOf(d)).size === 6, 'each half to share its posts')
    expect((await idsOf(a)).has(posted[6]!)).toBe(false)

    await b.libp2p.dial(c.getMultiaddrs()[0]!)
    for (const node of [a, b, c, d]) {
      await waitFor(async () => (await idsOf(node)).size === posted.length, 'every node to hold the union')
    }
    expect(await idsOf(a)).toEqual(new Set(posted))
  })

  it('a lying peer gets nothing stored and is demoted; honest sync still completes', async () => {
    const honest = await startNode({ channels: [CHANNEL] })
    running.push(honest)
    const truth = await honest.post(CHANNEL, 'the honest post')

    const forged = decodeEnvelope((await buildEnvelope({ channel: CHANNEL, body: 'forged', powBits: TEST_POW_BITS })).bytes)
    forged.oneTime!.signature = signOneTime(new Uint8Array(32), oneTimeKey().secretKey) as Uint8Array<ArrayBuffer>
    const lies = [
      encodeEnvelope(forged),
      (await buildEnvelope({ channel: CHANNEL, body: 'long gone', created: now() - 7200, ttl: 3600, powBits: TEST_POW_BITS })).bytes,
      (await buildEnvelope({ channel: '#elsewhere', body: 'wrong channel', powBits: TEST_POW_BITS })).bytes
    ]
    expect(lies.map((bytes) => validateEnvelope(bytes, { topic: TOPIC, powBits: { POST: TEST_POW_BITS } }).ok)).toEqual([false, false, false])
    const liar = await startStockPeer()
    running.push(liar)
    let asked = 0
    await liar.handle(SYNC_PROTOCOL, async (stream) => {
      asked++
      const lp = lpStream(stream)
      decodeSyncMessage((await lp.read()).subarray())
      await lp.write(encodeSyncMessage({ topic: '', ranges: [], need: [], envelopes: lies as Array<Uint8Array<ArrayBuffer>>, pending: 0 }))
      await stream.close()
    })
    liar.services.pubsub.subscribe(TOPIC)

    const newcomer = await startNode({ bootstrap: [addressOf(honest), addressOf(liar)] })
    running.push(newcomer)
    await waitFor(() => newcomer.peerCount() >= 2, 'connections to both')
    await newcomer.join(CHANNEL)
    await waitFor(async () => (await newcomer.get(truth.id)) !== undefined, 'the honest post')
    const scores = newcomer.libp2p.services.pubsub as unknown as { getScore(id: string): number }
    await waitFor(() => scores.getScore(liar.peerId.toString()) < 0, 'the liar to be demoted')
    expect([...await idsOf(newcomer)]).toEqual([truth.id])
    // demoted: not asked again for a while
    const times = asked
    expect(times).toBeGreaterThan(0)
    expect(await newcomer.syncChannel(CHANNEL, { peers: 5 })).toBe(0)
    expect(asked).toBe(times)
  })

  it('a node with a dataDir catches up on restart', async () => {
    const dir = await tempDir()
    const a = await startNode({ channels: [CHANNEL] })
    running.push(a)
    let b = await startNode({ dataDir: dir, channels: [CHANNEL], bootstrap: [addressOf(a)] })
    running.push(b)
    await waitFor(() => b.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0, 'b meshed')
    const before = await a.post(CHANNEL, 'before the restart')
    await waitFor(async () => (await b.get(before.id)) !== undefined, 'b to get the first post')
    await b.stop()

    const missed: string[] = []
    for (let i = 0; i < 5; i++) missed.push((await a.post(CHANNEL, `while b was away ${i}`)).id)
    b = await startNode({ dataDir: dir, channels: [CHANNEL], bootstrap: [addressOf(a)] })
    running.push(b)
    await waitFor(async () => (await idsOf(b)).size === 6, 'b to catch up')
    expect(await idsOf(b)).toEqual(new Set([before.id, ...missed]))
  })
})
