/**
 * A member's own circle posts over time and restarts (issue 15): a post or vote made while no peer was
 * there waits in the outbox. Released more than an hour later, its epoch is out of every member's live
 * window (ERR_STALE_EPOCH) and it was lost in silence; now a vote is signed again for now and arrives, and
 * a post is given up with a `dropped` event (reason 'stale'), as for a public channel's own posts. A node
 * stopped while a frame waits sent nothing after its restart although its author's store showed the post;
 * now the frame is kept on disk until it leaves, and sent after the restart. Real nodes on loopback, one
 * injected clock for all of them.
 */
import { CIRCLE_SHARED_TOPIC } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur, MurmurInit } from '../src/index.js'

const HOUR_MS = 3_600_000

describe('own circle posts over time and restarts', () => {
  const cleanup = cleanedAfterEach()
  const start = async (init: MurmurInit): Promise<Murmur> => {
    const node = await startNode({ membership: false, circles: { newcomerDelay: 0 }, ...init })
    cleanup.running.push(node)
    return node
  }
  const peered = async (node: Murmur): Promise<void> => {
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length > 0, 'a peer on the shared topic', 30_000)
  }
  const alone = async (node: Murmur): Promise<void> => {
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length === 0, 'no peer on the shared topic', 30_000)
  }

  /** An owner and a member of circle 'club' (minimum ring 2) on one clock, the member's data kept in `memberDir`. */
  const circleOfTwo = async (clock: () => number, ownerDir?: string): Promise<{ owner: Murmur, member: Murmur, memberDir: string }> => {
    const memberDir = await cleanup.tempDir()
    const owner = await start({ clock, ...(ownerDir === undefined ? {} : { dataDir: ownerDir }) })
    const member = await start({ clock, dataDir: memberDir, bootstrap: [addressOf(owner)] })
    await peered(member)
    await owner.circles.create('club', { minRing: 2 })
    await member.circles.join((await owner.circles.invite('club')).invite)
    await waitFor(async () => (await owner.circles.members('club')).length === 2 && (await member.circles.members('club')).length === 2, 'the roster of two at both', 30_000)
    return { owner, member, memberDir }
  }

  it('a post or reply whose lifetime is not 1h, 1d or 1w is refused before anything is made', async () => {
    const owner = await start({})
    await owner.circles.create('club', { minRing: 2 })
    // refused for its lifetime, although the ring (the owner alone) is below the minimum too
    await expect(owner.circles.post('club', 'odd lifetime', { ttl: 5400 })).rejects.toMatchObject({ code: 'ERR_BAD_LIFETIME' })
    await expect(owner.circles.post('club', 'a day', { ttl: 86_400 })).rejects.toMatchObject({ code: 'ERR_CIRCLE_RING' })
  })

  it('a vote released hours after it was made is signed again and counted; a post is dropped as stale', async () => {
    let now = Date.now()
    const clock = (): number => now
    const { owner, member, memberDir } = await circleOfTwo(clock)
    const first = await member.circles.post('club', 'first')
    await waitFor(async () => (await owner.circles.feed('club')).some((p) => p.id === first.id), 'the first post at the owner', 30_000)

    await member.stop()
    await alone(owner)
    const dropped: Array<{ id: string, reason: string }> = []
    owner.addEventListener('dropped', (evt) => { dropped.push({ id: evt.detail.id, reason: evt.detail.reason }) })
    const vote = await owner.circles.vote('club', first.id, 1)
    const late = await owner.circles.post('club', 'made offline')
    expect([vote.status, late.status]).toEqual(['queued', 'queued'])

    now += 3 * HOUR_MS
    const again = await start({ clock, dataDir: memberDir, bootstrap: [addressOf(owner)] })
    await waitFor(async () => (await again.circles.feed('club')).find((p) => p.id === first.id)?.score === 1, 'the vote, signed again, at the member', 60_000)
    await waitFor(() => dropped.some((d) => d.id === late.id), 'the stale post reported dropped', 30_000)
    expect(dropped).toEqual([{ id: late.id, reason: 'stale' }])
    expect((await again.circles.feed('club')).map((p) => p.id)).not.toContain(late.id)
  }, 180_000)

  it('a frame queued when the node stopped is sent after its restart', async () => {
    const clock = (): number => Date.now()
    const ownerDir = await cleanup.tempDir()
    const { owner, member, memberDir } = await circleOfTwo(clock, ownerDir)
    await member.stop()
    await alone(owner)
    const queued = await owner.circles.post('club', 'queued at the stop')
    expect(queued.status).toBe('queued')
    await owner.stop()

    const ownerAgain = await start({ clock, dataDir: ownerDir })
    const memberAgain = await start({ clock, dataDir: memberDir, bootstrap: [addressOf(ownerAgain)] })
    await waitFor(async () => (await memberAgain.circles.feed('club')).some((p) => p.id === queued.id), 'the queued post at the member after the restart', 60_000)
  }, 180_000)
})
