/**
 * The stem's entry delay (ENTRY_DELAY_MIN..MAX): a post that enters the stem at a node, its own or one a
 * predecessor sent, goes on to its successor after the same uniform random delay, so that its frame leaves
 * a node that has been idle as long either way (the timing through the hand-off mark, stem-handoff-timing).
 * An own post's `originate` resolves before its frame leaves: the work of making it is over by then.
 */
import { describe, expect, it } from 'vitest'
import { ENTRY_DELAY_MAX, ENTRY_DELAY_MIN, StemRouter } from '../src/stem/index.js'
import { advantage } from './timing-advantage.js'
import { ENVELOPE, TOPIC, fluffReasons, setup } from './stem-fixtures.js'

/** The shipped delay, named for the router under test (the fixtures send at once unless told). */
const DELAY = { entryDelayMin: ENTRY_DELAY_MIN, entryDelayMax: ENTRY_DELAY_MAX }

describe('the stem entry delay', () => {
  it('holds an own post and a relayed one alike, for a uniform delay in [min, max), the own post reported sent at once', async () => {
    const { router, clock, sent } = setup({ ...DELAY, fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    const waited = { own: [] as number[], relayed: [] as number[] }
    for (let i = 0; i < 200; i++) {
      for (const kind of ['own', 'relayed'] as const) {
        const id = `${kind} ${i}`
        const start = clock.now()
        if (kind === 'own') {
          await expect(router.originate(TOPIC, ENVELOPE, id, 1234)).resolves.toEqual({ status: 'sent', recipients: 1 })
        } else {
          router.relay('c', TOPIC, ENVELOPE, id)
        }
        // nothing leaves before the delay is over
        expect(sent.some((s) => s.id === id)).toBe(false)
        while (!sent.some((s) => s.id === id)) clock.advance(1)
        waited[kind].push(clock.now() - start)
        router.seen(id)
      }
    }
    for (const delays of Object.values(waited)) {
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(ENTRY_DELAY_MIN)
      expect(Math.max(...delays)).toBeLessThanOrEqual(ENTRY_DELAY_MAX)
    }
    // the same draw: a successor timing when frames arrive cannot tell own from relayed by it
    expect(advantage(waited.own, waited.relayed)).toBeLessThan(0.15)
    router.stop()
  })

  it('drops a copy that comes back during the delay, publishes a marked one at once, and lets a post seen in gossip or a stop end the wait', async () => {
    const { router, clock, sent, fluffed, events } = setup({ ...DELAY, fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    router.relay('c', TOPIC, ENVELOPE, 'twice')
    // a sybil sends the copy it got elsewhere: not a loop (the post never went on), nothing sent now
    router.relay('a', TOPIC, ENVELOPE, 'twice')
    router.relay('c', TOPIC, ENVELOPE, 'marked')
    router.relay('b', TOPIC, ENVELOPE, 'marked', 'b', true)
    expect(fluffReasons(events)).toEqual(['handoff'])
    await router.originate(TOPIC, ENVELOPE, 'gossiped', 99)
    router.seen('gossiped')
    expect(sent).toEqual([])
    clock.advance(ENTRY_DELAY_MAX)
    // once: the copy that came back started nothing of its own; the marked one and the gossiped one are out
    expect(sent.map((s) => s.id)).toEqual(['twice'])
    expect(fluffed.map((f) => f.id)).toEqual(['marked'])
    await router.originate(TOPIC, ENVELOPE, 'stopped', 99)
    router.stop()
    expect(clock.pending).toBe(0)
  })

  it('sends a post whose successor left during the delay through another, and out of the stem when no stem peer is left', async () => {
    const { router, clock, sent, fluffed, events } = setup({ ...DELAY, fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    await router.originate(TOPIC, ENVELOPE, 'own', 99)
    const route = router.ownRoute!
    router.removePeer(route)
    clock.advance(ENTRY_DELAY_MAX)
    expect(sent.map((s) => s.id)).toEqual(['own'])
    expect(sent[0]!.peer).not.toBe(route)
    expect(fluffed).toEqual([])
    router.seen('own')
    // every stem peer leaves while an own post and one relayed from one of them wait
    const left = ['a', 'b', 'c'].filter((peer) => peer !== route)
    await router.originate(TOPIC, ENVELOPE, 'alone', 99)
    router.relay(left[0]!, TOPIC, ENVELOPE, 'relayed')
    for (const peer of left) router.removePeer(peer)
    clock.advance(ENTRY_DELAY_MAX)
    expect(fluffed.map((f) => f.id).sort()).toEqual(['alone', 'relayed'])
    expect(fluffReasons(events).sort()).toEqual(['no-route', 'no-stem-peer'])
    router.stop()
  })

  it('refuses a negative delay or a max below the min', () => {
    const components = { send: () => {}, fluff: async () => ({ status: 'sent' as const, recipients: 0 }) }
    expect(() => new StemRouter(components, { entryDelayMin: -1 })).toThrow(RangeError)
    expect(() => new StemRouter(components, { entryDelayMin: 50, entryDelayMax: 40 })).toThrow(RangeError)
    new StemRouter(components, { entryDelayMin: 0, entryDelayMax: 0 }).stop()
  })
})
