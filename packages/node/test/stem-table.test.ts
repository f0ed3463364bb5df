/**
 * Issue 12, Medium 8: four inbound peers with 256 posts each used to fill every router's table of held
 * posts, after which every honest post passing through was published at once. A full-table attack must
 * leave honest stems their normal length distribution.
 */
import { describe, expect, it } from 'vitest'
import { MAX_HELD_POSTS, StemRouter } from '../src/stem/index.js'
import { ENVELOPE, EPOCH, FakeClock, TOPIC, seededRandom } from './stem-fixtures.js'

const NODES = 20
const POSTS = 1_000
const FLOODERS = 4

/** Hops of each honest stem (frames sent until the post left the stem) on a ring with chords, q = 0.2. */
function stemLengths (flood: boolean): { hops: number[], fullTables: number } {
  const clock = new FakeClock()
  const random = seededRandom(11)
  const routers: StemRouter[] = []
  const hops = new Map<string, number>()
  const gossip = (id: string): void => {
    clock.setTimeout(() => { for (const router of routers) router.seen(id) }, 100)
  }
  for (let v = 0; v < NODES; v++) {
    routers.push(new StemRouter({
      clock,
      random,
      send: (peer, topic, envelope, id) => {
        // flood posts are swallowed downstream: only the flooded tables matter here
        if (id.startsWith('flood')) return
        hops.set(id, (hops.get(id) ?? 0) + 1)
        clock.setTimeout(() => { routers[Number(peer)]!.relay(String(v), topic, envelope, id) }, 50)
      },
      fluff: async () => ({ status: 'sent', recipients: NODES }),
      onEvent: (event) => { if (event.type === 'fluff' && !event.id.startsWith('flood')) gossip(event.id) }
      // timers far beyond the test: held flood posts stay held, and honest stems end by the diffuser rule;
      // epochs shorter than the time between two posts: every stem meets freshly drawn roles, so the
      // lengths are independent samples
    }, { fluffProbability: 0.2, embargoMin: 3_600_000, epochDuration: 1_000, epochJitter: 100 }))
  }
  routers.forEach((router, v) => {
    for (const d of [1, 2, 5]) router.addPeer(String((v + d) % NODES), true)
    for (const d of [1, 2, 5]) router.addPeer(String((v - d + NODES) % NODES), false)
  })
  clock.advance(EPOCH)
  let flooded = 0
  let fullTables = 0
  for (let i = 0; i < POSTS; i++) {
    if (flood) {
      // every inbound flooder keeps 300 fresh posts at every router: more than a quarter of its table
      for (const router of routers) {
        for (let f = 0; f < FLOODERS; f++) {
          for (let k = 0; k < (i === 0 ? 300 : 3); k++) router.relay(`flooder${f}`, TOPIC, ENVELOPE, `flood${flooded++}`)
        }
      }
      fullTables += routers.filter((router) => router.heldCount >= MAX_HELD_POSTS).length
    }
    void routers[i % NODES]!.originate(TOPIC, ENVELOPE, `honest${i}`, 0)
    clock.advance(2_000)
  }
  return { hops: [...hops.entries()].filter(([id]) => id.startsWith('honest')).map(([, n]) => n), fullTables }
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
const share = (values: number[], at: number): number => values.filter((v) => v <= at).length / values.length

describe('stem: a full table of held posts', () => {
  it('leaves honest stems their normal length distribution', () => {
    const clean = stemLengths(false)
    const attacked = stemLengths(true)
    expect(clean.hops).toHaveLength(POSTS)
    expect(attacked.hops).toHaveLength(POSTS)
    // geometric with q = 0.2 after the author's hop: mean ≈ 1 + 4 = 5 hops
    expect(mean(clean.hops)).toBeGreaterThan(3.5)
    // 1,000 stems each: the means' difference has a standard error of about 0.2 hops
    expect(Math.abs(mean(attacked.hops) - mean(clean.hops))).toBeLessThan(0.7)
    for (const at of [1, 2, 3, 5, 8]) {
      expect(Math.abs(share(attacked.hops, at) - share(clean.hops, at))).toBeLessThan(0.07)
    }
    // and the attack did keep the tables full
    expect(attacked.fullTables).toBeGreaterThan(POSTS * NODES / 2)
  })
})
