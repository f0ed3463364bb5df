/**
 * A mix's keys and replay tags (rotation by time and by count, each key honoured until a lifetime past
 * its announced expiry, replays refused under any, an address group's share of a key), and the path
 * draw (dialed mixes first, by address group, a first hop not tried before).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeOnionMessage, ready, wrapOnion } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { ForwardShares } from '../src/onion/forward-shares.js'
import { MixKeyring } from '../src/onion/keyring.js'
import { drawPath } from '../src/onion/sender.js'
import type { KnownMix } from '../src/onion/directory.js'

beforeAll(async () => { await ready() })

const PEER = new Uint8Array(38).fill(1)

function packetFor (publicKey: Uint8Array): Uint8Array {
  return wrapOnion({ hops: [{ publicKey, peerId: PEER, delay: 0 }], message: encodeOnionMessage({ kind: 'loop', id: new Uint8Array(16) }) })
}

describe('mix keyring', () => {
  it('refuses a replay under any key still open; a key opens until a lifetime past its announced expiry', () => {
    let now = 0
    const keyring = new MixKeyring({ lifetime: 60_000, now: () => now })
    const first = keyring.publicKey
    const early = packetFor(first)
    expect(keep(keyring.open(early, 'a'))).toBe(true)
    expect(keyring.open(early, 'a')).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
    // replaced at its announced expiry: a sender still holding it reaches the mix for one more lifetime, without replays
    now += 60_000
    const second = keyring.publicKey
    expect(second).not.toEqual(first)
    const late = packetFor(first)
    expect(keep(keyring.open(late, 'a'))).toBe(true)
    expect(keyring.open(late, 'a')).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
    expect(keyring.open(early, 'a')).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
    // a lifetime later the second key is replaced too, and the first one is gone
    now += 60_000
    expect(keyring.publicKey).not.toEqual(second)
    expect(keyring.open(packetFor(first), 'a')).toMatchObject({ ok: false, code: 'ERR_ONION_MAC' })
    expect(keep(keyring.open(packetFor(second), 'a'))).toBe(true)
    expect(keyring.expiresIn).toBe(60_000)
  })

  it('records a tag only for a packet kept: one opened and not kept (the mix refused its message) opens again', () => {
    const keyring = new MixKeyring()
    const packet = packetFor(keyring.publicKey)
    expect(keyring.open(packet, 'a').ok).toBe(true)
    expect(keep(keyring.open(packet, 'a'))).toBe(true)
    expect(keyring.open(packet, 'a')).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
  })

  it('gives one address group at most half a key, which it alone never replaces; two groups replace it at 3/4, and the old key keeps its last quarter for the groups still holding it', () => {
    const keyring = new MixKeyring({ lifetime: 60_000, maxTags: 8, now: () => 0 })
    const first = keyring.publicKey
    const early = packetFor(first)
    expect(keep(keyring.open(early, 'a'))).toBe(true)
    expect(spend(keyring, first, 'a', 10)).toBe(3)
    expect(keyring.open(packetFor(first), 'a')).toMatchObject({ ok: false, code: 'ERR_MIX_SHARE' })
    expect(keyring.publicKey).toEqual(first)
    // a second group: half of the 4 tags left, and the key is replaced at 6 of 8
    expect(spend(keyring, first, 'b', 10)).toBe(2)
    expect(keyring.publicKey).not.toEqual(first)
    // the first key still opens for other groups, each a share of what is left, until it is full
    expect(spend(keyring, first, 'honest', 10)).toBe(1)
    expect(spend(keyring, first, 'honest-2', 10)).toBe(1)
    expect(spend(keyring, first, 'honest-3', 10)).toBe(0)
    // its tags go with it: a packet it opened before the replacement is still a replay
    expect(keyring.open(early, 'honest-3')).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
  })

  it('holds at most maxKeys keys: past them a full key is not replaced by count, and a replacement by time drops only a key past its announced expiry', () => {
    let now = 0
    const keyring = new MixKeyring({ lifetime: 60_000, maxTags: 4, maxKeys: 3, now: () => now })
    const keys: Uint8Array[] = []
    for (let i = 0; i < 3; i++) {
      keys.push(keyring.publicKey)
      // 2 + 1 of 4 tags from two groups: the key is replaced (but not the third)
      expect(spend(keyring, keys[i]!, 'a', 10) + spend(keyring, keys[i]!, 'b', 10)).toBe(3)
    }
    expect(keyring.publicKey).toEqual(keys[2])
    expect(spend(keyring, keys[2]!, 'c', 10)).toBe(1)
    expect(spend(keyring, keys[2]!, 'd', 10)).toBe(0)
    expect(keyring.publicKey).toEqual(keys[2])
    // until its announced expiry, the first key opens (its last tag for a group that holds none)
    now = 59_999
    expect(spend(keyring, keys[0]!, 'honest', 1)).toBe(1)
    // at the third key's expiry a fourth is drawn and the first goes: its expiry came with the third's
    now = 60_000
    expect(keyring.publicKey).not.toEqual(keys[2])
    expect(keyring.open(packetFor(keys[0]!), 'honest')).toMatchObject({ ok: false, code: 'ERR_ONION_MAC' })
    expect(keyring.open(packetFor(keys[1]!), 'honest').ok).toBe(true)
  })
})

describe('a mix\'s part of each next hop\'s key, shared by its senders (sixteenth read of issue 12, Medium 1)', () => {
  /** Charges from `group` to `next` until one is refused; how many were counted. */
  const fill = (shares: ForwardShares, next: string, group: string, count = 100): number => {
    for (let i = 0; i < count; i++) if (shares.charge(next, group) === undefined) return i
    return count
  }

  it('counts a quarter of a next hop\'s key per next hop: one group half of what the others leave, over two key lifetimes', () => {
    let now = 0
    const shares = new ForwardShares({ maxTags: 128, window: 800, slices: 8, now: () => now })
    // 32 of the next hop's 128 tags: the attacker 16, an honest group 8, this node's own 4
    expect(fill(shares, 'T', 'attacker')).toBe(16)
    expect(fill(shares, 'T', 'honest')).toBe(8)
    expect(fill(shares, 'T', 'own')).toBe(4)
    // another next hop is counted apart
    expect(fill(shares, 'U', 'attacker')).toBe(16)
    // forwards are counted a window (and at most one slice) after they were made
    now = 899
    expect(shares.charge('T', 'attacker')).toBeUndefined()
    now = 900
    expect(fill(shares, 'T', 'attacker')).toBe(16)
  })

  it('refunds a forward that never reached its next hop', () => {
    const shares = new ForwardShares({ maxTags: 128 })
    const charges = Array.from({ length: 16 }, () => shares.charge('T', 'attacker'))
    expect(shares.charge('T', 'attacker')).toBeUndefined()
    for (const charge of charges) { charge!.refund(); charge!.refund() }
    expect(fill(shares, 'T', 'attacker')).toBe(16)
  })
})

/** Keeps an opened packet as the mix does; whether it opened. */
function keep (opened: ReturnType<MixKeyring['open']>): boolean {
  if (opened.ok) opened.keep()
  return opened.ok
}

/** Up to `count` fresh packets for `publicKey` from `group`, kept until one is refused; how many were. */
function spend (keyring: MixKeyring, publicKey: Uint8Array, group: string, count: number): number {
  for (let i = 0; i < count; i++) if (!keep(keyring.open(packetFor(publicKey), group))) return i
  return count
}

const peers = [
  '12D3KooWRJ6zdTnnAHQ3zbQeuui9GfDbCYpQS86Zifms2xThaWES',
  '12D3KooWDfgCZafjCfnJsqsP8owd4b7mu64zP886e3gZNv7PRfCx',
  '12D3KooWCsLb7ZJxvFejqhUHc1wXWx3p49c8FsZUjsq1EXX9xLse',
  '12D3KooWJR7Eaq6ZyiuAGRVshvjxsj6wszSU89QMrDmb6Q6FhXYy'
].map((id) => peerIdFromString(id))
/** A mix this node dialed has the address it reached it at; one that dialed this node has none. */
const mix = (i: number, dialed: boolean, group: string): KnownMix => ({ peerId: peers[i]!, publicKey: new Uint8Array(32), dialed, group, ...(dialed ? { address: Uint8Array.of(i) } : {}) })

describe('path draw', () => {
  it('takes dialed mixes first, one per address group, and never the same mix twice', () => {
    const mixes = [mix(0, true, 'a'), mix(1, true, 'a'), mix(2, true, 'b'), mix(3, false, 'c')]
    for (let i = 0; i < 50; i++) {
      const path = drawPath(mixes, 2)!
      expect(path.map((m) => m.group).sort()).toEqual(['a', 'b'])
      const three = drawPath(mixes, 3)!
      expect(new Set(three.map((m) => m.peerId.toString())).size).toBe(3)
      // the only inbound mix comes in only when the dialed groups are used up
      expect(three.filter((m) => !m.dialed).length).toBeLessThanOrEqual(1)
    }
    expect(drawPath(mixes, 5)).toBeUndefined()
  })

  it('draws a mix without an address (it dialed this node) only as the first hop (F6)', () => {
    const mixes = [mix(0, true, 'a'), mix(1, true, 'b'), mix(2, false, 'c')]
    for (let i = 0; i < 50; i++) {
      const path = drawPath(mixes, 3)!
      expect(path[0]!.peerId.toString()).toBe(peers[2]!.toString())
      expect(path.slice(1).every((m) => m.address !== undefined)).toBe(true)
    }
    // two without an address: no path of 3, whatever was tried
    expect(drawPath([mix(0, true, 'a'), mix(2, false, 'c'), mix(3, false, 'd')], 3)).toBeUndefined()
    // tried first hops give way to an untried one only while it leaves enough addressed mixes behind
    expect(drawPath(mixes, 3, new Set([peers[2]!.toString()]))![0]!.peerId.toString()).toBe(peers[2]!.toString())
  })

  it('puts a first hop not tried before in front when one is drawn or known', () => {
    const mixes = [mix(0, true, 'a'), mix(1, true, 'b'), mix(2, true, 'c'), mix(3, true, 'd')]
    const tried = new Set([peers[0]!.toString(), peers[1]!.toString(), peers[2]!.toString()])
    for (let i = 0; i < 50; i++) expect(drawPath(mixes, 3, tried)![0]!.peerId.toString()).toBe(peers[3]!.toString())
  })
})
