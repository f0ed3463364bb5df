// A sybil swarm on one address (issue 12, Critical): 40 stock libp2p + gossipsub peers connect to one
// honest node, subscribe to its channel, graft into its mesh and withhold everything. Dropping the
// IP-colocation penalty (so a crowd is not graylisted) must not let them eclipse it: what they do earns
// them nothing, peers that deliver rank first, and the node keeps the peers it dialed in its mesh.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { StockPeer } from './harness.js'

const CHANNEL = '#swarm'
const TOPIC = channelTopic(CHANNEL)
const HONEST = 8
const SYBILS = 40
const POSTS = 100

/** Public methods of the gossipsub service class that its interface type leaves out. */
interface GossipsubInternals { getMeshPeers(topic: string): string[] }

/** A stock peer in the channel that forwards nothing: every message it receives is ignored. */
async function withholdingSybil (target: Murmur): Promise<StockPeer> {
  const sybil = await startStockPeer()
  sybil.services.pubsub.topicValidators.set(TOPIC, () => TopicValidatorResult.Ignore)
  sybil.services.pubsub.subscribe(TOPIC)
  await sybil.dial(target.getMultiaddrs()[0]!)
  return sybil
}

describe('a sybil swarm on the crowd\'s address', () => {
  const { running } = cleanedAfterEach()

  it(`cannot eclipse an honest node: ${SYBILS} withholding sybils, at least 99 % honest delivery`, async () => {
    const honest: Murmur[] = []
    for (let i = 0; i < HONEST; i++) {
      const bootstrap = honest.slice(Math.max(0, i - 2)).map(addressOf)
      const node = await startNode({ channels: [CHANNEL], bootstrap, sync: false })
      running.push(node)
      honest.push(node)
    }
    const target = honest[HONEST - 1]!
    await waitFor(() => honest.every((node) => node.libp2p.services.pubsub.getSubscribers(TOPIC).length >= 2), 'the honest nodes to meet')

    const sybils: StockPeer[] = []
    for (let i = 0; i < SYBILS; i++) {
      const sybil = await withholdingSybil(target)
      running.push(sybil)
      sybils.push(sybil)
    }
    const sybilIds = new Set(sybils.map((sybil) => sybil.peerId.toString()))
    await waitFor(() => target.libp2p.services.pubsub.getSubscribers(TOPIC).filter((p) => sybilIds.has(p.toString())).length === SYBILS,
      'the target to see every sybil in the channel', 30_000)
    // the sybils graft the target (each knows no one else): they crowd its mesh
    await waitFor(() => (target.libp2p.services.pubsub as unknown as GossipsubInternals).getMeshPeers(TOPIC).some((p) => sybilIds.has(p)),
      'sybils in the target\'s mesh', 30_000)

    const bodies = new Set<string>()
    const received = new Set<string>()
    let allReceived = (): void => {}
    const done = new Promise<'done'>((resolve) => { allReceived = () => { resolve('done') } })
    target.addEventListener('post', (evt) => {
      if (bodies.has(evt.detail.body)) {
        received.add(evt.detail.body)
        if (received.size === POSTS) allReceived()
      }
    })
    const authors = honest.slice(0, HONEST - 1)
    for (let i = 0; i < POSTS; i++) {
      const body = `honest post ${i}`
      bodies.add(body)
      expect((await authors[i % authors.length]!.post(CHANNEL, body)).status).toBe('sent')
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const outcome = await Promise.race([done, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, 60_000) })])
    clearTimeout(timer)
    expect(received.size / POSTS, `honest delivery (${outcome})`).toBeGreaterThanOrEqual(0.99)
  }, 180_000)
})
