/**
 * A mix's keys and replay tags (rotation by time and by count, the previous key honoured for one more
 * lifetime, replays refused under either), and the path draw (dialed mixes first, by address group,
 * a first hop not tried before).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeOnionMessage, ready, wrapOnion } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { MixKeyring } from '../src/onion/keyring.js'
import { drawPath } from '../src/onion/sender.js'
import type { KnownMix } from '../src/onion/directory.js'

beforeAll(async () => { await ready() })

const PEER = new Uint8Array(38).fill(1)

function packetFor (publicKey: Uint8Array): Uint8Array {
  return wrapOnion({ hops: [{ publicKey, peerId: PEER, delay: 0 }], message: encodeOnionMessage({ kind: 'loop', id: new Uint8Array(16) }) })
}

describe('mix keyring', () => {
  it('refuses a replay under the current key and under the previous one; forgets a key two rotations old', () => {
    let now = 0
    const keyring = new MixKeyring({ lifetime: 60_000, maxTags: 3, now: () => now })
    const first = keyring.publicKey
    const early = packetFor(first)
    expect(keyring.open(early).ok).toBe(true)
    expect(keyring.open(early)).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
    // two more packets fill the tag set: the key is replaced at once
    expect(keyring.open(packetFor(first)).ok).toBe(true)
    expect(keyring.open(packetFor(first)).ok).toBe(true)
    const second = keyring.publicKey
    expect(second).not.toEqual(first)
    // a sender still holding the first key reaches the mix for one more lifetime, without replays
    const late = packetFor(first)
    expect(keyring.open(late).ok).toBe(true)
    expect(keyring.open(late)).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
    expect(keyring.open(early)).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
    // a lifetime later the second key is replaced too, and the first one is gone
    now += 60_000
    expect(keyring.publicKey).not.toEqual(second)
    expect(keyring.open(packetFor(first))).toMatchObject({ ok: false, code: 'ERR_ONION_MAC' })
    expect(keyring.open(packetFor(second)).ok).toBe(true)
    expect(keyring.expiresIn).toBe(60_000)
  })
})

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
