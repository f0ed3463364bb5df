import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { ResponderSlots, addressGroup } from '../src/sync/admission.js'
import type { ResponderSlot } from '../src/sync/admission.js'

const LIMITS = { sessionsPerPeer: 2, requestsPerMinute: 20, maxResponding: 16, dialedReserve: 2, holdCap: 10_000 }

/** Sybils of every group in `sybilGroups` take slots, a hundred tries each in turn, at time `now`; returns the slots held per group (`held`, kept up to date as slots are taken over). */
function flood (slots: ResponderSlots, sybilGroups: string[], now: number, held = new Map<string, number>()): Map<string, number> {
  for (let i = 0; i < 100; i++) {
    for (const group of sybilGroups) {
      const peer = `${group}-${i}`
      if (!slots.enter(peer, now)) continue
      const slot = slots.take(group, now, () => { held.set(group, (held.get(group) ?? 0) - 1) })
      if (slot === undefined) slots.leave(peer, now)
      else held.set(group, (held.get(group) ?? 0) + 1)
    }
  }
  return held
}

/** Whether `peer` of `group` opens a stream and takes a shared slot at `now`. */
function takes (slots: ResponderSlots, peer: string, group: string, now: number): boolean {
  return slots.enter(peer, now) && slots.take(group, now, () => {})?.group === group
}

describe('responder slots', () => {
  it('one address alone may use every slot, and yields them one by one as other addresses come', () => {
    const slots = new ResponderSlots(LIMITS)
    const held = flood(slots, ['ip4/10.0.0.1'], 0)
    expect(held.get('ip4/10.0.0.1')).toBe(16)
    let honest = 0
    for (let i = 0; i < 8; i++) if (takes(slots, `honest-${i}`, `ip4/192.0.2.${i}`, 1)) honest++
    expect(honest).toBe(8)
    expect(held.get('ip4/10.0.0.1')).toBe(8)
    // the sybil address, far over its share of 16 / 9, takes nothing back
    expect(takes(slots, 'sybil-again', 'ip4/10.0.0.1', 2)).toBe(false)
  })

  it('sybils on three addresses (or three /64s of one /48) cannot keep an honest address out', () => {
    for (const order of [[['ip4/10.0.0.1', 'ip4/10.0.0.2', 'ip4/10.0.0.3']], [['ip4/10.0.0.1'], ['ip4/10.0.0.2'], ['ip4/10.0.0.3']]]) {
      const three = new ResponderSlots(LIMITS)
      const held = new Map<string, number>()
      for (const groups of order) flood(three, groups, 0, held)
      expect([...held.values()].reduce((a, b) => a + b)).toBeGreaterThanOrEqual(15)
      expect(Math.max(...held.values())).toBeLessThanOrEqual(6)
      expect(takes(three, 'honest', 'ip4/192.0.2.1', 0)).toBe(true)
    }

    const slash48 = new ResponderSlots(LIMITS)
    const groups = ['/ip6/2001:db8:7:1::1/tcp/1', '/ip6/2001:db8:7:2::1/tcp/1', '/ip6/2001:db8:7:3::1/tcp/1'].map((a) => addressGroup(multiaddr(a)))
    expect(new Set(groups).size).toBe(1)
    flood(slash48, groups, 0)
    expect(takes(slash48, 'honest', 'ip4/192.0.2.1', 0)).toBe(true)
  })

  it('sybils on ten addresses cannot keep an honest address out; past as many addresses as slots, it waits at most the hold cap', () => {
    const ten = new ResponderSlots(LIMITS)
    flood(ten, Array.from({ length: 10 }, (_, i) => `ip4/10.0.0.${i}`), 0)
    expect(takes(ten, 'honest', 'ip4/192.0.2.1', 0)).toBe(true)

    const many = new ResponderSlots(LIMITS)
    const held = flood(many, Array.from({ length: 16 }, (_, i) => `ip4/10.0.1.${i}`), 0)
    expect([...held.values()].every((n) => n === 1)).toBe(true)
    expect(takes(many, 'honest', 'ip4/192.0.2.1', 1)).toBe(false)
    many.leave('honest', 1)
    expect(takes(many, 'honest', 'ip4/192.0.2.1', LIMITS.holdCap)).toBe(true)
  })

  it('sybils on as many addresses as slots, or more, that end each session just before the cap and open the next, cannot keep honest peers out', () => {
    // review finding (issue 12, Medium 10): the cap was per session, so no slot ever grew old enough to take over
    for (const groups of [16, 20, 40]) {
      const slots = new ResponderSlots(LIMITS)
      const attacker = Array.from({ length: groups }, (_, i) => `ip4/10.0.2.${i}`)
      const live = new Set<{ slot: ResponderSlot, peer: string }>()
      let peers = 0
      const fill = (now: number): void => {
        for (const group of attacker) {
          for (;;) {
            const peer = `sybil-${peers++}`
            if (!slots.enter(peer, now)) break
            const entry = { slot: undefined as unknown as ResponderSlot, peer }
            const slot = slots.take(group, now, () => { live.delete(entry) })
            if (slot === undefined) {
              slots.leave(peer, now)
              break
            }
            entry.slot = slot
            live.add(entry)
          }
        }
      }
      let tries = 0
      let admitted = 0
      fill(0)
      for (let second = 1; second <= 600; second++) {
        const now = second * 1000
        for (const entry of [...live]) {
          if (now - entry.slot.since >= 9_000) {
            live.delete(entry)
            slots.leave(entry.peer, now, entry.slot)
          }
        }
        fill(now)
        if (second % 7 === 3) {
          // an honest initiator from an address of its own; its session takes a second
          tries++
          const peer = `honest-${second}`
          const slot = slots.enter(peer, now) ? slots.take(`ip4/192.0.2.${second % 50}`, now, () => {}) : undefined
          if (slot !== undefined) admitted++
          fill(now)
          slots.leave(peer, now + 1000, slot)
        }
      }
      expect(live.size).toBeGreaterThan(0)
      // the first minute of a flood may pass before a group stands a cap ahead of a newcomer
      expect(admitted, `${groups} groups`).toBeGreaterThanOrEqual(tries - 3)
    }
  })

  it('keeps a slot per address group for peers this node dialed, two in all, whatever the sybils hold', () => {
    const slots = new ResponderSlots(LIMITS)
    flood(slots, Array.from({ length: 16 }, (_, i) => `ip4/10.0.3.${i}`), 0)
    const take = (group: string, dialed: boolean): ResponderSlot | undefined => slots.take(group, 1, () => {}, dialed)
    expect(take('ip4/192.0.2.1', false)).toBeUndefined()
    const first = take('ip4/192.0.2.1', true)
    expect(first?.reserved).toBe(true)
    // one per group: a sybil this node happened to dial holds one at most
    expect(take('ip4/192.0.2.1', true)).toBeUndefined()
    expect(take('ip4/192.0.2.2', true)?.reserved).toBe(true)
    expect(take('ip4/192.0.2.3', true)).toBeUndefined()
    slots.leave('dialed', 2, first)
    expect(take('ip4/192.0.2.3', true)?.reserved).toBe(true)
    // a kept slot is never taken over, and the shared slots are as they were
    expect(slots.take('ip4/192.0.2.4', 3, () => {})).toBeUndefined()
  })

  it('a slot taken over is released once, and ends its session', () => {
    const slots = new ResponderSlots({ ...LIMITS, maxResponding: 2 })
    let ended = 0
    slots.enter('a1', 0)
    const first = slots.take('ip4/10.0.0.1', 0, () => { ended++ })
    slots.enter('a2', 0)
    expect(slots.take('ip4/10.0.0.1', 0, () => {})).toBeDefined()
    slots.enter('b', 0)
    expect(slots.take('ip4/192.0.2.1', 0, () => {})).toBeDefined()
    expect(ended).toBe(1)
    slots.leave('a1', 1, first)
    // one slot still held by each group: a third group finds none to take over before the cap
    slots.enter('c', 1)
    expect(slots.take('ip4/198.51.100.1', 1, () => {})).toBeUndefined()
  })

  it('a crowd behind one address is served in turn while the responder is not full', () => {
    const slots = new ResponderSlots(LIMITS)
    let served = 0
    for (let i = 0; i < 100; i++) {
      const peer = `crowd-${i}`
      const slot = slots.enter(peer, 0) ? slots.take('ip4/203.0.113.7', 0, () => {}) : undefined
      if (slot !== undefined) {
        served++
        slots.leave(peer, 0, slot)
      }
    }
    expect(served).toBe(100)
  })

  it('limits one peer\'s streams and their rate, and releases what a stream held', () => {
    const slots = new ResponderSlots({ ...LIMITS, requestsPerMinute: 3 })
    expect(slots.enter('p', 0)).toBe(true)
    expect(slots.enter('p', 0)).toBe(true)
    expect(slots.enter('p', 0)).toBe(false)
    slots.leave('p', 0)
    expect(slots.enter('p', 1)).toBe(true)
    slots.leave('p', 1)
    expect(slots.enter('p', 2)).toBe(false)
    expect(slots.enter('p', 60_001)).toBe(true)
  })
})

describe('address groups', () => {
  it.each([
    ['/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', 'ip4/192.0.2.1'],
    ['/ip6/2001:db8:1:2:3:4:5:6/tcp/4001', 'ip6/2001:0db8:0001::/48'],
    ['/ip6/2001:db8:1:3::1/udp/4001/quic-v1', 'ip6/2001:0db8:0001::/48'],
    ['/ip6/::1/tcp/1', 'ip6/0000:0000:0000::/48'],
    ['/ip6/::ffff:192.0.2.1/tcp/1', 'ip4/192.0.2.1'],
    ['/ip4/198.51.100.9/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf/p2p-circuit', 'ip4/198.51.100.9']
  ])('%s counts against %s', (address, group) => {
    expect(addressGroup(multiaddr(address))).toBe(group)
  })
})
