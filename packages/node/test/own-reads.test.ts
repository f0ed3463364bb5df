/**
 * Own posts are kept out of the post store until a copy comes back from the network (a timing oracle
 * otherwise, see own-timing.test.ts). Their author must not notice: a node with no peer (every post
 * queued) shows its own posts at once in its feed, thread and get, counts its own replies, marks its own
 * replies OP, and keeps all of it across a restart. A member's node that lost its only peer counts its own
 * (ring-signed) votes as well; a node that never had a peer cannot vote: its stamp never came back.
 */
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, startNode, waitFor } from './harness.js'
import { startMembers } from './member-fixtures.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#own-reads'

/** What the author reads of its thread: bodies, OP marks, the root's tallies. */
interface Seen {
  feed: Array<[string, number, number]>
  thread: Array<[string, boolean]>
  root: [number | undefined, number | undefined]
}

async function seen (node: Murmur, root: string): Promise<Seen> {
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

/** Posts `first`, `root`, a reply and a reply to it; votes +1 on the root and -1 on `first` unless `vote` is false. */
async function converse (node: Murmur, vote: boolean): Promise<{ first: string, root: string, reply: string }> {
  const first = await node.post(CHANNEL, 'first')
  const root = await node.post(CHANNEL, 'root')
  expect(root.status).toBe('queued')
  const reply = await node.reply(root.id, 'my reply')
  await node.reply(reply.id, 'a reply to my reply')
  if (vote) {
    await node.vote(root.id, 1)
    await node.vote(first.id, -1)
  }
  return { first: first.id, root: root.id, reply: reply.id }
}

/** Asserts what the author reads: the feed as a set (posts made in the same second sort by id), the rest as is. */
async function expectSeen (node: Murmur, root: string, expected: Seen): Promise<void> {
  const read = await seen(node, root)
  expect(new Set(read.feed.map((row) => JSON.stringify(row)))).toEqual(new Set(expected.feed.map((row) => JSON.stringify(row))))
  expect({ ...read, feed: undefined }).toEqual({ ...expected, feed: undefined })
}

describe('own posts not yet back from the network', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('are read by their author at once, own replies counted and marked OP, also after a restart; a vote is refused', async () => {
    const dataDir = await tempDir()
    let node = await startNode({ dataDir, channels: [CHANNEL], sync: false })
    running.push(node)
    await waitFor(() => node.membership()?.stamp, 'the node to hold its stamp', 90_000)
    const announced: string[] = []
    node.addEventListener('post', (evt) => { announced.push(evt.detail.body) })
    const { root, reply } = await converse(node, false)
    // its stamp never came back from the network (no peer): no other directory holds it, so no vote
    await expect(node.vote(root, 1)).rejects.toMatchObject({ name: 'StampNotReadyError', code: 'ERR_STAMP_NOT_READY' })
    expect(node.membership()?.signing).toBe(false)
    // each announced once, when made
    expect(announced).toEqual(['first', 'root', 'my reply', 'a reply to my reply'])
    const expected: Seen = {
      feed: [['root', 0, 2], ['first', 0, 0]],
      thread: [['root', true], ['a reply to my reply', true], ['my reply', true]],
      root: [0, 2]
    }
    await expectSeen(node, root, expected)
    expect((await node.get(reply))?.replies).toBe(1)

    await node.stop()
    node = await startNode({ dataDir, channels: [CHANNEL], sync: false })
    running.push(node)
    await expectSeen(node, root, expected)
  }, 180_000)

  it('are read by a member that lost its peer at once, with its own votes counted, also after a restart', async () => {
    const dataDir = await tempDir()
    // a member (its stamp out, another member known), then alone: everything it makes stays queued
    const [member, other] = await startMembers(2, { init: { channels: [CHANNEL], sync: false }, each: (i) => i === 0 ? { dataDir } : {} }) as [Murmur, Murmur]
    let node = member
    running.push(node, other)
    await other.stop()
    await waitFor(() => node.libp2p.getConnections().length === 0, 'the member to have no peer left')
    const announced: string[] = []
    node.addEventListener('post', (evt) => { announced.push(evt.detail.body) })
    const { root, reply } = await converse(node, true)
    expect(announced).toEqual(['first', 'root', 'my reply', 'a reply to my reply', '', ''])
    const expected: Seen = {
      feed: [['root', 1, 2], ['first', -1, 0]],
      // ring-signed replies carry their author's thread tag (PROTOCOL.md §4): the author's are marked OP
      thread: [['root', true], ['a reply to my reply', true], ['my reply', true]],
      root: [1, 2]
    }
    await expectSeen(node, root, expected)
    expect((await node.get(reply))?.replies).toBe(1)
    expect((await node.get(root))?.member).toBe(true)

    await node.stop()
    node = await startNode({ dataDir, channels: [CHANNEL], sync: false })
    running.push(node)
    await expectSeen(node, root, expected)
    expect(node.membership()?.signing).toBe(true)
  }, 300_000)
})
