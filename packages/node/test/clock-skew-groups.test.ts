/**
 * Issue 12, 12b, third review, on real nodes: one forged post straight from an attacker's address does
 * not clear a real clock skew while honest posts keep coming through other addresses. Loopback is one
 * address group per 127.x.y.z address, so the honest nodes and the attacker listen on addresses of their
 * own, and the victim dials each of them.
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { TEST_POW_BITS, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { ClockSkewDetail, Murmur, PostView } from '../src/index.js'

const CHANNEL = '#grouped-clocks'
const TOPIC = channelTopic(CHANNEL)
const AHEAD_MS = 10 * 60 * 1000

/** The `/p2p/`-qualified TCP address of a node on the loopback address `host`. */
function addressOn (node: Murmur, host: string): string {
  const address = node.getMultiaddrs().map(String).find((a) => a.startsWith(`/ip4/${host}/tcp/`))
  if (address === undefined) throw new Error(`node has no TCP address on ${host}`)
  return address
}

/** Resolves once `node` has stored a post whose body is `body`. */
async function stored (node: Murmur, body: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const listener = (evt: CustomEvent<PostView>): void => {
      if (evt.detail.body !== body) return
      clearTimeout(timer)
      node.removeEventListener('post', listener)
      resolve()
    }
    const timer = setTimeout(() => {
      node.removeEventListener('post', listener)
      reject(new Error(`"${body}" not stored within 60 s`))
    }, 60_000)
    node.addEventListener('post', listener)
  })
}

describe('clock skew: sender groups on real nodes', () => {
  const { running } = cleanedAfterEach()

  it('one valid post dated 720 s ahead, straight from an attacker\'s address, does not clear a real 600 s skew', async () => {
    const honest: Murmur[] = []
    for (const host of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const node = await startNode({ channels: [CHANNEL], stem: false, listen: [`/ip4/${host}/tcp/0`], bootstrap: honest.length === 0 ? [] : [addressOn(honest[0]!, '127.0.0.2')] })
      running.push(node)
      honest.push(node)
    }
    const attacker = await startNode({ channels: [CHANNEL], stem: false, listen: ['/ip4/127.0.0.5/tcp/0'] })
    running.push(attacker)
    const victim = await startNode({
      channels: [CHANNEL],
      stem: false,
      clock: () => Date.now() + AHEAD_MS,
      bootstrap: [...honest.map((node, i) => addressOn(node, `127.0.0.${i + 2}`)), addressOn(attacker, '127.0.0.5')]
    })
    running.push(victim)
    const told: ClockSkewDetail[] = []
    victim.addEventListener('clock-skew', (evt) => { told.push(evt.detail) })
    await waitFor(() => victim.libp2p.services.pubsub.getSubscribers(TOPIC).length >= 4, 'the victim to see every node in the channel')

    let round = 0
    const honestRound = async (): Promise<void> => {
      const bodies = honest.map((_, i) => `honest ${round}.${i}`)
      const arrived = Promise.all(bodies.map(async (body) => { await stored(victim, body) }))
      for (const [i, node] of honest.entries()) await node.post(CHANNEL, bodies[i]!)
      await arrived
      round++
    }
    while (told.length === 0) {
      if (round === 10) throw new Error('the victim was not told of its skew after 10 rounds')
      await honestRound()
    }
    expect(told).toMatchObject([{ skewed: true }])

    // valid to the victim (at most 120 s ahead of its clock), too early for everyone else
    const forged = await buildEnvelope({ channel: CHANNEL, body: 'forged', created: Math.floor((Date.now() / 1000 + 720) / 60) * 60, powBits: TEST_POW_BITS })
    const forgedArrived = stored(victim, 'forged')
    await attacker.libp2p.services.pubsub.publish(TOPIC, forged.bytes)
    await forgedArrived
    for (let i = 0; i < 3; i++) await honestRound()

    expect(told).toHaveLength(1)
    expect(victim.clockSkew()).toBeGreaterThan(480)
    await expect(victim.post(CHANNEL, 'refused')).rejects.toMatchObject({ name: 'ClockSkewError' })
  }, 120_000)
})
