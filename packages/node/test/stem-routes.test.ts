import { describe, expect, it } from 'vitest'
import { EPOCH_DURATION, EPOCH_JITTER } from '../src/stem/index.js'
import { ENVELOPE, EPOCH, TOPIC, setup } from './stem-fixtures.js'

describe('stem routes: epochs, successors and the inbound map', () => {
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

  it('sends an own post first to a successor we dialed; when that swallows it, to another stem peer, then publishes it', async () => {
    const { router, clock, sent, fluffed } = setup({ fluffProbability: 0 })
    router.addPeer('attacker', false)
    router.addPeer('out1', true)
    router.addPeer('in2', false)
    expect([...router.currentSuccessors].sort()).toEqual(['attacker', 'out1'])
    await router.originate(TOPIC, ENVELOPE, 'own', 0)
    // out1 swallows it: its timer hands it to one of the other two stem peers (the post avoids one of
    // them, as a relayed post avoids the peer it came from); when that vanishes too, the author publishes
    // it, as a relay would
    clock.advance(600_000)
    expect(sent.map((s) => s.peer)[0]).toBe('out1')
    expect(sent).toHaveLength(2)
    expect(['attacker', 'in2']).toContain(sent[1]!.peer)
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
