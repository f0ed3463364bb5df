/**
 * Records are sampled within their address group by the source that offered them (review 11, High 1):
 * kad-dht turns every record of a DHT reply into a discovery with no limit, so one answer could name a
 * hundred fakes at an honest host's closed ports and push its real record out of its group's sample.
 * Each source (the address group of the peer whose answer carried the record; none given: one unknown
 * source) is a reservoir of its own, and a group's records are taken source by source.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { GroupedPool } from '../src/discovery-pool.js'
import { ids } from './rendezvous-fixtures.js'
import type { PeerInfo } from '@libp2p/interface'

const HONEST_IP = '203.0.113.7'
const FAKES = 300

/** A record at `ip`:`port`. */
const at = (id: PeerInfo['id'], ip: string, port: number): PeerInfo => ({ id, multiaddrs: [multiaddr(`/ip4/${ip}/tcp/${port}`)] })

describe('records are sampled and taken source by source within a group', () => {
  for (const [flooder, label] of [['ip4/198.51.100.9', 'a named source'], [undefined, 'the unknown source']] as const) {
    it(`${FAKES} records at closed ports of an honest IP from ${label} do not push out the real record another source sent: it is among the group's first two`, async () => {
      const fakes = await ids(FAKES)
      const [real] = await ids(1)
      for (let run = 0; run < 40; run++) {
        const pool = new GroupedPool({ perGroup: 32 })
        // the real record in the middle of the flood: a first-come sample would keep it, a shared reservoir not
        for (const [k, id] of fakes.entries()) {
          if (k === FAKES / 2) pool.offer(at(real!, HONEST_IP, 4001), 'ip4/192.0.2.1')
          pool.offer(at(id, HONEST_IP, 5000 + k), flooder)
        }
        const [group] = pool.groups()
        expect(group!.key).toBe(`ip4/${HONEST_IP}`)
        expect(group!.records.slice(0, 2).map(({ peer }) => peer.id.toString())).toContain(real!.toString())
        expect(pool.draw(1, (peer) => peer.id.equals(real))).toHaveLength(1)
      }
    })
  }

  it('each group keeps a uniform sample of its sources, at most sourcesPerGroup, not the first to come', async () => {
    const peers = await ids(20)
    let lastKept = 0
    for (let run = 0; run < 200; run++) {
      const pool = new GroupedPool({ sourcesPerGroup: 4 })
      for (const [k, id] of peers.entries()) pool.offer(at(id, HONEST_IP, 4000 + k), `ip4/192.0.2.${k + 1}`)
      const records = pool.groups()[0]!.records
      expect(records).toHaveLength(4)
      if (records.some(({ source }) => source === 'ip4/192.0.2.20')) lastKept++
      // a source left out stays out: a second record from it is not kept either
      const [again] = await ids(1)
      const dropped = ['ip4/192.0.2.1', 'ip4/192.0.2.2', 'ip4/192.0.2.3', 'ip4/192.0.2.4', 'ip4/192.0.2.5'].find((source) => !records.some((r) => r.source === source))!
      pool.offer(at(again!, HONEST_IP, 9000), dropped)
      expect(pool.groups()[0]!.records).toHaveLength(4)
    }
    // 4 of 20 sources kept: the last is kept a fifth of the time (40 of 200), never with first-come
    expect(lastKept).toBeGreaterThan(10)
    expect(lastKept).toBeLessThan(80)
  })

  it('the same record from two sources is one dial, each source keeps what it sent, and has() asks per source', async () => {
    const [id, other] = await ids(2)
    const pool = new GroupedPool()
    pool.offer(at(id!, HONEST_IP, 4001), 'ip4/192.0.2.1')
    pool.offer(at(id!, HONEST_IP, 4001), 'ip4/192.0.2.2')
    // another PeerId at the same address, from the same source: the same dial, not kept twice
    pool.offer(at(other!, HONEST_IP, 4001), 'ip4/192.0.2.1')
    expect(pool.groups()[0]!.records).toHaveLength(1)
    expect(pool.size).toBe(2)
    expect([pool.has(id!, 'ip4/192.0.2.1'), pool.has(id!, 'ip4/192.0.2.2'), pool.has(id!), pool.has(id!, 'ip4/192.0.2.3')]).toEqual([true, true, false, false])
  })
})
