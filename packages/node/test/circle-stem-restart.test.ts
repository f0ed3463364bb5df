/**
 * A member's own circle post handed to the stem just before a restart (issue 15): its frame was forgotten
 * once the stem took it, so a successor that swallowed it (or a crash before its embargo fired) lost the
 * post for good, though the author's store showed it posted. Now the frame is kept, marked as in the stem,
 * until it is out: after the restart the stem holds it again (not sent again, which would name its
 * author) and its embargo publishes it. Real nodes on loopback; the successor is a stock peer that
 * swallows every stem frame.
 */
import { CIRCLE_SHARED_TOPIC } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { stemHole } from './stem-hole.js'
import type { Murmur, MurmurInit } from '../src/index.js'

describe('an own circle post in the stem across a restart', () => {
  const cleanup = cleanedAfterEach()
  const start = async (init: MurmurInit): Promise<Murmur> => {
    const node = await startNode({ membership: false, circles: { newcomerDelay: 0 }, ...init })
    cleanup.running.push(node)
    return node
  }

  it('a post its successor swallowed before the restart is published by its embargo after it', async () => {
    // the owner runs no stem: the hole is the author's only stem peer
    const owner = await start({ stem: false })
    const dataDir = await cleanup.tempDir()
    const author = await start({ dataDir, bootstrap: [addressOf(owner)], stem: { fluffProbability: 0 } })
    await waitFor(() => author.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length > 0, 'the owner on the shared topic', 30_000)
    await owner.circles.create('club', { minRing: 2 })
    await author.circles.join((await owner.circles.invite('club')).invite)
    await waitFor(async () => (await owner.circles.members('club')).length === 2 && (await author.circles.members('club')).length === 2, 'the roster of two at both', 60_000)

    const { hole, swallowed } = await stemHole(CIRCLE_SHARED_TOPIC)
    cleanup.running.push(hole)
    await hole.dial(author.getMultiaddrs()[0]!)
    await waitFor(() => author.libp2p.getPeers().some((p) => p.equals(hole.peerId)) && author.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).some((p) => p.equals(hole.peerId)), 'the hole on the shared topic')
    const released = new Set<string>()
    author.addEventListener('released', (evt) => { released.add(evt.detail.id) })
    const sent = await author.circles.post('club', 'into the stem, then a restart')
    await waitFor(() => swallowed.length > 0 && released.has(sent.id), 'the post at the stem successor')
    await author.stop()

    const again = await start({ dataDir, bootstrap: [addressOf(owner)], stem: { fluffProbability: 0, embargoMin: 1_000, embargoMean: 1_000 } })
    await hole.dial(again.getMultiaddrs()[0]!)
    // the old node kept nothing of a frame once the stem had it: the post never reached the owner
    await waitFor(async () => (await owner.circles.feed('club')).some((p) => p.id === sent.id), 'the post at the owner, published by its embargo', 30_000)
    // not sent to the hole again: held, then published by the embargo
    expect(swallowed).toHaveLength(1)
    expect((await again.circles.feed('club')).map((p) => p.id)).toContain(sent.id)
  }, 120_000)
})
