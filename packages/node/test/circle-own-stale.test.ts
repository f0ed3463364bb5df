/**
 * Issue 15: an own circle post is stored for its author when it is made. Given up as stale (it waited in
 * the outbox past the live epoch window, so every member would refuse it), it stayed in its author's store
 * and feed for good, restarts included, though no member will ever have it. Now it is withdrawn from the
 * store when it is given up. Real nodes on loopback, one injected clock for all of them.
 */
import { CIRCLE_SHARED_TOPIC } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur, MurmurInit } from '../src/index.js'

const HOUR_MS = 3_600_000

describe('an own circle post given up as stale', () => {
  const cleanup = cleanedAfterEach()
  const start = async (init: MurmurInit): Promise<Murmur> => {
    const node = await startNode({ membership: false, circles: { newcomerDelay: 0 }, ...init })
    cleanup.running.push(node)
    return node
  }
  const subscribers = (node: Murmur): number => node.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length
  const ids = async (node: Murmur): Promise<string[]> => (await node.circles.feed('club')).map((p) => p.id)

  it('is gone from its author\'s feed and store once dropped, and a restart does not bring it back', async () => {
    let now = Date.now()
    const clock = (): number => now
    const ownerDir = await cleanup.tempDir()
    const memberDir = await cleanup.tempDir()
    const owner = await start({ clock, dataDir: ownerDir })
    const member = await start({ clock, dataDir: memberDir, bootstrap: [addressOf(owner)] })
    await waitFor(() => subscribers(member) > 0, 'a peer on the shared topic', 30_000)
    await owner.circles.create('club', { minRing: 2 })
    await member.circles.join((await owner.circles.invite('club')).invite)
    await waitFor(async () => (await owner.circles.members('club')).length === 2 && (await member.circles.members('club')).length === 2, 'the roster of two at both', 30_000)
    const kept = await owner.circles.post('club', 'sent while the member was there')
    await waitFor(async () => (await ids(member)).includes(kept.id), 'the first post at the member', 30_000)

    await member.stop()
    await waitFor(() => subscribers(owner) === 0, 'no peer on the shared topic', 30_000)
    const dropped: Array<{ id: string, reason: string }> = []
    owner.addEventListener('dropped', (evt) => { dropped.push({ id: evt.detail.id, reason: evt.detail.reason }) })
    const late = await owner.circles.post('club', 'made offline')
    expect(late.status).toBe('queued')
    // stored for its author when made
    expect(await ids(owner)).toContain(late.id)

    now += 3 * HOUR_MS
    const memberAgain = await start({ clock, dataDir: memberDir, bootstrap: [addressOf(owner)] })
    await waitFor(() => dropped.some((d) => d.id === late.id), 'the stale post reported dropped', 60_000)
    expect(dropped).toEqual([{ id: late.id, reason: 'stale' }])
    expect(await ids(owner)).toEqual([kept.id])
    expect(await owner.get(late.id)).toBeUndefined()

    await owner.stop()
    const ownerAgain = await start({ clock, dataDir: ownerDir, bootstrap: [addressOf(memberAgain)] })
    expect(await ids(ownerAgain)).toEqual([kept.id])
    expect(await ownerAgain.get(late.id)).toBeUndefined()
    // what it posts now still reaches the member: the circle works on, without the stale post
    const fresh = await ownerAgain.circles.post('club', 'after the restart')
    await waitFor(async () => (await ids(memberAgain)).includes(fresh.id), 'the fresh post at the member', 60_000)
    expect(await ids(memberAgain)).not.toContain(late.id)
  }, 180_000)
})
