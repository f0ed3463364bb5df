/**
 * Review of issue 12, H2: stem successors were drawn one per address group, so one attacker host
 * weighed as much as a whole crowd sharing an address. A crowd node (eight behind one address) that
 * dialed the attacker's one host, found as a provider of its channel's rendezvous key, drew two
 * successors from two groups, the crowd and the attacker: the attacker was a successor in every epoch
 * (half of the places, against a population share of one in nine). Peers in the node's own address
 * group are now drawn each as a group of its own (own-crowd.ts): the crowd weighs by its members.
 */
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#crowd-stem'
const CROWD = 8
const CONNECTIONS = { inboundConnectionThreshold: 1_000, dialTimeout: 60_000, addressDialTimeout: 60_000, inboundUpgradeTimeout: 60_000 }
/** Dialed stem candidates a crowd node holds (the attacker among them) before its epochs are sampled. */
const DIALED = 6
/** Epochs sampled per crowd node that dialed the attacker. */
const EPOCHS = 2_000

const addressOn = (node: Murmur, ip: string): string =>
  node.getMultiaddrs().map(String).find((a) => a.startsWith(`/ip4/${ip}/tcp/`))!
const init = (ip: string, bootstrap: string[]): Parameters<typeof startNode>[0] =>
  ({ listen: [`/ip4/${ip}/tcp/0`], channels: [CHANNEL], sync: false, libp2p: { connectionManager: CONNECTIONS }, bootstrap })

interface Routes { candidates: ReadonlyMap<string, boolean>, epochEnd: number, tick(): boolean }
interface Router { currentSuccessors: readonly string[], routes: Routes }
const routerOf = (node: Murmur): Router => (node as unknown as { stem: { router: Router } }).stem.router
const dialedCandidates = (node: Murmur): string[] => [...routerOf(node).routes.candidates].filter(([, dialed]) => dialed).map(([peer]) => peer)

describe('stem successors of a crowd behind one address', () => {
  const { running } = cleanedAfterEach()

  it('one attacker host among the providers holds no more than twice its population share (1/9) of a crowd node\'s successors', async () => {
    const first = await startNode(init('127.0.0.1', []))
    running.push(first)
    const boot = [addressOn(first, '127.0.0.1')]
    const crowd = [first]
    for (let i = 1; i < CROWD; i++) {
      const node = await startNode(init('127.0.0.1', boot))
      running.push(node)
      crowd.push(node)
    }
    // an honest node's code, on an address of its own: it provides the channel's bucket key like any member
    const attacker = await startNode(init('127.0.0.2', boot))
    running.push(attacker)
    const sybil = attacker.peerId.toString()

    // crowd nodes whose rendezvous dialed the attacker (a group holding none of their dialed peers) and
    // that dialed enough of the crowd besides
    const victims = await waitFor(() => {
      const ready = crowd.filter((node) => {
        const dialed = dialedCandidates(node)
        return dialed.includes(sybil) && dialed.length >= DIALED
      })
      return ready.length > 0 ? ready : undefined
    }, `a crowd node to dial the attacker and ${DIALED - 1} crowd peers`, 150_000, 250)

    let places = 0
    let taken = 0
    for (const victim of victims) {
      const router = routerOf(victim)
      for (let epoch = 0; epoch < EPOCHS; epoch++) {
        // a new epoch now (the node's own epochs last minutes)
        router.routes.epochEnd = -Infinity
        router.routes.tick()
        places += router.currentSuccessors.length
        taken += router.currentSuccessors.filter((peer) => peer === sybil).length
      }
    }
    const share = taken / places
    console.log(`attacker share of ${victims.length} crowd nodes' successors (dialed stem candidates: ${victims.map((node) => dialedCandidates(node).length).join(', ')}): ${share.toFixed(3)} of ${places} places (population share ${(1 / (CROWD + 1)).toFixed(3)})`)
    expect(share).toBeLessThanOrEqual(2 / (CROWD + 1))
  }, 300_000)
})
