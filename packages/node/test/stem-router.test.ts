import { describe, expect, it } from 'vitest'
import { EMBARGO_MEAN, EMBARGO_MIN, StemRouter } from '../src/stem/index.js'
import { ENVELOPE, EPOCH, FakeClock, TOPIC, fluffReasons, handoffs, seededRandom, setup } from './stem-fixtures.js'

describe('stem router: fluffing', () => {
  it('is a diffuser in a fraction q of epochs, and a diffuser fluffs every relayed post', () => {
    const { router, clock, sent, events } = setup({ fluffProbability: 0.1 }, 7)
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    const epochs = 10_000
    let diffuserEpochs = 0
    for (let i = 0; i < epochs; i++) {
      clock.advance(EPOCH)
      sent.length = 0
      const before = events.length
      router.relay('x', TOPIC, ENVELOPE, `a${i}`)
      router.relay('y', TOPIC, ENVELOPE, `b${i}`)
      const fluffs = fluffReasons(events.slice(before)).length
      router.seen(`a${i}`)
      router.seen(`b${i}`)
      if (router.isDiffuser) {
        diffuserEpochs++
        expect(fluffs).toBe(2)
        expect(sent).toHaveLength(0)
      } else {
        expect(fluffs).toBe(0)
        expect(sent).toHaveLength(2)
      }
    }
    // binomial(10000, 0.1): sd = 30; allow 5 sd
    expect(Math.abs(diffuserEpochs - 1000)).toBeLessThan(150)
  })

  it('never fluffs an own post from the author while a stem peer exists, even as a diffuser', async () => {
    const { router, clock, sent, fluffed } = setup({ fluffProbability: 1 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    for (let i = 0; i < 200; i++) {
      const result = await router.originate(TOPIC, ENVELOPE, `own${i}`, 1_000)
      expect(result).toEqual({ status: 'sent', recipients: 1 })
      expect(router.isDiffuser).toBe(true)
      // the post comes back through gossip well before its embargo timer
      clock.advance(2_000)
      router.seen(`own${i}`)
      if (i % 50 === 49) clock.advance(EPOCH)
    }
    clock.advance(100 * (EMBARGO_MIN + EMBARGO_MEAN))
    expect(fluffed).toHaveLength(0)
    expect(sent).toHaveLength(200)
    // within an epoch every own post took the same successor
    expect(new Set(sent.slice(0, 50).map((s) => s.peer)).size).toBe(1)
  })

  it('sends a held post through its other successor when its embargo timer fires, and fluffs it when none is left', () => {
    const { router, clock, events, fluffed, sent } = setup({ fluffProbability: 0, embargoMin: 1_000, embargoMean: 1_000 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    router.relay('x', TOPIC, ENVELOPE, 'held')
    router.relay('x', TOPIC, ENVELOPE, 'returns')
    router.seen('returns')
    expect(router.heldCount).toBe(1)
    // no timer fires before its floor
    clock.advance(999)
    expect(sent.filter((s) => s.id === 'held')).toHaveLength(1)
    clock.advance(60_000)
    expect(sent.filter((s) => s.id === 'held').map((s) => s.peer).sort()).toEqual(['a', 'b'])
    expect(fluffReasons(events)).toEqual(['embargo'])
    expect(fluffed.map((f) => f.id)).toEqual(['held'])
    expect(router.heldCount).toBe(0)
    // a late stem copy of a post that left the stem is dropped
    router.relay('y', TOPIC, ENVELOPE, 'held')
    expect(router.heldCount).toBe(0)
  })

  it('waits a short random delay with no stem peer, then fluffs and says the post was not hidden', async () => {
    const { router, clock, fluffed, events } = setup({ noPeerDelayMin: 500, noPeerDelayMax: 2_000 })
    const pending = router.originate(TOPIC, ENVELOPE, 'lonely', 1234)
    clock.advance(499)
    expect(fluffed).toHaveLength(0)
    clock.advance(1_501)
    await expect(pending).resolves.toEqual({ status: 'sent', recipients: 6 })
    expect(fluffed).toEqual([{ id: 'lonely', expires: 1234 }])
    expect(events).toContainEqual({ type: 'fluff', id: 'lonely', topic: TOPIC, reason: 'no-stem-peer', own: true })
  })

  it('stems an own post after all when a stem peer connects during the delay', async () => {
    const { router, clock, fluffed, sent } = setup({ noPeerDelayMin: 1_000, noPeerDelayMax: 1_001 })
    const pending = router.originate(TOPIC, ENVELOPE, 'late', 99)
    clock.advance(200)
    router.addPeer('a', true)
    clock.advance(1_000)
    await expect(pending).resolves.toEqual({ status: 'sent', recipients: 1 })
    expect(sent).toEqual([{ peer: 'a', id: 'late' }])
    expect(fluffed).toHaveLength(0)
  })

  it('sends a post that comes back along a cycle to the other successor, then ends the stem: handed to a stem peer to publish', () => {
    const { router, sent, events } = setup({ fluffProbability: 0 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    router.relay('x', TOPIC, ENVELOPE, 'cycle')
    const first = sent[0]!.peer
    router.relay('y', TOPIC, ENVELOPE, 'cycle')
    expect(sent.map((s) => s.peer)).toEqual([first, first === 'a' ? 'b' : 'a'])
    router.relay('z', TOPIC, ENVELOPE, 'cycle')
    expect(handoffs(events)).toHaveLength(1)
    expect(['a', 'b']).toContain(handoffs(events)[0])
    expect(fluffReasons(events)).toEqual([])
    // held until seen in gossip: later copies back change nothing
    router.relay('a', TOPIC, ENVELOPE, 'cycle')
    expect(sent).toHaveLength(3)
    expect(fluffReasons(events)).toEqual([])

    const here = setup({ fluffProbability: 0, handOff: false })
    here.router.addPeer('a', true)
    here.router.addPeer('b', true)
    for (const from of ['x', 'y', 'z']) here.router.relay(from, TOPIC, ENVELOPE, 'cycle')
    expect(fluffReasons(here.events)).toEqual(['loop'])
    expect(handoffs(here.events)).toEqual([])
  })

  it('treats an own post that comes back like a relayed one: another stem peer first, then out of the stem', async () => {
    for (const kind of ['own', 'relayed'] as const) {
      const { router, sent, events, fluffed } = setup({ fluffProbability: 0 })
      router.addPeer('a', true)
      router.addPeer('b', true)
      router.addPeer('u', false)
      if (kind === 'own') {
        await router.originate(TOPIC, ENVELOPE, 'p', 10_000)
      } else {
        router.relay('u', TOPIC, ENVELOPE, 'p')
      }
      // three stem peers: an own post avoids one at random, as a relayed one avoids the peer it came from
      const first = sent[0]!.peer
      router.relay(first, TOPIC, ENVELOPE, 'p')
      expect(sent).toHaveLength(2)
      expect(sent[1]!.peer).not.toBe(first)
      expect(fluffReasons(events)).toEqual([])
      router.relay(first, TOPIC, ENVELOPE, 'p')
      // its stem ends: handed, marked, to a stem peer other than the one bouncing it, to publish
      expect(sent).toHaveLength(3)
      expect(handoffs(events)).toEqual([sent[2]!.peer])
      expect(sent[2]!.peer).not.toBe(first)
      expect(fluffReasons(events)).toEqual([])
      expect(fluffed).toEqual([])
    }
    // had gossip brought it back, the author would never have published it
    const again = setup({ fluffProbability: 0, embargoMin: 1_000, embargoMean: 1_000 })
    again.router.addPeer('a', true)
    await again.router.originate(TOPIC, ENVELOPE, 'back', 10_000)
    again.clock.advance(900)
    again.router.seen('back')
    again.clock.advance(60_000)
    expect(again.fluffed).toHaveLength(0)
  })

  it('holds an own post resumed after a restart without sending it: a copy sent back takes the loop path as a held relayed one, the embargo gets it out', () => {
    const outcomes = { own: [] as number[], relayed: [] as number[] }
    for (let seed = 1; seed <= 50; seed++) {
      for (const kind of ['own', 'relayed'] as const) {
        const { router, sent, events } = setup({ fluffProbability: 0 }, seed)
        for (const peer of ['a', 'b', 'c', 'u']) router.addPeer(peer, peer !== 'u')
        let from: string
        if (kind === 'own') {
          router.resume(TOPIC, ENVELOPE, 'p', 10_000)
          expect(sent).toHaveLength(0)
          from = 'a'
        } else {
          router.relay('u', TOPIC, ENVELOPE, 'p')
          from = sent.shift()!.peer
        }
        // the attacker bounces it back until its stem ends: how many times it takes is the same
        let bounces = 0
        while (handoffs(events).length === 0) {
          router.relay(from, TOPIC, ENVELOPE, 'p')
          bounces++
          if (sent.length > 0) from = sent.shift()!.peer
        }
        expect(fluffReasons(events)).toEqual([])
        outcomes[kind].push(bounces)
      }
    }
    expect(outcomes.own).toEqual(outcomes.relayed)

    const swallowed = setup({ fluffProbability: 0, embargoMin: 1_000, embargoMean: 1_000 })
    swallowed.router.resume(TOPIC, ENVELOPE, 'p', 10_000)
    swallowed.router.addPeer('a', true)
    swallowed.clock.advance(120_000)
    expect(swallowed.sent).toHaveLength(0)
    expect(swallowed.fluffed).toEqual([{ id: 'p', expires: 10_000 }])
    expect(fluffReasons(swallowed.events)).toEqual(['embargo'])
  })

  it('when the table is full, forgets the oldest post of the peer holding the most, and publishes nothing for it', () => {
    const { router, events, sent } = setup({ fluffProbability: 0, maxHeld: 4 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    router.relay('honest', TOPIC, ENVELOPE, 'honest0')
    for (let i = 0; i < 5; i++) router.relay('flooder', TOPIC, ENVELOPE, `flood${i}`)
    router.relay('honest', TOPIC, ENVELOPE, 'honest1')
    expect(fluffReasons(events)).toEqual([])
    // every post went on
    expect(sent).toHaveLength(7)
    expect(router.heldCount).toBe(4)
    expect(router.heldCopy('honest0')).toBeDefined()
    expect(router.heldCopy('honest1')).toBeDefined()
    expect(router.heldCopy('flood4')).toBeDefined()
    expect(router.heldCopy('flood0')).toBeUndefined()
  })

  it('sends an own post on at once when the successor it went to disconnects, or as soon as a stem peer connects', async () => {
    const { router, sent, fluffed } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    await router.originate(TOPIC, ENVELOPE, 'own', 0)
    const first = sent[0]!.peer
    router.removePeer(first)
    expect(sent).toHaveLength(2)
    expect(sent[1]!.peer).not.toBe(first)

    const alone = setup({ fluffProbability: 0 })
    alone.router.addPeer('a', true)
    await alone.router.originate(TOPIC, ENVELOPE, 'own', 0)
    alone.router.removePeer('a')
    // nobody to take it: the author neither publishes it nor loses it
    expect(alone.sent.map((s) => s.peer)).toEqual(['a'])
    expect(alone.fluffed).toHaveLength(0)
    alone.router.addPeer('c', false)
    expect(alone.sent.map((s) => s.peer)).toEqual(['a', 'c'])
    expect(fluffed).toHaveLength(0)
  })

  it('re-routes a post whose write failed', () => {
    const { router, sent } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    router.relay('x', TOPIC, ENVELOPE, 'p')
    const failed = sent[0]!.peer
    router.sendFailed(failed)
    expect(sent).toHaveLength(2)
    expect(sent[1]!.peer).not.toBe(failed)
    expect(router.currentSuccessors).not.toContain(failed)
  })

  it('rejects pending own posts and clears every timer on stop', async () => {
    const { router, clock } = setup()
    const pending = router.originate(TOPIC, ENVELOPE, 'p', 1)
    router.stop()
    await expect(pending).rejects.toMatchObject({ name: 'StemStoppedError' })
    expect(clock.pending).toBe(0)
    await expect(router.originate(TOPIC, ENVELOPE, 'q', 1)).rejects.toMatchObject({ name: 'StemStoppedError' })
  })
})

describe('stem router: a black-hole successor', () => {
  it('cannot make a post disappear: every post reaches every node', async () => {
    // eight honest routers and one black hole, all connected; gossip reaches everyone 100 ms after a fluff
    const clock = new FakeClock()
    const random = seededRandom(42)
    const honest = Array.from({ length: 8 }, (_, i) => `n${i}`)
    const hole = 'hole'
    const delivered = new Map<string, Set<string>>()
    const reasons: string[] = []
    let swallowed = 0
    const routers = new Map<string, StemRouter>()
    const gossip = (id: string): void => {
      clock.setTimeout(() => {
        for (const [name, router] of routers) {
          delivered.get(id)!.add(name)
          router.seen(id)
        }
      }, 100)
    }
    for (const name of honest) {
      routers.set(name, new StemRouter({
        clock,
        random,
        send: (peer, topic, envelope, id) => {
          if (peer === hole) swallowed++
          if (peer !== hole) clock.setTimeout(() => { routers.get(peer)!.relay(name, topic, envelope, id) }, 50)
        },
        fluff: async (_topic, envelope) => {
          gossip(new TextDecoder().decode(envelope))
          return { status: 'sent', recipients: 8 }
        },
        onEvent: (event) => { if (event.type === 'fluff') reasons.push(event.reason) }
      }, { fluffProbability: 0.1, embargoMin: 1_000, embargoMean: 5_000 }))
    }
    for (const [name, router] of routers) {
      for (const peer of [...honest, hole]) if (peer !== name) router.addPeer(peer, true)
    }
    clock.advance(EPOCH)
    let posts = 0
    for (let round = 0; round < 20; round++) {
      for (const [name, router] of routers) {
        const id = `${name}-${round}`
        delivered.set(id, new Set())
        await router.originate(TOPIC, new TextEncoder().encode(id), id, 0)
        posts++
      }
      clock.advance(10 * 60_000)
      if (round % 5 === 4) clock.advance(EPOCH)
    }
    expect(delivered.size).toBe(posts)
    for (const [, nodes] of delivered) expect(nodes.size).toBe(honest.length)
    // the black hole was a successor for some routes: those posts went on when their embargo timers fired
    expect(swallowed).toBeGreaterThan(0)
    expect(reasons.length).toBeGreaterThanOrEqual(posts)
    for (const router of routers.values()) expect(router.heldCount).toBe(0)
  })
})
