/**
 * A mix's forwarding dials under attack (issue 12, eleventh adversarial read, H1): a stock libp2p peer on one
 * address sends a mix packets whose next hop is a fresh PeerId at a tarpit (a TCP port on 127.0.0.2–9 that
 * accepts and never answers), so that every forwarding dial hangs until its deadline. Before the fix the
 * attacker held all 16 dials (2 per tarpit address) and the mix dropped an honest sender's packets to a
 * mix it was not connected to (ERR_MIX_UNREACHABLE); now dials are charged to the address group the
 * packet came from, a group whose dials fail keeps one, and the honest packets go through while the
 * attack goes on.
 */
import net from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeOnionMessage, generateMixKey, wrapOnion } from '@murmur/protocol'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { ForwardSlots } from '../src/onion/forward-slots.js'
import { MIX_PROTOCOL } from '../src/onion/index.js'
import { DNS_GROUP } from '../src/relay-share.js'
import { writeAll } from '../src/onion/stream.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { mixKeyOf, recordingMix } from './onion-harness.js'
import type { ForwardSlot, ForwardSource } from '../src/onion/forward-slots.js'
import type { Cleanup } from './harness.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const TOPIC = 'murmur/2/#onion'

/** TCP listeners on 127.0.0.2–9 that accept every connection, read what comes and never send a byte, and how many connections they hold now. */
async function tarpits (cleanup: Cleanup): Promise<{ addresses: Multiaddr[], held(): number }> {
  const sockets = new Set<net.Socket>()
  const servers = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
      // read (and drop) what comes, so that the dialer's close is seen
      socket.resume()
      socket.on('close', () => { sockets.delete(socket) })
    })
    await new Promise<void>((resolve) => server.listen(0, `127.0.0.${i + 2}`, resolve))
    return server
  }))
  cleanup.running.push({
    stop: () => {
      for (const socket of sockets) socket.destroy()
      for (const server of servers) server.close()
    }
  })
  const addresses = servers.map((server, i) => multiaddr(`/ip4/127.0.0.${i + 2}/tcp/${(server.address() as net.AddressInfo).port}`))
  return { addresses, held: () => sockets.size }
}

describe('a mix\'s forwarding dials under a tarpit flood', () => {
  const cleanup = cleanedAfterEach()

  it('an attacker naming fresh PeerIds at 8 tarpit addresses: an honest sender\'s packets still reach a mix the victim is not connected to', async () => {
    const honest = await startStockPeer()
    cleanup.running.push(honest)
    // all peers are on loopback: the honest sender gets an address group of its own (the attacker keeps 127.0.0.1)
    const victim = await recordingMix(cleanup, { groupOf: (peer) => peer.equals(honest.peerId) ? 'ip4/192.0.2.1' : undefined })
    const next = await recordingMix(cleanup)
    const attacker = await startStockPeer()
    cleanup.running.push(attacker)
    await attacker.dial(victim.peer.getMultiaddrs()[0]!)
    await honest.dial(victim.peer.getMultiaddrs()[0]!)
    const victimKey = await mixKeyOf(attacker, victim.peer.peerId)
    await honest.dial(next.peer.getMultiaddrs()[0]!)
    const nextKey = await mixKeyOf(honest, next.peer.peerId)
    expect(victim.peer.getConnections(next.peer.peerId)).toHaveLength(0)
    const pits = await tarpits(cleanup)
    const fakes = await Promise.all(Array.from({ length: 48 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const hop = { publicKey: victimKey, peerId: victim.peer.peerId.toMultihash().bytes, delay: 0 }
    const junk = generateMixKey().publicKey
    let sent = 0
    const attackPacket = (): Uint8Array => {
      const fake = fakes[sent % fakes.length]!
      const pit = pits.addresses[sent++ % pits.addresses.length]!
      return wrapOnion({ hops: [hop, { publicKey: junk, peerId: fake.toMultihash().bytes, address: pit.bytes, delay: 0 }], message: encodeOnionMessage({ kind: 'loop', id: new Uint8Array(16) }) })
    }
    // the attacker keeps 8 streams busy, one packet each, for as long as the test runs
    let attacking = true
    const lanes = Promise.all(Array.from({ length: 8 }, async () => {
      while (attacking) {
        await attacker.dialProtocol(victim.peer.peerId, MIX_PROTOCOL).then(async (stream) => { await writeAll(stream, attackPacket()) }).catch(() => {})
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }))
    try {
      // the victim's dials hang at the tarpits (before the fix all 16 of them, now the attacker's group's share)
      await waitFor(() => pits.held() >= 4, 'the attacker holds forwarding dials', 5_000, 20)
      const honestPacket = (i: number): Uint8Array => wrapOnion({
        hops: [hop, { publicKey: nextKey, peerId: next.peer.peerId.toMultihash().bytes, address: next.peer.getMultiaddrs()[0]!.decapsulateCode(CODE_P2P).bytes, delay: 0 }],
        message: encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: new Uint8Array([i]) })
      })
      // 5 honest packets, each once the one before it is through or dropped (before the fix: 4 or 5 of 5 dropped, runs of 5, 4, 5)
      const honestDrops = (): number => victim.dropped.filter(({ from }) => from === honest.peerId.toString()).length
      for (let i = 0; i < 5; i++) {
        await writeAll(await honest.dialProtocol(victim.peer.peerId, MIX_PROTOCOL), honestPacket(i))
        await waitFor(() => next.delivered + honestDrops() > i, `honest packet ${i} forwarded or dropped`, 5_000, 20)
      }
      expect(honestDrops()).toBe(0)
      expect(next.delivered).toBe(5)
      // dials that all fail leave the attacker's group one at a time, however many packets it keeps sending
      await waitFor(() => pits.held() <= 1, 'the attacker down to one dial', 5_000, 20)
      expect(sent).toBeGreaterThan(50)
    } finally {
      attacking = false
      await lanes
    }
    expect(victim.dropped.every(({ code, from }) => code === 'ERR_MIX_UNREACHABLE' && from === attacker.peerId.toString())).toBe(true)
  }, 15_000)
})

describe('forwarding dials shared by the sender\'s address group', () => {
  const attacker: ForwardSource = { group: 'ip4/198.51.100.1', chosen: false }
  const honest: ForwardSource = { group: 'ip4/192.0.2.1', chosen: false }
  /** Takes dials for `source` to distinct target groups until one is refused. */
  const fill = (slots: ForwardSlots, source: ForwardSource): ForwardSlot[] => {
    const taken: ForwardSlot[] = []
    for (let slot = slots.take(source, `t${taken.length}`); slot !== undefined; slot = slots.take(source, `t${taken.length}`)) taken.push(slot)
    return taken
  }

  it('a lone sender takes half of the 12 dials open to all; the next half of the rest; a chosen peer reaches the 4 kept for it', () => {
    const slots = new ForwardSlots()
    expect(fill(slots, attacker)).toHaveLength(6)
    expect(fill(slots, honest)).toHaveLength(3)
    const others = [1, 2, 3].flatMap((i) => fill(slots, { group: `ip4/203.0.113.${i}`, chosen: false }))
    expect(slots.size).toBe(12)
    expect(others).toHaveLength(3)
    expect(slots.take({ group: 'ip4/203.0.113.9', chosen: false }, 't')).toBeUndefined()
    // a peer this node dialed by choice still gets through, up to the whole 16
    expect(fill(slots, { group: 'ip4/203.0.113.50', chosen: true })).toHaveLength(2)
    expect(fill(slots, { group: 'ip4/203.0.113.51', chosen: true })).toHaveLength(1)
    expect(fill(slots, { group: 'ip4/203.0.113.52', chosen: true })).toHaveLength(1)
    expect(slots.size).toBe(16)
  })

  it('dials that fail shrink the sender\'s share to one, one failure among successes costs little, and failures are forgotten', () => {
    let now = 0
    const slots = new ForwardSlots({ now: () => now })
    for (const slot of fill(slots, attacker)) slot.release(false)
    // 6 failures and no success: one dial at a time, never none
    expect(fill(slots, attacker)).toHaveLength(1)
    // an honest sender whose 9 dials got through and one next hop had gone keeps its share (5 of the 11 left)
    for (let i = 0; i < 9; i++) slots.take(honest, 't')!.release(true)
    slots.take(honest, 't')!.release(false)
    expect(fill(slots, honest)).toHaveLength(5)
    // one failure alone halves a share, no more
    const alone = new ForwardSlots({ now: () => now })
    alone.take(honest, 't')!.release(false)
    expect(fill(alone, honest)).toHaveLength(3)
    // failures are forgotten: five minutes on (e^-5), 7 weigh 0.05 and the whole share is back
    const forgetting = new ForwardSlots({ now: () => now })
    for (const slot of fill(forgetting, attacker)) slot.release(false)
    const one = fill(forgetting, attacker)
    expect(one).toHaveLength(1)
    one[0]!.release(false)
    now += 300_000
    expect(fill(forgetting, attacker)).toHaveLength(6)
  })

  it('a crowd member naming tarpits, under one PeerId or many, loses its priority; a proven sender of the same address keeps its share', () => {
    // thirteenth read, M1: before, the record was the group's, and the attacker's failures shrank the crowd's share to what its tarpit dials held
    const slots = new ForwardSlots({ now: () => 0 })
    const member: ForwardSource = { ...attacker, peer: 'honest' }
    const tarpit: ForwardSource = { ...attacker, peer: 'tarpit' }
    for (let i = 0; i < 3; i++) slots.take(member, 't')!.release(true)
    // a new PeerId takes the group's share once, but for one dial kept for the proven member; its dials all fail
    const first = fill(slots, tarpit)
    expect(first).toHaveLength(5)
    slots.take(member, 't')!.release(true)
    for (const slot of first) slot.release(false)
    // now it, and every fresh PeerId of the address, share one part: ceil(6 * 2 / 8) = 2 dials, held at the tarpits
    const held = fill(slots, tarpit)
    expect(held).toHaveLength(2)
    expect(Array.from({ length: 10 }, (_, i) => fill(slots, { ...attacker, peer: `sybil${i}` })).flat()).toHaveLength(0)
    // the proven member takes the rest of the group's share (old code: none)
    const honestDials = fill(slots, member)
    expect(honestDials).toHaveLength(4)
    for (const slot of honestDials) slot.release(true)
    // one failure of a proven sender costs its own part a little, not the group's unproven part
    slots.take(member, 't')!.release(false)
    expect(fill(slots, member)).toHaveLength(4)
    expect(fill(slots, { ...attacker, peer: 'sybil' })).toHaveLength(0)
  })

  it('remembers a bounded number of senders, forgetting the one that dialed least lately', () => {
    const slots = new ForwardSlots({ remembered: 2, now: () => 0 })
    const peer = (name: string): ForwardSource => ({ ...honest, peer: name })
    slots.take(peer('first'), 't')!.release(true)
    slots.take(peer('first'), 't')!.release(true)
    for (let i = 0; i < 3; i++) slots.take(peer('bad'), 't')!.release(false)
    slots.take(peer('last'), 't')!.release(true)
    // 'first' is forgotten: a new sender, in the unproven part (2 of 5 unproven dials through: ceil(6 * 3 / 6) = 3), not its own whole share of 6
    expect(fill(slots, peer('first'))).toHaveLength(3)
    expect(fill(slots, peer('bad'))).toHaveLength(0)
    // 'last' is still known as proven, and takes the rest of the group's share
    expect(fill(slots, peer('last'))).toHaveLength(3)
  })

  it('one sender has 2 dials at once to one host group (every DNS name is one); other senders\' dials there are not counted against it', () => {
    const slots = new ForwardSlots()
    expect(slots.take(attacker, DNS_GROUP)).toBeDefined()
    expect(slots.take(attacker, DNS_GROUP)).toBeDefined()
    expect(slots.take(attacker, DNS_GROUP)).toBeUndefined()
    // before, the cap was the target's alone: two tarpit dials named by DNS refused every DNS-named next hop
    expect(slots.take(honest, DNS_GROUP)).toBeDefined()
    const slot = slots.take(honest, 'ip4/192.0.2.99')!
    slot.release(true)
    slot.release(true)
    expect(slots.size).toBe(3)
  })
})
