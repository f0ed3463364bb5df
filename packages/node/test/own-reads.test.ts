/**
 * Own posts are kept out of the post store until a copy comes back from the network (a timing oracle
 * otherwise, see own-timing.test.ts). Their author must not notice: a node with no peer at all (every
 * post queued) shows its own posts at once in its feed, thread and get, counts its own votes and
 * replies, marks its own replies OP, and keeps all of it across a restart.
 */
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, startNode } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#own-reads'

/** What the author reads of its thread: bodies, OP marks, the root's tallies. */
async function seen (node: Murmur, root: string): Promise<unknown> {
  const feed = await node.feed(CHANNEL)
  const thread = await node.thread(root)
  const post = await node.get(root)
  return {
    feed: feed.map((view) => [view.body, view.score, view.replies]),
    // the root first, then its replies in (created, id) order: made in the same minute, by id, so sorted here
    thread: [...thread.slice(0, 1), ...thread.slice(1).sort((a, b) => a.body.localeCompare(b.body))].map((view) => [view.body, view.op]),
    root: [post?.score, post?.replies]
  }
}

describe('own posts not yet back from the network', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('are read by their author at once, with own votes and replies counted, also after a restart', async () => {
    const dataDir = await tempDir()
    let node = await startNode({ dataDir, channels: [CHANNEL], sync: false })
    running.push(node)
    const announced: string[] = []
    node.addEventListener('post', (evt) => { announced.push(evt.detail.body) })
    const first = await node.post(CHANNEL, 'first')
    const root = await node.post(CHANNEL, 'root')
    expect(root.status).toBe('queued')
    const reply = await node.reply(root.id, 'my reply')
    await node.reply(reply.id, 'a reply to my reply')
    await node.vote(root.id, 1)
    await node.vote(first.id, -1)
    // each announced once, when made
    expect(announced).toEqual(['first', 'root', 'my reply', 'a reply to my reply', '', ''])
    const expected = {
      feed: [['root', 1, 2], ['first', -1, 0]],
      thread: [['root', true], ['a reply to my reply', true], ['my reply', true]],
      root: [1, 2]
    }
    // posts made in the same second: the feed's order is (created, id), so compare it as a set
    const read = await seen(node, root.id) as typeof expected
    expect(new Set(read.feed.map((row) => JSON.stringify(row)))).toEqual(new Set(expected.feed.map((row) => JSON.stringify(row))))
    expect({ ...read, feed: undefined }).toEqual({ ...expected, feed: undefined })
    expect((await node.get(reply.id))?.replies).toBe(1)

    await node.stop()
    node = await startNode({ dataDir, channels: [CHANNEL], sync: false })
    running.push(node)
    const again = await seen(node, root.id) as typeof expected
    expect({ ...again, feed: undefined }).toEqual({ ...expected, feed: undefined })
    expect(again.feed.length).toBe(2)
  }, 120_000)
})
