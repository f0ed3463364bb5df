/**
 * Anti-entropy's sync peer is drawn by address group, chosen peers first (review 4, Medium 1): drawn
 * uniformly by PeerId, twenty sybils connecting from one address took twenty of every twenty-three rounds.
 */
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { HistorySync, drawSyncPeers } from '../src/sync/index.js'
import { waitFor } from './harness.js'
import { ids } from './rendezvous-fixtures.js'
import type { SyncComponents, SyncHost } from '../src/sync/index.js'
import type { Connection, PeerId } from '@libp2p/interface'

const TOPIC = 'murmur/2/#sync-peers'

interface Swarm {
  sybils: PeerId[]
  honest: PeerId[]
  connections: Map<string, Connection[]>
}

/** 20 sybils connecting from one address, 3 honest peers connecting from three, and `dialed` honest peers this node dialed. */
async function swarm (dialed: number): Promise<Swarm> {
  const sybils = await ids(20)
  const honest = await ids(3 + dialed)
  const connections = new Map<string, Connection[]>()
  const connect = (peer: PeerId, address: string, direction: 'inbound' | 'outbound'): void => {
    connections.set(peer.toString(), [{ remotePeer: peer, remoteAddr: multiaddr(address), direction, status: 'open', timeline: { open: 0 } } as unknown as Connection])
  }
  sybils.forEach((peer, i) => { connect(peer, `/ip4/198.51.100.9/tcp/${40000 + i}`, 'inbound') })
  honest.forEach((peer, i) => { connect(peer, `/ip4/203.0.113.${i + 1}/tcp/4001`, i < 3 ? 'inbound' : 'outbound') })
  return { sybils, honest, connections }
}

/** Runs anti-entropy rounds every ~40 ms until `rounds` sessions were attempted; the peers they were with. */
async function syncRounds ({ sybils, honest, connections }: Swarm, rounds: number): Promise<PeerId[]> {
  const attempted: PeerId[] = []
  const components: SyncComponents = {
    handle: async () => {},
    unhandle: async () => {},
    dialProtocol: async (peer) => {
      attempted.push(peer)
      throw new Error('not dialing in this test')
    },
    getConnections: (peer) => peer === undefined ? [...connections.values()].flat() : connections.get(peer.toString()) ?? []
  }
  const host: SyncHost = {
    channelOf: (topic) => topic === TOPIC ? '#sync-peers' : undefined,
    items: async () => [],
    envelope: async () => undefined,
    ingest: async () => 'ignore',
    penalise: () => {},
    topics: () => [TOPIC],
    members: () => [...sybils, ...honest]
  }
  const sync = new HistorySync(components, host, { interval: 40, log: logger('murmur:test') })
  await sync.start()
  try {
    await waitFor(() => attempted.length >= rounds, `${rounds} anti-entropy rounds`, 60_000, 20)
  } finally {
    await sync.stop()
  }
  return attempted.slice(0, rounds)
}

describe('anti-entropy draws its sync peer by address group, chosen peers first', () => {
  it('20 inbound sybils from one address get one host\'s share of the rounds beside 3 honest hosts, not 20 of 23', async () => {
    const peers = await swarm(0)
    const sybilSet = new Set(peers.sybils.map(String))
    const attempted = await syncRounds(peers, 80)
    const share = attempted.filter((peer) => sybilSet.has(peer.toString())).length / attempted.length
    // 4 groups: a quarter in expectation (by PeerId: 0.87)
    expect(share).toBeLessThan(0.45)
  }, 90_000)

  it('with a peer this node dialed, the inbound sybils get no round', async () => {
    const peers = await swarm(1)
    const sybilSet = new Set(peers.sybils.map(String))
    const attempted = await syncRounds(peers, 30)
    expect(attempted.filter((peer) => sybilSet.has(peer.toString()))).toEqual([])
  }, 90_000)

  it('draws distinct peers, chosen first, then by group', async () => {
    const [a, b, c, d, e] = await ids(5)
    const groups = new Map([[a, 'g1'], [b, 'g1'], [c, 'g2'], [d, 'g3'], [e, 'g3']].map(([p, g]) => [p!.toString(), g as string]))
    const view = { groupOf: (p: PeerId) => groups.get(p.toString())!, chosen: (p: PeerId) => p.equals(d!) }
    for (let i = 0; i < 20; i++) {
      const drawn = drawSyncPeers([a!, b!, c!, d!, e!], 3, view)
      expect(drawn[0]!.equals(d!)).toBe(true)
      // then one of each of the other groups before a second of any
      expect(new Set(drawn.slice(1).map((p) => groups.get(p.toString()))).size).toBe(2)
      expect(new Set(drawn.map(String)).size).toBe(3)
    }
    expect(drawSyncPeers([], 3, view)).toEqual([])
  })
})
