/**
 * A stem with no diffuser ahead (issue 14 §3): in a small channel, or an epoch in which few nodes drew the
 * diffuser role, a post walks the stem graph and keeps coming back to nodes that already sent it on. Each
 * node sends a post that comes back on at most `LOOP_LIMIT` times; the next copy back ends its stem there.
 * Routers only, wired to one another on a fake clock (every stem hop takes 1 ms), so the counts are exact.
 */
import { describe, expect, it } from 'vitest'
import { LOOP_LIMIT, StemRouter } from '../src/stem/index.js'
import { ENVELOPE, EPOCH, FakeClock, TOPIC, fluffReasons, seededRandom, setup } from './stem-fixtures.js'
import type { StemEvent, StemRouterInit } from '../src/stem/index.js'

/** How one post left the stem. */
interface Outcome {
  hops: number
  /** Copies that came back to a node holding the post. */
  returns: number
  reason: string
  /** The author ended its own stem. */
  atAuthor: boolean
  /** Simulated ms from the post to its fluff. */
  ms: number
}

/**
 * `n` routers on one fake clock; `dials[v]` the peers node v dialed (the others of its connections dialed
 * it). Every node posts once, a second apart, in a full epoch; when a post is fluffed, gossip brings it to
 * every node 1 ms later. Returns what happened to each post, by author.
 */
function run (n: number, dials: number[][], init: StemRouterInit, seed: number): Outcome[] {
  const clock = new FakeClock()
  const routers: StemRouter[] = []
  const outcomes: Outcome[] = Array.from({ length: n }, () => ({ hops: 0, returns: 0, reason: '', atAuthor: false, ms: NaN }))
  const held = Array.from({ length: n }, () => new Set<string>())
  const postedAt = new Float64Array(n)
  for (let v = 0; v < n; v++) {
    routers.push(new StemRouter({
      clock,
      random: seededRandom(seed * 1_000 + v),
      send: (peer, topic, envelope, id) => {
        outcomes[Number(id)]!.hops++
        clock.setTimeout(() => {
          const to = Number(peer)
          if (held[to]!.has(id)) outcomes[Number(id)]!.returns++
          held[to]!.add(id)
          routers[to]!.relay(String(v), topic, envelope, id)
        }, 1)
      },
      fluff: async () => ({ status: 'sent', recipients: 1 }),
      onEvent: (event: StemEvent) => {
        if (event.type !== 'fluff') return
        const outcome = outcomes[Number(event.id)]!
        if (outcome.reason !== '') return
        outcome.reason = event.reason
        outcome.atAuthor = event.own
        outcome.ms = clock.now() - postedAt[Number(event.id)]!
        clock.setTimeout(() => { for (const router of routers) router.seen(event.id) }, 1)
      }
    }, init))
  }
  for (let v = 0; v < n; v++) {
    for (const u of dials[v]!) {
      routers[v]!.addPeer(String(u), true)
      routers[u]!.addPeer(String(v), false)
    }
  }
  // past the provisional epoch: every router draws its successors from all its peers
  clock.advance(EPOCH)
  for (let v = 0; v < n; v++) {
    clock.setTimeout(() => {
      postedAt[v] = clock.now()
      held[v]!.add(String(v))
      void routers[v]!.originate(TOPIC, ENVELOPE, String(v), 0)
    }, 1_000 * (v + 1))
  }
  clock.advance(10 * EPOCH)
  for (const router of routers) router.stop()
  return outcomes
}

/** A ring in which every node also dials the node two places on: 4 stem peers each, 2 of them dialed. */
const chordRing = (n: number): number[][] => Array.from({ length: n }, (_, v) => [(v + 1) % n, (v + 2) % n])

/** A seeded random mesh: every node dials 3 others it is not connected to yet, as in the anonymity simulation. */
function meshDials (n: number, seed: number): number[][] {
  const random = seededRandom(seed)
  const linked = Array.from({ length: n }, () => new Set<number>())
  return Array.from({ length: n }, (_, v) => {
    const dials: number[] = []
    while (dials.length < 3 && linked[v]!.size < n - 1) {
      const u = Math.floor(random() * n)
      if (u === v || linked[v]!.has(u)) continue
      linked[v]!.add(u)
      linked[u]!.add(v)
      dials.push(u)
    }
    return dials
  })
}

describe('stem: a post that keeps coming back', () => {
  it('6-node channel, no diffuser: every post leaves its stem on a loop, each node sending it on at most twice', () => {
    const all: Outcome[] = []
    for (let seed = 1; seed <= 50; seed++) all.push(...run(6, chordRing(6), { fluffProbability: 0 }, seed))
    expect(new Set(all.map((o) => o.reason))).toEqual(new Set(['loop']))
    // once when it first comes, once per return it may take: 12 hops at most (the rule before LOOP_LIMIT,
    // sending a post on until its node had no stem peer left to try, took up to 18 here, 14.5 on average)
    expect(LOOP_LIMIT).toBe(1)
    expect(Math.max(...all.map((o) => o.hops))).toBeLessThanOrEqual(12)
    expect(all.reduce((sum, o) => sum + o.hops, 0) / all.length).toBeLessThan(12)
    // a hop takes 1 ms here: out long before any embargo timer (10 s at least)
    expect(Math.max(...all.map((o) => o.ms))).toBeLessThanOrEqual(13)
  })

  it('a 20-node mesh with no diffuser: stems half as long as when a post went on until no stem peer was left', () => {
    const mean = (loopLimit: number): number => {
      const all: Outcome[] = []
      for (let seed = 1; seed <= 20; seed++) all.push(...run(20, meshDials(20, seed), { fluffProbability: 0, loopLimit }, seed))
      expect(new Set(all.map((o) => o.reason))).toEqual(new Set(['loop']))
      return all.reduce((sum, o) => sum + o.hops, 0) / all.length
    }
    const limited = mean(LOOP_LIMIT)
    const unlimited = mean(Infinity)
    expect(limited).toBeLessThan(unlimited / 2)
    expect(limited).toBeLessThanOrEqual(20 * (LOOP_LIMIT + 1))
  })

  it('a successor bouncing a post sees it published on the same bounce whether it is the node\'s own or relayed', async () => {
    const peers = Array.from({ length: 10 }, (_, i) => `p${i}`)
    for (let seed = 1; seed <= 20; seed++) {
      const bounces: Record<'own' | 'relayed', number> = { own: 0, relayed: 0 }
      for (const kind of ['own', 'relayed'] as const) {
        const { router, sent, events } = setup({ fluffProbability: 0 }, seed)
        for (const peer of peers) router.addPeer(peer, true)
        router.addPeer('in', false)
        if (kind === 'own') await router.originate(TOPIC, ENVELOPE, 'p', 10_000)
        else router.relay('in', TOPIC, ENVELOPE, 'p')
        // every peer the post goes to sends it straight back
        while (fluffReasons(events).length === 0) {
          router.relay(sent.at(-1)!.peer, TOPIC, ENVELOPE, 'p')
          bounces[kind]++
        }
        expect(fluffReasons(events)).toEqual(['loop'])
      }
      // with ten peers to try, the rule before LOOP_LIMIT took ten bounces; now LOOP_LIMIT + 1 = 2, both ways
      expect(bounces).toEqual({ own: 2, relayed: 2 })
    }
  })

  it('loopLimit must be a non-negative integer or Infinity', () => {
    for (const loopLimit of [-1, 0.5, Number.NaN]) {
      expect(() => new StemRouter({ send: () => {}, fluff: async () => ({ status: 'sent', recipients: 0 }) }, { loopLimit })).toThrow(RangeError)
    }
  })
})
