/**
 * Issue 13, stamps fetched for a ring that names unknown members (StampFetcher): the peer that sent the ring
 * is synced with at once; a peer that withholds, stalls or fails does not keep the stamps away (the next
 * peer is asked), and what one ring can make a node fetch is bounded.
 */
import { generateAuthorKey, toHex } from '@murmur/protocol'
import { logger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { StampFetcher } from '../src/membership/stamp-fetcher.js'
import { waitFor } from './harness.js'
import type { StampFetcherComponents, StampFetcherInit } from '../src/membership/stamp-fetcher.js'

/** A network of peers: `honest` ones bring the stamps asked of them, the others answer as their behaviour says. */
interface Peers {
  [peer: string]: 'honest' | 'withholds' | 'fails' | 'stalls'
}

function setup (peers: Peers, order: string[], init: StampFetcherInit = {}): { fetcher: StampFetcher, sessions: string[], asked: Map<string, number>, held: Set<string> } {
  const held = new Set<string>()
  const queued = new Map<string, Uint8Array[]>()
  const asked = new Map<string, number>()
  const sessions: string[] = []
  const wanting = new Map<string, Uint8Array>()
  const components: StampFetcherComponents = {
    sync: async (peer) => {
      sessions.push(peer)
      const behaviour = peers[peer]
      if (behaviour === 'fails') throw new Error('junk answer')
      if (behaviour === 'stalls') return await new Promise(() => {})
      if (behaviour === 'honest') for (const [hex] of wanting) held.add(hex)
    },
    peers: (count) => order.slice(0, count),
    stamped: (memberKey) => held.has(toHex(memberKey)),
    ask: (peer, ids) => {
      asked.set(peer, (asked.get(peer) ?? 0) + ids.length)
      queued.set(peer, [...queued.get(peer) ?? [], ...ids])
    },
    log: logger('test:fetch')
  }
  const fetcher = new StampFetcher(components, { interval: 0, patience: 200, ...init })
  const wanted = fetcher.wanted.bind(fetcher)
  // what a peer brings: every member still wanted (the stub's 'honest' peer holds all stamps)
  fetcher.wanted = (detail) => {
    for (const memberKey of detail.members) wanting.set(toHex(memberKey), memberKey)
    wanted(detail)
  }
  return { fetcher, sessions, asked, held }
}

const members = (n: number): Uint8Array[] => Array.from({ length: n }, () => generateAuthorKey().publicKey)
const created = Math.floor(Date.now() / 1000)

describe('fetching the stamps a ring is missing', () => {
  it('syncs with the peer that sent the ring at once; it brings them, nobody else is asked', async () => {
    const { fetcher, sessions, held } = setup({ sender: 'honest', other: 'honest' }, ['other', 'sender'])
    const ring = members(16)
    fetcher.wanted({ peer: 'sender', created, members: ring })
    await waitFor(() => held.size === 16, 'the stamps brought')
    await waitFor(() => fetcher.size === 0, 'nothing left to fetch')
    expect(sessions).toEqual(['sender'])
  })

  it('a sender that withholds, answers junk or stalls: the next peer is asked, and brings them', async () => {
    for (const behaviour of ['withholds', 'fails', 'stalls'] as const) {
      const { fetcher, sessions, asked, held } = setup({ sender: behaviour, honest: 'honest' }, ['sender', 'honest'])
      fetcher.wanted({ peer: 'sender', created, members: members(16) })
      await waitFor(() => held.size === 16, `the stamps brought by the honest peer after a sender that ${behaviour}`, 5_000)
      expect(sessions).toEqual(['sender', 'honest'])
      // each member's stamps of both accepted weeks, queued for the honest peer on this node's account
      expect(asked.get('honest')).toBeGreaterThanOrEqual(16)
      await waitFor(() => fetcher.size === 0, 'nothing left to fetch')
      fetcher.stop()
    }
  })

  it('asks at most `sources` peers for a stamp nobody has, then leaves it to anti-entropy', async () => {
    const peers: Peers = { a: 'withholds', b: 'withholds', c: 'withholds', d: 'withholds', e: 'withholds' }
    const { fetcher, sessions } = setup(peers, ['a', 'b', 'c', 'd', 'e'], { sources: 3 })
    fetcher.wanted({ peer: 'a', created, members: members(4) })
    await waitFor(() => fetcher.size === 0, 'the fetch given up')
    expect(sessions).toEqual(['a', 'b', 'c'])
  })

  it('bounds what rings can make it fetch: members at once, sessions at once, one session per peer per interval', async () => {
    const { fetcher, sessions } = setup({ a: 'stalls', b: 'stalls', c: 'stalls' }, [], { pending: 20, concurrency: 2, interval: 60_000, patience: 60_000 })
    for (let i = 0; i < 10; i++) fetcher.wanted({ peer: ['a', 'b', 'c'][i % 3]!, created, members: members(16) })
    expect(fetcher.size).toBe(20)
    await waitFor(() => sessions.length === 2, 'two sessions')
    // a third peer waits for a free turn; a peer already synced waits for its interval
    fetcher.wanted({ peer: 'a', created, members: members(1) })
    await new Promise((resolve) => setImmediate(resolve))
    expect(sessions).toEqual(['a', 'b'])
    fetcher.stop()
  })

  it('a stamp that arrives by any path is no longer fetched', async () => {
    const { fetcher, sessions } = setup({ a: 'stalls', b: 'withholds' }, ['a', 'b'], { patience: 100 })
    const ring = members(2)
    fetcher.wanted({ peer: 'a', created, members: ring })
    for (const memberKey of ring) fetcher.arrived(memberKey)
    expect(fetcher.size).toBe(0)
    await waitFor(() => sessions.length === 1, 'the session with the sender')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(sessions).toEqual(['a'])
    fetcher.stop()
  })
})
