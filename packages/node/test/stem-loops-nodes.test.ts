/**
 * The loop limit on real nodes (issue 14 §3): a 6-node channel in an epoch with no diffuser. Every post
 * walks the stem until a node gets it back a second time, which hands it to a stem peer marked "publish",
 * over the real stem protocol, and reaches every node; no post waits for an embargo timer.
 */
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { StemEvent } from '../src/stem/index.js'

const CHANNEL = '#loops'
const TOPIC = channelTopic(CHANNEL)

/** The stem router of a node (tests reach into it, as the bench's stem trace does). */
interface RouterInternals {
  currentSuccessors: string[]
  components: { onEvent?: (event: StemEvent) => void }
}
const routerOf = (node: Murmur): RouterInternals => (node as unknown as { stem: { router: RouterInternals } }).stem.router

describe('stem loop limit on real nodes', () => {
  const { running } = cleanedAfterEach()

  it('6 nodes, no diffuser: every post reaches every node, its stem ended on a loop and handed on to be published after at most 13 hops', async () => {
    const nodes: Murmur[] = []
    // a ring with chords: 2..4 stem peers each
    for (let i = 0; i < 6; i++) {
      const bootstrap = i === 0 ? [] : [addressOf(nodes[i - 1]!), ...(i >= 2 ? [addressOf(nodes[i - 2]!)] : [])]
      nodes.push(await startNode({ channels: [CHANNEL], bootstrap, stem: { fluffProbability: 0 } }))
    }
    running.push(...nodes)
    await nodes[5]!.libp2p.dial(nodes[0]!.getMultiaddrs()[0]!)
    const hops = new Map<string, number>()
    const ends: Array<{ id: string, reason: string, own: boolean }> = []
    for (const node of nodes) {
      const router = routerOf(node)
      const onEvent = router.components.onEvent
      router.components.onEvent = (event) => {
        if (event.type === 'forward') hops.set(event.id, (hops.get(event.id) ?? 0) + 1)
        if (event.type === 'fluff') ends.push({ id: event.id, reason: event.reason, own: event.own })
        onEvent?.(event)
      }
    }
    await waitFor(() => nodes.every((n) => routerOf(n).currentSuccessors.length > 0 && n.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0), 'stem successors and subscribers everywhere')

    const ids: string[] = []
    for (const [i, node] of nodes.entries()) ids.push((await node.post(CHANNEL, `round the channel ${i}`)).id)
    for (const node of nodes) {
      await waitFor(async () => {
        const held = new Set((await node.feed(CHANNEL, { limit: 100 })).map((p) => p.id))
        return ids.every((id) => held.has(id))
      }, 'every post at every node', 120_000)
    }
    // each post left its stem once, on a loop (no diffuser, no embargo timer), after at most 2 hops per node
    // and the hop that handed it, marked over /murmur/stem/3.0.0, to the peer that published it
    for (const id of ids) {
      expect(ends.filter((end) => end.id === id).map((end) => end.reason)).toEqual(['handoff'])
      expect(hops.get(id)).toBeLessThanOrEqual(13)
    }
    // a loop closes at the author most often: published there, before HAND_OFF, every post was
    expect(ends.filter((end) => end.own).length).toBeLessThanOrEqual(2)
  })
})
