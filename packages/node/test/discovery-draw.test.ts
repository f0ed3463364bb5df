// Who a node dials itself (issue 12, Medium 7; reviews 2 and 3): sybil PeerIds cost nothing, addresses
// do, so providers are drawn by address group first; one storer's answer cannot fill a round; and the
// discovery retry table can neither fill up with dead records for good nor lose the bootstrap peer.
import { channelTopic } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { RENDEZVOUS_TARGET_PEERS } from '../src/constants.js'
import { dialKey, dialKeys, GroupedPool, peerGroup } from '../src/discovery-pool.js'
import { bootstrapPeers, DISCOVERY_MAX_FAILURES, DiscoveryDialer } from '../src/discovery.js'
import { waitFor } from './harness.js'
import { dialRounds, ids } from './rendezvous-fixtures.js'
import type { KadDHT } from '@libp2p/kad-dht'

const TOPIC = channelTopic('#draw')

describe('drawing the peers a node dials', () => {
  it('groups a peer by the first address its record names', async () => {
    const [id] = await ids(1)
    expect(peerGroup({ id: id!, multiaddrs: [multiaddr('/ip4/203.0.113.7/tcp/4001'), multiaddr('/ip4/198.51.100.1/tcp/1')] })).toBe('ip4/203.0.113.7')
    expect(peerGroup({ id: id!, multiaddrs: [multiaddr('/ip6/2001:db8:0:1::2/tcp/4001')] })).toBe('ip6/2001:0db8:0000::/48')
    expect(peerGroup({ id: id!, multiaddrs: [] })).toBe('none')
    // a record naming a fake address first and a real one after: kept with the first group's addresses only
    const pool = new GroupedPool()
    pool.offer({ id: id!, multiaddrs: [multiaddr('/ip4/203.0.113.7/tcp/4001'), multiaddr('/ip4/198.51.100.1/tcp/1'), multiaddr('/ip4/203.0.113.7/udp/4001/quic-v1')] })
    expect(pool.draw(1)[0]!.multiaddrs.map(String)).toEqual(['/ip4/203.0.113.7/tcp/4001', '/ip4/203.0.113.7/udp/4001/quic-v1'])
  })

  it('draws by address group, then PeerId: 1,000 PeerIds on one address weigh one group', async () => {
    const pool = new GroupedPool()
    const sybils = await ids(200)
    const honest = await ids(9)
    sybils.forEach((id, i) => { pool.offer({ id, multiaddrs: [multiaddr(`/ip4/198.51.100.9/tcp/${4001 + i}`)] }) })
    honest.forEach((id, i) => { pool.offer({ id, multiaddrs: [multiaddr(`/ip4/203.0.${i}.1/tcp/4001`)] }) })
    expect(pool.size).toBe(209)
    expect(pool.groupCount).toBe(10)
    // a draw of 10 takes one peer of each group
    const drawn = pool.draw(10)
    expect(new Set(drawn.map(peerGroup)).size).toBe(10)
    // more than there are groups: a second round over the groups that still have peers
    expect(pool.draw(12).length).toBe(12)
    // past maxGroups, the groups kept are a uniform sample: 50 sybil addresses named first do not crowd out 50 honest ones
    let honestKept = 0
    for (let trial = 0; trial < 40; trial++) {
      const bounded = new GroupedPool({ maxGroups: 10 })
      sybils.slice(0, 50).forEach((id, i) => { bounded.offer({ id, multiaddrs: [multiaddr(`/ip4/198.51.${i}.9/tcp/4001`)] }) })
      sybils.slice(50, 100).forEach((id, i) => { bounded.offer({ id, multiaddrs: [multiaddr(`/ip4/203.1.${i}.1/tcp/4001`)] }) })
      expect(bounded.groupCount).toBe(10)
      honestKept += bounded.draw(10).filter((peer) => peerGroup(peer).startsWith('ip4/203.')).length
    }
    expect(honestKept / 400).toBeGreaterThan(0.35)
  })

  it('keeps one record of those naming the same addresses: a dial reaches whoever answers there, whatever PeerId a record claims', async () => {
    const pool = new GroupedPool()
    const [honest, ...fakes] = await ids(21)
    const at = multiaddr('/ip4/203.0.113.7/tcp/4001')
    for (const id of fakes) pool.offer({ id, multiaddrs: [at] })
    pool.offer({ id: honest!, multiaddrs: [at.encapsulate(`/p2p/${honest!.toString()}`)] })
    // a record adding an address its group has not seen is another dial
    pool.offer({ id: honest!, multiaddrs: [at] })
    const [other] = await ids(1)
    pool.offer({ id: other!, multiaddrs: [at, multiaddr('/ip4/203.0.113.7/tcp/4002')] })
    expect(pool.size).toBe(22)
    expect(pool.draw(22).map((peer) => dialKeys(peer))).toHaveLength(2)
    expect(dialKey(at.encapsulate(`/p2p/${honest!.toString()}`), fakes[0]!)).toBe('/ip4/203.0.113.7/tcp/4001')
  })

  it('groups relayed addresses apart from their relay\'s own: claims through an honest host do not take its turns', async () => {
    const [relay, peer] = await ids(2)
    const direct = multiaddr(`/ip4/203.0.113.7/tcp/4001/p2p/${relay!.toString()}`)
    const relayed = direct.encapsulate('/p2p-circuit')
    expect(peerGroup({ id: relay!, multiaddrs: [direct] })).toBe('ip4/203.0.113.7')
    expect(peerGroup({ id: peer!, multiaddrs: [relayed] })).toBe('relayed:ip4/203.0.113.7')
    // a relay routes by PeerId: two peers behind one relay are two dials
    expect(dialKey(relayed, peer!)).toBe(`${relayed.toString()}/p2p/${peer!.toString()}`)
  })

  /** Runs `rounds` rendezvous rounds over a DHT answering `events`; the sybils' share of dials and the honest providers dialed. */
  async function dialsOver (events: unknown[], sybilSet: Set<string>, rounds = 40): Promise<{ share: number, honestDialed: number }> {
    const [self] = await ids(1)
    const dht = {
      async * provide () {},
      async * findProviders () { yield * events },
      async cancelReprovide () {}
    } as unknown as KadDHT
    const { dialed, dialedSybils, honestDialed } = await dialRounds({ dht, peerId: self! }, TOPIC, sybilSet, rounds)
    expect(dialed).toBe(rounds * RENDEZVOUS_TARGET_PEERS)
    return { share: dialedSybils / dialed, honestDialed: honestDialed.size }
  }

  it('a sybil storer answering first with 1,100 providers on one address neither fills the round nor outweighs 25 honest providers on 25 addresses', async () => {
    // review 2, finding 1 (reviewer's rdv.mjs): 1,100 sybils answered first took 1.000 of the dials
    const sybils = await ids(1_100)
    const honest = await ids(25)
    const [sybilStorer, honestStorer] = await ids(2)
    const events = [
      { name: 'PROVIDER', from: sybilStorer, providers: sybils.map((id) => ({ id, multiaddrs: [multiaddr('/ip4/198.51.100.9/tcp/4001')] })) },
      { name: 'PROVIDER', from: honestStorer, providers: honest.map((id, i) => ({ id, multiaddrs: [multiaddr(`/ip4/203.0.${i}.1/tcp/4001`)] })) }
    ]
    const { share, honestDialed } = await dialsOver(events, new Set(sybils.map(String)))
    // one group of 26: drawing 6 distinct groups a round, the sybils' group gets at most one dial in 6
    // (by PeerId it would be 1,100 / 1,125 = 0.978); the honest providers are dialed, most of them
    expect(share).toBeLessThanOrEqual(1 / RENDEZVOUS_TARGET_PEERS)
    expect(honestDialed).toBeGreaterThan(15)
  })

  it('one storer naming 1,000 sybils on one address and 25 honest providers on 25: the honest ones are not sampled away', async () => {
    // a storer returns every record it holds, and anyone can add records to an honest storer
    const sybils = await ids(1_000)
    const honest = await ids(25)
    const [storer] = await ids(1)
    const providers = [
      ...sybils.map((id) => ({ id, multiaddrs: [multiaddr('/ip4/198.51.100.9/tcp/4001')] })),
      ...honest.map((id, i) => ({ id, multiaddrs: [multiaddr(`/ip4/203.0.${i}.1/tcp/4001`)] }))
    ]
    const { share, honestDialed } = await dialsOver([{ name: 'PROVIDER', from: storer, providers }], new Set(sybils.map(String)))
    expect(share).toBeLessThanOrEqual(1 / RENDEZVOUS_TARGET_PEERS)
    expect(honestDialed).toBeGreaterThan(15)
  })

  it('a retry table filled with dead records still retries a failed peer, and forgets dead ones', async () => {
    // review 3 (retry.mjs): 64 dead records held the table for good; a peer whose first dial failed
    // was dialed once and never again, while the dead records drew 353 dials
    const dials = new Map<string, number>()
    const connected = new Set<string>()
    let backUp = false
    const late = (await ids(1))[0]!
    const dialer = new DiscoveryDialer({
      dialedCount: () => connected.size,
      isConnected: (id) => connected.has(id.toString()),
      dial: async (peer) => {
        const id = peer.id.toString()
        dials.set(id, (dials.get(id) ?? 0) + 1)
        if (id === late.toString() && backUp) connected.add(id)
      }
    }, { below: 8, window: 5, retryDelay: 10 })
    try {
      const dead = await ids(120)
      // 15 windows of 8 dead records, each window drawn (retries of earlier ones compete with them)
      for (let w = 0; w < 15; w++) {
        const before = dials.size
        for (const id of dead.slice(w * 8, w * 8 + 8)) dialer.offer({ id, multiaddrs: [] })
        await waitFor(() => dials.size > before, `window ${w} drawn`, 20_000, 5)
      }
      // a peer whose first dial fails (offered until drawn once, as discovery names it again), then comes back up
      await waitFor(() => {
        dialer.offer({ id: late, multiaddrs: [] })
        return dials.has(late.toString())
      }, 'first dial of the late peer', 20_000, 5)
      backUp = true
      await waitFor(() => connected.has(late.toString()), 'the late peer retried and connected', 20_000, 5)
      // dead records are forgotten after a few failures: once spent, nothing dials them again
      const total = (): number => dead.reduce((sum, id) => sum + (dials.get(id.toString()) ?? 0), 0)
      let last = -1
      await waitFor(() => {
        const now = total()
        const stable = now === last
        last = now
        return stable
      }, 'dead records spent', 60_000, 1_000)
      for (const id of dead) expect(dials.get(id.toString()) ?? 0).toBeLessThanOrEqual(DISCOVERY_MAX_FAILURES)
    } finally {
      dialer.stop()
    }
  })

  it('reads bootstrap peers from the configuration: one entry per PeerId, addresses without one left out', async () => {
    const [a, b] = await ids(2)
    const peers = bootstrapPeers([`/ip4/127.0.0.1/tcp/1/p2p/${a}`, `/ip4/127.0.0.2/tcp/2/p2p/${b}`, `/ip6/::1/tcp/1/p2p/${a}`, '/ip4/127.0.0.3/tcp/3'])
    expect(peers.map((peer) => peer.id.toString())).toEqual([a!.toString(), b!.toString()])
    expect(peers[0]!.multiaddrs.map(String)).toEqual([`/ip4/127.0.0.1/tcp/1/p2p/${a}`, `/ip6/::1/tcp/1/p2p/${a}`])
  })

  it('retries a bootstrap peer from its own list for as long as the node is short, whatever else failed', async () => {
    const [boot] = await ids(1)
    const bootPeer = { id: boot!, multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/1')] }
    let bootDials = 0
    let up = false
    const connected = new Set<string>()
    const dialer = new DiscoveryDialer({
      dialedCount: () => connected.size,
      isConnected: (id) => connected.has(id.toString()),
      dial: async (peer) => {
        if (peer.id.equals(boot)) {
          bootDials++
          if (up) connected.add(peer.id.toString())
        }
      }
    }, { below: 8, window: 5, retryDelay: 5, bootstrap: [bootPeer] })
    try {
      dialer.offer(bootPeer)
      // far more failures than any other peer is allowed: a bootstrap peer is never forgotten
      await waitFor(() => bootDials >= 8, 'eight bootstrap dials', 20_000, 5)
      up = true
      await waitFor(() => connected.has(boot!.toString()), 'bootstrap connected', 20_000, 5)
      // connected: not dialed again
      const after = bootDials
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(bootDials).toBe(after)
    } finally {
      dialer.stop()
    }
  })
})
