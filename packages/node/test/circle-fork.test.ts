/**
 * Issue 15: the owner removes X on one device and Y on another at nearly the same time. The two rotations
 * fork the circle; every member follows the one with the smaller digest (`pickRotation`), which kept X
 * (or Y): before, the winner's member stayed in for good. Now an owner's node that sees its rotation lose
 * (or a losing one arrive) removes again, with a new rotation, what the loser removed and the winner kept:
 * the circle converges on a generation without X and without Y, at both devices and at every member.
 * Real nodes on loopback: the members connected to the first device, the second device to a member.
 *
 * S10C 2: posts made on the generation that lost vanished silently from their authors' feeds. Now a
 * member's own post there is shown `forked` (not delivered) and can be posted again in one step; another
 * member's post there is never shown.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CIRCLE_SHARED_TOPIC } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { openCircleStorage } from '../src/platform/node.js'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur, MurmurInit } from '../src/index.js'
import type { StoreDatabase } from '../src/store/index.js'

const CIRCLE = 'club'

/** A copy of what the data directory `from` keeps of the circle, put into the data directory `to`. */
async function copyCircle (from: string, to: string): Promise<void> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as StoreDatabase
  await db.open()
  // the roster of four as kept on disk (a roster changes in memory before it is written)
  const state = await waitFor(async () => (await (await openCircleStorage(from, db)).all()).find((s) => s.name === CIRCLE && s.generations[0]!.joins.length === 4), 'the roster of four on disk')
  await (await openCircleStorage(to, db)).put(state)
  await db.close()
}

describe('two rotations of one generation from two devices of the owner', () => {
  const cleanup = cleanedAfterEach()
  const start = async (init: MurmurInit = {}): Promise<Murmur> => {
    // no stem: frames go straight into gossip (the fork, not the stem, is under test)
    const node = await startNode({ membership: false, stem: false, circles: { newcomerDelay: 0 }, ...init })
    cleanup.running.push(node)
    return node
  }
  const selfKey = async (node: Murmur): Promise<string> => (await node.circles.members(CIRCLE)).find((m) => m.self)!.key
  const keysAt = async (node: Murmur): Promise<string[]> => (await node.circles.members(CIRCLE)).map((m) => m.key).sort()

  const feedOf = async (node: Murmur): Promise<Map<string, string>> => new Map((await node.circles.feed(CIRCLE)).map((p) => [p.body, p.state]))

  it('both removals hold: the circle converges without X and without Y, at both devices and every member; posts on the loser are shown to their authors only, as forked', async () => {
    const ownerDir = await cleanup.tempDir()
    const owner = await start({ dataDir: ownerDir })
    const peer = async (): Promise<Murmur> => await start({ bootstrap: [addressOf(owner)] })
    const [mo, x, y] = await Promise.all([peer(), peer(), peer()])
    // every frame goes out at once once the first device has the others as peers on the shared topic
    await waitFor(() => owner.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length === 3, 'three peers on the shared topic', 30_000)
    await owner.circles.create(CIRCLE, { minRing: 2 })
    await Promise.all([mo, x, y].map(async (node) => await node.circles.join((await owner.circles.invite(CIRCLE)).invite)))
    const all = [owner, mo, x, y]
    await waitFor(async () => (await Promise.all(all.map(keysAt))).every((keys) => keys.length === 4), 'four members on every roster', 30_000)
    const [ownerKey, moKey, xKey, yKey] = await Promise.all(all.map(selfKey))

    // the owner's second device: the same circle and keys, offline while it removes Y
    const secondDir = await cleanup.tempDir()
    await copyCircle(ownerDir, secondDir)
    const second = await start({ dataDir: secondDir })
    expect(await keysAt(second)).toEqual(await keysAt(owner))
    await second.circles.remove(CIRCLE, yKey!)
    await owner.circles.remove(CIRCLE, xKey!)
    expect(second.circles.list()[0]!.generation).toBe(1)
    expect(owner.circles.list()[0]!.generation).toBe(1)
    // a post on each side of the fork: the first device's and a member's on its generation, the second device's on its own
    await waitFor(() => mo.circles.list()[0]!.generation === 1, 'the member on the first device\'s generation', 30_000)
    await owner.circles.post(CIRCLE, 'from the first device')
    await mo.circles.post(CIRCLE, 'from mo')
    await second.circles.post(CIRCLE, 'from the second device')
    await waitFor(async () => (await feedOf(mo)).get('from the first device') === 'shared', 'the first device\'s post at the member', 30_000)
    await second.libp2p.dial(multiaddr(addressOf(mo)))

    const stayed = [ownerKey!, moKey!].sort()
    for (const node of [owner, second, mo]) {
      await waitFor(async () => JSON.stringify(await keysAt(node)) === JSON.stringify(stayed), 'the roster without X and Y', 30_000)
    }
    await waitFor(() => x.circles.list()[0]!.removed === true && y.circles.list()[0]!.removed === true, 'X and Y removed', 30_000)
    // one generation for all: members read what the owner's devices post
    await waitFor(() => new Set([owner, second, mo].map((n) => n.circles.list()[0]!.generation)).size === 1, 'one generation at all', 30_000)
    expect(owner.circles.list()[0]!.generation).toBeGreaterThanOrEqual(2)

    // which rotation won is a digest's draw: the member followed the first device's, and lost its post if that one lost
    const firstLost = (await feedOf(mo)).get('from mo') === 'forked'
    if (firstLost) {
      // its own post on the loser only, never the first device's there
      const atMo = await feedOf(mo)
      expect([atMo.get('from mo'), atMo.get('from the first device')]).toEqual(['forked', undefined])
      // the owner's devices share one member key: the first device's post is its own, the member's is not
      const atOwner = await feedOf(owner)
      expect([atOwner.get('from the first device'), atOwner.get('from mo')]).toEqual(['forked', undefined])
    } else {
      expect((await feedOf(mo)).get('from the first device')).toBe('shared')
      expect((await feedOf(second)).get('from the second device')).toBe('forked')
    }
    // the author of a forked post posts it again in one step: every member reads it, the forked copy is gone
    const [author, body] = firstLost ? [mo, 'from mo'] : [second, 'from the second device']
    const forkedId = (await author.circles.feed(CIRCLE)).find((p) => p.body === body)!.id
    await expect(author.circles.repost(CIRCLE, 'ab'.repeat(32))).rejects.toMatchObject({ code: 'ERR_CIRCLE_POST' })
    let again = await author.circles.repost(CIRCLE, forkedId)
    let reposts = 1
    for (const node of [owner, second, mo]) {
      await waitFor(async () => {
        // both devices may rotate again at once (§6.7: a second fork, of one number): a post made meanwhile may
        // land on its loser, and is shown forked again, and posted again, as a user would
        const lost = (await author.circles.feed(CIRCLE)).find((p) => p.body === body && p.state === 'forked')
        if (lost !== undefined) {
          again = await author.circles.repost(CIRCLE, lost.id)
          reposts++
        }
        return (await node.circles.feed(CIRCLE)).some((p) => p.id === again.id && p.state === 'shared')
      }, `the post made again at every member (${body}, ${reposts} reposts)`, 30_000)
    }
    expect((await author.circles.feed(CIRCLE)).filter((p) => p.body === body).map((p) => p.state)).toEqual(['shared'])
  }, 120_000)
})
