/**
 * How long and how a post leaves this node's stem (S9 follow-ups of issue 12): a relayed post is held at
 * most MAX_STEM_HOLD (plus one embargo) however many stem peers there are to try; an own post time
 * overtook is reported dropped, never as published unhidden; a relayed post kept at fluff is no error.
 * The router runs on a fake clock.
 */
import { describe, expect, it } from 'vitest'
import { EMBARGO_MEAN, EMBARGO_MIN, MAX_STEM_HOLD, StemRouter } from '../src/stem/index.js'
import { ENVELOPE, FakeClock, TOPIC, fluffReasons, seededRandom, setup } from './stem-fixtures.js'
import type { StemEvent } from '../src/stem/index.js'
import type { Logger } from '@libp2p/interface'

const PEERS = Array.from({ length: 12 }, (_, i) => `p${i}`)

/** A logger counting its error and trace lines. */
function countingLog (): { log: Logger, errors: string[], traces: string[] } {
  const errors: string[] = []
  const traces: string[] = []
  const log = Object.assign((_: string) => {}, {
    enabled: true,
    error: (line: string) => { errors.push(line) },
    trace: (line: string) => { traces.push(line) },
    newScope: () => log
  }) as unknown as Logger
  return { log, errors, traces }
}

/** A router over a fake clock whose `fluff` refuses every post and whose `passable` is `passable.now`. */
function refusing (passable: { now: boolean }): { router: StemRouter, clock: FakeClock, events: StemEvent[], errors: string[], traces: string[] } {
  const clock = new FakeClock()
  const events: StemEvent[] = []
  const { log, errors, traces } = countingLog()
  const router = new StemRouter({
    clock,
    random: seededRandom(3),
    log,
    send: () => {},
    fluff: async () => { throw Object.assign(new Error('kept, not passed on'), { name: 'PostValidationError', code: 'ERR_EXPIRED' }) },
    passable: () => passable.now,
    onEvent: (event) => { events.push(event) }
  }, { fluffProbability: 0 })
  return { router, clock, events, errors, traces }
}

describe('stem router: how long a post is held', () => {
  it('publishes a relayed post at the first embargo past MAX_STEM_HOLD, not after one embargo per stem peer', () => {
    const { router, clock, sent, events } = setup({ fluffProbability: 0 })
    for (const peer of PEERS) router.addPeer(peer, true)
    router.relay('x', TOPIC, ENVELOPE, 'swallowed')
    let held = 0
    while (router.heldCount > 0 && held < 100 * MAX_STEM_HOLD) {
      clock.advance(100)
      held += 100
    }
    // before: handed on to every other stem peer, about 11 × 20 s
    expect(fluffReasons(events)).toEqual(['embargo'])
    expect(held).toBeGreaterThanOrEqual(MAX_STEM_HOLD)
    expect(held).toBeLessThan(MAX_STEM_HOLD + EMBARGO_MIN + 10 * EMBARGO_MEAN)
    expect(sent.length).toBeLessThan(PEERS.length - 1)
  })

  it('refuses a negative or NaN maxHold', () => {
    for (const maxHold of [-1, Number.NaN]) {
      expect(() => setup({ maxHold })).toThrow(RangeError)
    }
  })

  it('holds an own post no longer than a relayed one (the bound says nothing of who wrote it)', async () => {
    const { router, clock, events } = setup({ fluffProbability: 0, embargoMin: 20_000, embargoMean: 0 })
    for (const peer of PEERS) router.addPeer(peer, true)
    await router.originate(TOPIC, ENVELOPE, 'own', 1234)
    router.relay('x', TOPIC, ENVELOPE, 'relayed')
    clock.advance(MAX_STEM_HOLD)
    expect(router.heldCount).toBe(0)
    expect(events.flatMap((e) => e.type === 'fluff' ? [`${e.id} ${e.reason}`] : [])).toEqual(['own embargo', 'relayed embargo'])
  })
})

describe('stem router: a post that may no longer leave', () => {
  it('reports an own post dropped (with fluff\'s error), never as fluffed from here', async () => {
    const passable = { now: true }
    const { router, clock, events } = refusing(passable)
    router.addPeer('a', true)
    await router.originate(TOPIC, ENVELOPE, 'own', 1234)
    passable.now = false
    clock.advance(EMBARGO_MIN + 20 * EMBARGO_MEAN)
    await new Promise((resolve) => setImmediate(resolve))
    expect(events.filter((e) => e.type === 'fluff')).toEqual([])
    expect(events.filter((e) => e.type === 'dropped')).toMatchObject([{ type: 'dropped', id: 'own', topic: TOPIC, error: { code: 'ERR_EXPIRED' } }])
  })

  it('logs a relayed post kept at fluff at trace level: a sender cannot fill the error log', async () => {
    const { router, clock, errors, traces } = refusing({ now: false })
    router.addPeer('a', true)
    for (let i = 0; i < 5; i++) router.relay('x', TOPIC, ENVELOPE, `late${i}`)
    clock.advance(EMBARGO_MIN + 20 * EMBARGO_MEAN)
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors).toEqual([])
    expect(traces.filter((line) => line.startsWith('fluff failed'))).toHaveLength(5)
  })
})
