import { describe, expect, it } from 'vitest'
import { EMBARGO_MEAN, EPOCH_DURATION, EPOCH_JITTER, StemRouter, embargoMean } from '../src/stem/index.js'
import { FakeClock, seededRandom } from './stem-fixtures.js'
import type { SendResult } from '../src/outbound.js'
import type { StemEvent, StemRouterInit } from '../src/stem/index.js'

const TOPIC = 'murmur/1/#stem'
const ENVELOPE = new Uint8Array([1, 2, 3])
const EPOCH = EPOCH_DURATION + EPOCH_JITTER

interface Harness {
  router: StemRouter
  clock: FakeClock
  sent: Array<{ peer: string, id: string }>
  fluffed: Array<{ id: string, expires: number | undefined }>
  events: StemEvent[]
}

function setup (init: StemRouterInit = {}, seed = 1): Harness {
  const clock = new FakeClock()
  const sent: Harness['sent'] = []
  const fluffed: Harness['fluffed'] = []
  const events: StemEvent[] = []
  const router = new StemRouter({
    clock,
    random: seededRandom(seed),
    send: (peer, _topic, _envelope, id) => { sent.push({ peer, id }) },
    fluff: async (_topic, _envelope, expires): Promise<SendResult> => {
      fluffed.push({ id: fluffIds.shift() ?? '', expires })
      return { status: 'sent', recipients: 6 }
    },
    onEvent: (event) => {
      events.push(event)
      if (event.type === 'fluff') fluffIds.push(event.id)
    }
  }, init)
  // fluff events precede the fluff call: ids are queued by the event and consumed by the call
  const fluffIds: string[] = []
  return { router, clock, sent, fluffed, events }
}

function fluffReasons (events: StemEvent[]): string[] {
  return events.flatMap((e) => e.type === 'fluff' ? [e.reason] : [])
}

describe('stem router: epochs and routes', () => {
  it('picks two successors per epoch, maps each inbound peer to one of them, and rotates at epoch end', () => {
    const { router, clock, sent } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c', 'd', 'e', 'f']) router.addPeer(peer, true)
    const seenSets = new Set<string>()
    for (let epoch = 0; epoch < 20; epoch++) {
      sent.length = 0
      const inbound = Array.from({ length: 12 }, (_, i) => `in${i}`)
      for (let round = 0; round < 5; round++) {
        for (const from of inbound) router.relay(from, TOPIC, ENVELOPE, `${epoch}-${round}-${from}`)
      }
      const successors = [...router.currentSuccessors]
      expect(successors).toHaveLength(2)
      expect(new Set(successors).size).toBe(2)
      expect(successors).toContain(router.ownRoute)
      seenSets.add([...successors].sort().join())
      // every post of one inbound peer took the same successor within the epoch
      for (const from of inbound) {
        const targets = new Set(sent.filter((s) => s.id.endsWith(`-${from}`)).map((s) => s.peer))
        expect(targets.size).toBe(1)
        expect(successors).toContain([...targets][0])
        expect(router.routeOf(from)).toBe([...targets][0])
      }
      // the map is one-to-one: 12 inbound peers spread 6 and 6 over the two successors
      for (const successor of successors) {
        expect(inbound.filter((from) => router.routeOf(from) === successor)).toHaveLength(6)
      }
      clock.advance(EPOCH)
    }
    // successors change between epochs
    expect(seenSets.size).toBeGreaterThan(5)
  })

  it('maps two inbound peers to different successors in every epoch (one-to-one forwarding)', () => {
    const { router, clock } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c', 'd']) router.addPeer(peer, true)
    for (let epoch = 0; epoch < 50; epoch++) {
      clock.advance(EPOCH)
      router.relay('x', TOPIC, ENVELOPE, `${epoch}-x`)
      router.relay('y', TOPIC, ENVELOPE, `${epoch}-y`)
      const x = router.routeOf('x')
      const y = router.routeOf('y')
      expect(router.currentSuccessors).toContain(x)
      expect(router.currentSuccessors).toContain(y)
      expect(x).not.toBe(y)
    }
  })

  it('keeps routes until the epoch ends, then forgets the inbound mapping', () => {
    const { router, clock, events } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c', 'd']) router.addPeer(peer, true)
    // the epoch begun while peers were still connecting is provisional: start a full one
    clock.advance(EPOCH)
    router.relay('x', TOPIC, ENVELOPE, 'p1')
    const route = router.routeOf('x')
    const epochs = events.filter((e) => e.type === 'epoch').length
    clock.advance(EPOCH_DURATION - 1)
    router.relay('x', TOPIC, ENVELOPE, 'p2')
    expect(router.routeOf('x')).toBe(route)
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(epochs)
    clock.advance(EPOCH_JITTER + 1)
    router.relay('y', TOPIC, ENVELOPE, 'p3')
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(epochs + 1)
    expect(router.routeOf('x')).toBeUndefined()
  })

  it('prefers peers it dialed over peers that dialed it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { router, clock } = setup({}, seed)
      for (const peer of ['in1', 'in2', 'in3', 'in4']) router.addPeer(peer, false)
      router.addPeer('out1', true)
      router.addPeer('out2', true)
      clock.advance(EPOCH)
      router.relay('z', TOPIC, ENVELOPE, `p${seed}`)
      expect([...router.currentSuccessors].sort()).toEqual(['out1', 'out2'])
    }
  })

  it('lets a successor that dialed us give way to a peer we dialed, at once, and sends own posts through dialed peers', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { router, sent } = setup({ fluffProbability: 0 }, seed)
      // an attacker that dials every fresh node arrives first: taken for want of anything better
      router.addPeer('attacker', false)
      expect(router.currentSuccessors).toEqual(['attacker'])
      expect(router.ownRoute).toBe('attacker')
      router.relay('x', TOPIC, ENVELOPE, `x${seed}`)
      expect(router.routeOf('x')).toBe('attacker')
      // the first peer we dialed fills the free slot and takes the own route within the same epoch
      router.addPeer('out1', true)
      expect([...router.currentSuccessors].sort()).toEqual(['attacker', 'out1'])
      expect(router.ownRoute).toBe('out1')
      // the second replaces the attacker; what was mapped to it is mapped again
      router.addPeer('out2', true)
      expect([...router.currentSuccessors].sort()).toEqual(['out1', 'out2'])
      expect(router.routeOf('x')).toBeUndefined()
      expect(['out1', 'out2']).toContain(router.ownRoute)
      sent.length = 0
      void router.originate(TOPIC, ENVELOPE, `own${seed}`, 0)
      router.relay('x', TOPIC, ENVELOPE, `y${seed}`)
      expect(sent.map((s) => s.peer).every((peer) => peer !== 'attacker')).toBe(true)
      // a peer that dials us later never displaces a dialed successor
      router.addPeer('attacker2', false)
      expect([...router.currentSuccessors].sort()).toEqual(['out1', 'out2'])
    }
  })

  it('re-sends an own post only through dialed successors; a successor that dialed us gets it last, before the author gives up', async () => {
    const { router, clock, sent, fluffed } = setup({ fluffProbability: 0 })
    router.addPeer('attacker', false)
    router.addPeer('out1', true)
    expect([...router.currentSuccessors].sort()).toEqual(['attacker', 'out1'])
    await router.originate(TOPIC, ENVELOPE, 'own', 0)
    // out1 swallows it: every re-send (OWN_RESENDS = 3) goes to out1 again; only then the peer that
    // dialed us, rather than the author publishing it itself; and when that vanishes too, the author does
    clock.advance(600_000)
    expect(sent.map((s) => s.peer)).toEqual(['out1', 'out1', 'out1', 'out1', 'attacker'])
    expect(fluffed.map((f) => f.id)).toEqual(['own'])
  })

  it('keeps a peer it dialed as dialed when it also connects to us, and moves the own route when a successor turns out dialed', () => {
    const { router } = setup({ fluffProbability: 0 })
    router.addPeer('out1', true)
    router.addPeer('out2', true)
    // out1 seen again over a connection it opened (identify push, a second connection)
    router.addPeer('out1', false)
    router.addPeer('out3', true)
    expect([...router.currentSuccessors].sort()).toEqual(['out1', 'out2'])

    const other = setup({ fluffProbability: 0 }, 7).router
    other.addPeer('in1', false)
    other.addPeer('in2', false)
    const notOwn = other.currentSuccessors.find((peer) => peer !== other.ownRoute)!
    // we dial the successor that is not the own route: own posts move to it
    other.addPeer(notOwn, true)
    expect(other.ownRoute).toBe(notOwn)
  })

  it('takes peers that dialed us when it dialed none, and keeps the own route on a dialed successor', () => {
    const { router } = setup({ fluffProbability: 0 })
    router.addPeer('in1', false)
    router.addPeer('in2', false)
    expect([...router.currentSuccessors].sort()).toEqual(['in1', 'in2'])
    router.addPeer('out1', true)
    expect(router.currentSuccessors).toContain('out1')
    expect(router.ownRoute).toBe('out1')
    // losing the dialed successor falls back to what is left
    router.removePeer('out1')
    expect(router.currentSuccessors).toHaveLength(2)
    expect(router.currentSuccessors).toContain(router.ownRoute)
  })

  it('replaces a successor that disconnects, re-mapping its inbound peers and the own route', () => {
    const { router, sent } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    router.relay('x', TOPIC, ENVELOPE, 'p1')
    const gone = router.ownRoute!
    router.removePeer(gone)
    expect(router.currentSuccessors).toHaveLength(2)
    expect(router.currentSuccessors).not.toContain(gone)
    expect(router.currentSuccessors).toContain(router.ownRoute)
    expect(router.ownRoute).not.toBe(gone)
    sent.length = 0
    for (let i = 0; i < 20; i++) router.relay(`in${i}`, TOPIC, ENVELOPE, `q${i}`)
    expect(sent.every((s) => s.peer !== gone)).toBe(true)
  })

  it('fills missing successors as peers connect, in a provisional epoch that ends early', () => {
    const { router, clock, events } = setup()
    router.addPeer('a', true)
    expect(router.currentSuccessors).toEqual(['a'])
    expect(router.ownRoute).toBe('a')
    router.addPeer('b', true)
    expect([...router.currentSuccessors].sort()).toEqual(['a', 'b'])
    const epochs = events.filter((e) => e.type === 'epoch').length
    clock.advance(60_000)
    router.addPeer('c', true)
    // the provisional epoch is over: a fresh draw among a, b, c
    expect(events.filter((e) => e.type === 'epoch').length).toBe(epochs + 1)
    expect(router.currentSuccessors).toHaveLength(2)
  })
})

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
    clock.advance(100 * EMBARGO_MEAN)
    expect(fluffed).toHaveLength(0)
    expect(sent).toHaveLength(200)
    // within an epoch every own post took the same successor
    expect(new Set(sent.slice(0, 50).map((s) => s.peer)).size).toBe(1)
  })

  it('fluffs a held post when its embargo timer fires before gossip brought it back', () => {
    const { router, clock, events, fluffed } = setup({ fluffProbability: 0, embargoMean: 1_000 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    router.relay('x', TOPIC, ENVELOPE, 'held')
    router.relay('x', TOPIC, ENVELOPE, 'returns')
    router.seen('returns')
    expect(router.heldCount).toBe(1)
    clock.advance(60_000)
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

  it('sends a post that comes back along a cycle to the other successor, then ends the stem', () => {
    const { router, sent, events } = setup({ fluffProbability: 0 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    router.relay('x', TOPIC, ENVELOPE, 'cycle')
    const first = sent[0]!.peer
    router.relay('y', TOPIC, ENVELOPE, 'cycle')
    expect(sent.map((s) => s.peer)).toEqual([first, first === 'a' ? 'b' : 'a'])
    router.relay('z', TOPIC, ENVELOPE, 'cycle')
    expect(fluffReasons(events)).toEqual(['loop'])
  })

  it('never ends the stem of an own post at its author on a cycle; re-sends it, and publishes only when every re-send vanished', async () => {
    const { router, clock, sent, events, fluffed } = setup({ fluffProbability: 0, ownEmbargoMin: 1_000, ownEmbargoMean: 1_000, ownResends: 3 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    await router.originate(TOPIC, ENVELOPE, 'mine', 10_000)
    const first = sent[0]!.peer
    const other = first === 'a' ? 'b' : 'a'
    // back along a cycle from the other successor, then from the first: the author keeps it, never fluffs
    router.relay(other, TOPIC, ENVELOPE, 'mine')
    router.relay(first, TOPIC, ENVELOPE, 'mine')
    router.relay(other, TOPIC, ENVELOPE, 'mine')
    expect(fluffReasons(events)).toEqual([])
    expect(sent.length).toBeGreaterThanOrEqual(2)
    // the timer re-sends it through its successors (black holes here: nothing comes back), three times
    const before = sent.length
    clock.advance(60_000)
    expect(sent.length - before).toBe(3)
    expect(fluffReasons(events)).toEqual(['embargo'])
    expect(fluffed.map((f) => f.id)).toEqual(['mine'])
    // had gossip brought it back, the author would never have published it
    const again = setup({ fluffProbability: 0, ownEmbargoMin: 1_000, ownEmbargoMean: 1_000 })
    again.router.addPeer('a', true)
    await again.router.originate(TOPIC, ENVELOPE, 'back', 10_000)
    again.clock.advance(2_500)
    again.router.seen('back')
    again.clock.advance(60_000)
    expect(again.fluffed).toHaveLength(0)
  })

  it('holds at most maxHeldPerPeer posts from one inbound peer; the rest of its posts leave the stem at once', () => {
    const { router, events } = setup({ fluffProbability: 0, maxHeldPerPeer: 3 })
    router.addPeer('a', true)
    router.addPeer('b', true)
    for (let i = 0; i < 5; i++) router.relay('flooder', TOPIC, ENVELOPE, `flood${i}`)
    router.relay('honest', TOPIC, ENVELOPE, 'honest0')
    expect(router.heldCount).toBe(4)
    expect(fluffReasons(events)).toEqual(['full', 'full'])
  })

  it('re-routes a post whose write failed', () => {
    const { router, sent } = setup({ fluffProbability: 0 })
    for (const peer of ['a', 'b', 'c']) router.addPeer(peer, true)
    router.relay('x', TOPIC, ENVELOPE, 'p')
    const failed = sent[0]!.peer
    router.sendFailed(failed, 'p')
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
          if (peer !== hole) clock.setTimeout(() => { routers.get(peer)!.relay(name, topic, envelope, id) }, 50)
        },
        fluff: async (_topic, envelope) => {
          gossip(new TextDecoder().decode(envelope))
          return { status: 'sent', recipients: 8 }
        },
        onEvent: (event) => { if (event.type === 'fluff') reasons.push(event.reason) }
      }, { fluffProbability: 0.1, embargoMean: 5_000 }))
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
    // the black hole was a successor for some routes: those posts came out through embargo timers
    expect(reasons).toContain('embargo')
    for (const router of routers.values()) expect(router.heldCount).toBe(0)
  })
})

describe('embargo timer', () => {
  it('follows Dandelion++ Proposition 3', () => {
    expect(EMBARGO_MEAN).toBeCloseTo(-10 * 9 * 200 / (2 * Math.log(0.9)), 6)
    expect(Math.round(EMBARGO_MEAN)).toBe(85_421)
    expect(embargoMean(175, 5, 0.1)).toBeCloseTo(16_610, -1)
    expect(() => embargoMean(100, 1, 0.1)).toThrow(RangeError)
  })
})
