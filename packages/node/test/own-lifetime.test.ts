/**
 * A node's own posts live an hour, a day or a week, and its votes a day (issue 18): every node reads a
 * post's ttl, so a lifetime of the author's own (5,400 s) would link their posts. The node refuses any
 * other ttl of its own with LifetimeError (ERR_BAD_LIFETIME) before anything is made, kept or sent;
 * the wire still takes any ttl in 3600..604800 from others (docs/PROTOCOL.md §8).
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { TEST_POW_BITS, cleanedAfterEach, nextPost, nodeWithStockPeers, startNode } from './harness.js'

const CHANNEL = '#lifetimes'
const LIFETIME_REFUSED = { name: 'LifetimeError', code: 'ERR_BAD_LIFETIME' }

describe('the lifetime of own posts', () => {
  const cleanup = cleanedAfterEach()

  it('refuses a ttl of the author\'s own (post, reply, vote) before anything is made; takes 1h, 1d, 1w', async () => {
    const node = await startNode({ channels: [CHANNEL] })
    cleanup.running.push(node)
    const events: string[] = []
    for (const type of ['queued', 'released', 'dropped'] as const) node.addEventListener(type, () => { events.push(type) })

    const made = await Promise.all([3_600, 86_400, 604_800].map(async (ttl) => ({ ttl, id: (await node.post(CHANNEL, `for ${ttl} s`, { ttl })).id })))
    const root = made[0]!.id
    for (const bad of [5_400, 60, 86_401, 604_800.5, '3600', Number.NaN, null]) {
      const ttl = bad as number
      await expect(node.post(CHANNEL, 'mine alone', { ttl }), String(bad)).rejects.toMatchObject(LIFETIME_REFUSED)
      await expect(node.reply(root, 'mine alone', { ttl }), String(bad)).rejects.toMatchObject(LIFETIME_REFUSED)
    }
    // a vote lives a day and nothing else: an hour or a week would mark the voter as well
    for (const ttl of [3_600, 604_800, 5_400]) {
      await expect(node.vote(root, 1, { ttl }), String(ttl)).rejects.toMatchObject({ ...LIFETIME_REFUSED, message: expect.stringContaining('a vote lives a day') as string })
    }
    // a day passes the lifetime rule (this node has no member stamp: the vote is refused for that)
    await expect(node.vote(root, 1, { ttl: 86_400 })).rejects.not.toMatchObject(LIFETIME_REFUSED)

    const feed = await node.feed(CHANNEL, { sort: 'new', limit: 100 })
    expect(feed.map((p) => [p.body, p.expires - p.created]).sort()).toEqual(made.map(({ ttl }) => [`for ${ttl} s`, ttl]).sort())
    const replies = (await node.thread(root)).slice(1)
    expect(replies).toEqual([])
    // only the three posts made went to the outbox (queued: the node is alone)
    expect(events).toEqual(made.map(() => 'queued'))
  })

  it('still takes another node\'s post of any ttl the wire allows (a hand-built 5,400 s from a stock peer)', async () => {
    const { node, honest } = await nodeWithStockPeers(cleanup, CHANNEL, channelTopic(CHANNEL))
    const { bytes } = await buildEnvelope({ channel: CHANNEL, body: 'an hour and a half', ttl: 5_400, powBits: TEST_POW_BITS })
    const arrived = nextPost(node, (p) => p.body === 'an hour and a half')
    await honest.services.pubsub.publish(channelTopic(CHANNEL), bytes)
    const post = await arrived
    expect(post.expires - post.created).toBe(5_400)
  })
})
