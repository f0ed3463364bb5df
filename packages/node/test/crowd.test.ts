// A crowd behind one address (issue 12, Critical): every node of a campus NAT, a household, a carrier's
// CGNAT or a relay reaches its peers from one IP. Here 60 real nodes share 127.0.0.1, each bootstrapping
// from three others and meeting the rest through the DHT topic rendezvous, as shipped. gossipsub's stock
// IP-colocation penalty graylisted every one of them once a node had more than ten peers on the address:
// meshes emptied and a post reached only its author's neighbours.
import { channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { seededRandom } from './stem-fixtures.js'
import type { Murmur } from '../src/index.js'

const SIZE = Number(process.env.MURMUR_CROWD_SIZE ?? 60)
const CHANNEL = '#crowd'
const TOPIC = channelTopic(CHANNEL)
const AUTHORS = 4
const BOOTSTRAP_PEERS = 3

/**
 * Sixty nodes share one event loop on a loaded two-core machine: noise handshakes and pings can take
 * seconds there, where one node per machine takes milliseconds. Longer handshake timeouts and no abort
 * on a late ping keep the test about gossip, not about the test machine's load.
 */
const ONE_PROCESS_LIBP2P = {
  connectionManager: {
    inboundConnectionThreshold: 1_000,
    dialTimeout: 60_000,
    addressDialTimeout: 60_000,
    inboundUpgradeTimeout: 60_000,
    // a gossipsub stream that fails to open is not retried: the peer never learns our subscriptions
    outboundStreamProtocolNegotiationTimeout: 60_000,
    inboundStreamProtocolNegotiationTimeout: 60_000
  },
  connectionMonitor: { abortConnectionOnPingFailure: false }
}

describe('a crowd on one address', () => {
  const { running } = cleanedAfterEach()

  it(`delivers every post to all ${SIZE} nodes on 127.0.0.1`, async () => {
    const random = seededRandom(12)
    const nodes: Murmur[] = []
    for (let i = 0; i < SIZE; i++) {
      const bootstrap = new Set<string>()
      while (i > 0 && bootstrap.size < Math.min(i, BOOTSTRAP_PEERS)) {
        bootstrap.add(addressOf(nodes[Math.floor(random() * i)]!))
      }
      // history sync off: it would fill gaps over minutes; what is measured here is gossip
      const node = await startNode({ channels: [CHANNEL], bootstrap: [...bootstrap], sync: false, libp2p: ONE_PROCESS_LIBP2P })
      running.push(node)
      nodes.push(node)
    }
    const topicPeers = (): number[] => nodes.map((node) => node.libp2p.services.pubsub.getSubscribers(TOPIC).length)
    await waitFor(() => topicPeers().every((count) => count >= 1), 'every node to see peers in the channel', 120_000, 250)
      .catch((err: Error) => {
        const connections = nodes.map((node) => node.libp2p.getConnections().length)
        throw new Error(`${err.message}; channel peers per node: ${topicPeers().join(' ')}; connections: ${connections.join(' ')}`)
      })

    const bodies = Array.from({ length: AUTHORS }, (_, i) => `crowd post ${i}`)
    const received = nodes.map(() => new Set<string>())
    const delivered = (): number => received.reduce((sum, set) => sum + set.size, 0)
    let allDelivered = (): void => {}
    const everyone = new Promise<'done'>((resolve) => { allDelivered = () => { resolve('done') } })
    const receive = (i: number, body: string): void => {
      received[i]!.add(body)
      if (delivered() === SIZE * AUTHORS) allDelivered()
    }
    nodes.forEach((node, i) => {
      node.addEventListener('post', (evt) => {
        if (bodies.includes(evt.detail.body)) receive(i, evt.detail.body)
      })
    })
    for (let a = 0; a < AUTHORS; a++) {
      const author = Math.floor(random() * SIZE)
      const result = await nodes[author]!.post(CHANNEL, bodies[a]!)
      expect(result.status).toBe('sent')
      receive(author, bodies[a]!)
    }
    // fail with the delivery ratio, not a bare timeout
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, 60_000) })
    const outcome = await Promise.race([everyone, timedOut])
    clearTimeout(timer)
    const perPost = bodies.map((body) => received.filter((set) => set.has(body)).length)
    expect({ outcome, delivered: delivered() / (SIZE * AUTHORS), perPost }).toEqual({ outcome: 'done', delivered: 1, perPost: bodies.map(() => SIZE) })
  }, 180_000)
})
