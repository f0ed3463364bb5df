import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { ResponderSlots, addressGroup } from '../src/sync/admission.js'

const LIMITS = { sessionsPerPeer: 2, requestsPerMinute: 20, maxResponding: 16, perAddress: 4 }

describe('responder slots', () => {
  it('one address holds at most half the slots; the other half stays for everyone else', () => {
    const slots = new ResponderSlots(LIMITS)
    let sybil = 0
    for (let i = 0; i < 100; i++) if (slots.enter(`sybil-${i}`, 0) && slots.take('ip4/10.0.0.1')) sybil++
    expect(sybil).toBe(8)
    let honest = 0
    for (let i = 0; i < 8; i++) if (slots.enter(`honest-${i}`, 0) && slots.take(`ip4/192.0.2.${i}`)) honest++
    expect(honest).toBe(8)
    expect(slots.enter('late', 0) && slots.take('ip4/198.51.100.1')).toBe(false)
  })

  it('a crowd behind one address is served in turn while the responder is not full', () => {
    const slots = new ResponderSlots(LIMITS)
    let served = 0
    for (let i = 0; i < 100; i++) {
      const peer = `crowd-${i}`
      if (slots.enter(peer, 0) && slots.take('ip4/203.0.113.7')) {
        served++
        slots.leave(peer, 'ip4/203.0.113.7')
      }
    }
    expect(served).toBe(100)
  })

  it('limits one peer\'s streams and their rate, and releases what a stream held', () => {
    const slots = new ResponderSlots({ ...LIMITS, requestsPerMinute: 3 })
    expect(slots.enter('p', 0)).toBe(true)
    expect(slots.enter('p', 0)).toBe(true)
    expect(slots.enter('p', 0)).toBe(false)
    slots.leave('p')
    expect(slots.enter('p', 1)).toBe(true)
    slots.leave('p')
    expect(slots.enter('p', 2)).toBe(false)
    expect(slots.enter('p', 60_001)).toBe(true)
  })
})

describe('address groups', () => {
  it.each([
    ['/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', 'ip4/192.0.2.1'],
    ['/ip6/2001:db8:1:2:3:4:5:6/tcp/4001', 'ip6/2001:db8:1:2'],
    ['/ip6/2001:db8::1/udp/4001/quic-v1', 'ip6/2001:db8:0:0'],
    ['/ip6/::1/tcp/1', 'ip6/0:0:0:0'],
    ['/ip4/198.51.100.9/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf/p2p-circuit', 'ip4/198.51.100.9']
  ])('%s counts against %s', (address, group) => {
    expect(addressGroup(multiaddr(address))).toBe(group)
  })
})
