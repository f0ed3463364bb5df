/**
 * Issue 13, thread pseudonyms of members on real nodes: a member's ring-signed posts and replies carry a
 * thread tag, the same for one member's posts in one thread, so on another node the member's reply in its
 * own thread is marked OP with the root's pseudonym, another member's reply there is not, and the member's
 * pseudonym in another thread is another one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stopAll, waitFor } from './harness.js'
import { startMembers } from './member-fixtures.js'
import type { Murmur, PostView } from '../src/index.js'

const CHANNEL = '#ring-thread'

describe('thread pseudonyms of ring-signed posts', () => {
  let alice: Murmur
  let bob: Murmur

  beforeAll(async () => {
    [alice, bob] = await startMembers(2, { init: { channels: [CHANNEL] } }) as [Murmur, Murmur]
  }, 240_000)

  afterAll(async () => {
    await stopAll([alice, bob].filter((node) => node !== undefined))
  })

  const viewOn = async (node: Murmur, id: string): Promise<PostView> =>
    await waitFor(async () => await node.get(id), `post ${id.slice(0, 8)} on the other node`, 60_000)

  it("a member's reply in its own thread is OP with the root's pseudonym on another node; another member's is not", async () => {
    const root = await alice.post(CHANNEL, 'my ring-signed thread')
    expect(root.ring).toBeGreaterThanOrEqual(2)
    const rootOnBob = await viewOn(bob, root.id)
    expect(rootOnBob).toMatchObject({ member: true, op: true })
    expect(rootOnBob.pseudonym).toMatch(/^[0-9a-f]{64}$/)

    const own = await alice.reply(root.id, 'OP here')
    expect(own.ring).toBeGreaterThanOrEqual(2)
    const ownOnBob = await viewOn(bob, own.id)
    expect(ownOnBob).toMatchObject({ member: true, op: true, pseudonym: rootOnBob.pseudonym })
    // a reply to a reply names the same thread
    const other = await bob.reply(own.id, 'not the OP')
    expect(other.ring).toBeGreaterThanOrEqual(2)
    await viewOn(alice, other.id)
    const ownAgain = await alice.reply(other.id, 'OP again')
    const ownAgainOnBob = await viewOn(bob, ownAgain.id)
    expect(ownAgainOnBob).toMatchObject({ op: true, pseudonym: rootOnBob.pseudonym })
    const otherOnAlice = await viewOn(alice, other.id)
    expect(otherOnAlice.member).toBe(true)
    expect(otherOnAlice.op).toBe(false)
    expect(otherOnAlice.pseudonym).toMatch(/^[0-9a-f]{64}$/)
    expect(otherOnAlice.pseudonym).not.toBe(rootOnBob.pseudonym)

    // the thread as each node reads it: the same marks everywhere
    for (const node of [alice, bob]) {
      const thread = await waitFor(async () => {
        const views = await node.thread(root.id)
        return views.length === 4 ? views : undefined
      }, 'the whole thread on both nodes', 60_000)
      const byId = new Map(thread.map((view) => [view.id, view]))
      expect([root.id, own.id, other.id, ownAgain.id].map((id) => byId.get(id)?.op)).toEqual([true, true, false, true])
    }
  }, 180_000)

  it("a member's pseudonym in another thread is another one", async () => {
    const first = await alice.post(CHANNEL, 'thread one')
    const second = await alice.post(CHANNEL, 'thread two')
    const [one, two] = await Promise.all([viewOn(bob, first.id), viewOn(bob, second.id)])
    expect(one.pseudonym).toBeDefined()
    expect(two.pseudonym).toBeDefined()
    expect(one.pseudonym).not.toBe(two.pseudonym)
  }, 120_000)
})
