/**
 * Mutes and filters stay on the device (issue 18: "muting and filters (local only)"), checked as the
 * network sees the node: a stock peer publishes, another stock peer watches what the node hands on. Before
 * and after the user mutes a thread and filters a word (kept in the data dir, applied by the CLI's and the
 * chat's reads, which then hide those posts), the node relays every post to the watcher, and a node that
 * comes later gets them all from it; it announces no subscription change and sends nothing of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlClient, createControlServer } from '@murmur/cli'
import { shownFeed } from '@murmur/node'
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { ChatReader } from '../packages/cli/src/chat/reader.ts'
import { readFilters, updateFilters } from '../packages/cli/src/filter-file.ts'
import { TEST_UNVERIFIED_POW_BITS, addressOf, collectMessages, joinedStock, startNode, startStockPeer, waitFor } from '../packages/node/test/harness.ts'
import type { ControlServer } from '@murmur/cli'
import type { Murmur } from '@murmur/node'

const CHANNEL = '#lobby'
const TOPIC = channelTopic(CHANNEL)

describe('mutes and filters on the wire', () => {
  const running: Array<{ stop(): Promise<void> | void }> = []
  let api: ControlServer | undefined
  let dataDir = ''

  afterAll(async () => {
    await api?.close()
    await Promise.all(running.map(async (r) => { await r.stop() }))
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true })
  })

  it('a muting node relays and serves what it hides, and shows its peers no change', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-mute-wire-'))
    const node: Murmur = await startNode({ channels: [CHANNEL] })
    const publisher = await startStockPeer()
    const watcher = await startStockPeer()
    running.push(node, publisher, watcher)
    // what the node tells the watcher of its subscriptions, from the first connection on
    const changes: string[] = []
    watcher.services.pubsub.addEventListener('subscription-change', (evt) => {
      if (evt.detail.peerId.equals(node.peerId)) changes.push(...evt.detail.subscriptions.map((s) => `${s.subscribe ? '+' : '-'}${s.topic}`))
    })
    await joinedStock(node, publisher, TOPIC)
    await joinedStock(node, watcher, TOPIC)
    const relayed = collectMessages(watcher, TOPIC)
    const publish = async (options: { body: string, kind?: 'REPLY', parent?: Uint8Array }): Promise<string> => {
      const built = await buildEnvelope({ channel: CHANNEL, powBits: TEST_UNVERIFIED_POW_BITS, ...options })
      await publisher.services.pubsub.publish(TOPIC, built.bytes)
      const id = toHex(built.id)
      await waitFor(() => relayed.some((m) => toHex(m.data) === toHex(built.bytes)), `the node relays ${options.body}`)
      return id
    }
    api = await createControlServer({ node, port: 0 })
    const client = new ControlClient({ ...api.address, token: api.token })

    // before: a post, relayed
    const first = await publish({ body: 'a thread about to be muted' })
    const firstRaw = Uint8Array.from(Buffer.from(first, 'hex'))
    const before = [...changes]

    // the user mutes its thread (the chat's /mute thread) and filters a word (murmur filter word)
    await new ChatReader(dataDir).mute(await client.get(first), 'thread')
    await updateFilters(dataDir, (f) => ({ ...f, words: [...f.words, 'pineapple'] }))

    // after: a reply in the muted thread and a post with the filtered word, both relayed as the first was
    const reply = await publish({ body: 'a reply in the muted thread', kind: 'REPLY', parent: firstRaw })
    const word = await publish({ body: 'pineapple on pizza' })
    await waitFor(async () => (await client.get(word).catch(() => undefined)) !== undefined, 'the node stores the filtered post')
    // the reads hide them (`murmur feed`'s and the chat's read: @murmur/node's shownFeed): the mutes are in effect
    const { posts, hidden } = await shownFeed(async (o) => await client.feed(CHANNEL, o), { sort: 'new', limit: 20, filters: await readFilters(dataDir) })
    expect(posts.map((p) => p.id)).not.toContain(word)
    expect(posts.map((p) => p.id)).not.toContain(first)
    expect(hidden).toBe(2)

    // a node that comes later gets every one of them from the muting node, its only peer
    const later = await startNode({ channels: [CHANNEL], bootstrap: [addressOf(node)] })
    running.push(later)
    for (const id of [first, reply, word]) {
      await waitFor(async () => (await later.get(id)) !== undefined, `the later node gets ${id} from the muting node`, 60_000)
    }
    // the node announced no subscription change and sent the watcher nothing but the publisher's posts
    expect(changes).toEqual(before)
    expect(changes).toContain(`+${TOPIC}`)
    expect(relayed).toHaveLength(3)
  }, 180_000)
})
