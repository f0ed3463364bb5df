import { beforeAll, describe, expect, it } from 'vitest'
import {
  ONION_ALPHA_BYTES, ONION_BETA_BYTES, ONION_HEADER_BYTES, ONION_MAX_HOPS, ONION_MAX_MESSAGE_BYTES, ONION_PACKET_BYTES,
  decodeOnionMessage, encodeOnionMessage, generateMixKey, ready, unwrapOnion, wrapOnion, toHex
} from '../src/index.js'
import type { MixKey, OnionHop, OnionUnwrapped } from '../src/index.js'
import { utf8 } from '../src/bytes.js'
import { seededRandom } from './helpers.js'

let mixes: MixKey[] = []
const peerIds = [0, 1, 2, 3].map((i) => seededRandom(`peer-${i}`)(38))

beforeAll(async () => {
  await ready()
  mixes = [0, 1, 2, 3].map((i) => generateMixKey(seededRandom(`mix-${i}`)(32)))
})

const addresses = [0, 1, 2, 3].map((i) => i === 2 ? undefined : new Uint8Array(8 + 15 * i).fill(i + 1))
const path = (n: number, delays = [800, 10, 65535, 0]): OnionHop[] =>
  mixes.slice(0, n).map((mix, i) => ({ publicKey: mix.publicKey, peerId: peerIds[i]!, address: addresses[i], delay: delays[i]! }))

/** Peels `packet` through `hops` mixes, expecting a relay at each but the last, and returns every step. */
function route (packet: Uint8Array, hops: number): OnionUnwrapped[] {
  const steps: OnionUnwrapped[] = []
  for (let i = 0; i < hops; i++) {
    const opened = unwrapOnion(packet, mixes[i]!.secretKey)
    if (!opened.ok) throw new Error(`hop ${i}: ${opened.code}`)
    steps.push(opened)
    if (opened.kind === 'relay') packet = opened.packet
  }
  return steps
}

const flip = (packet: Uint8Array, at: number): Uint8Array => {
  const copy = packet.slice()
  copy[at] = copy[at]! ^ 0x01
  return copy
}

describe('onion packets', () => {
  const message = encodeOnionMessage({ kind: 'publish', topic: 'murmur/2/#lobby', data: utf8('an envelope') })

  it('wraps and unwraps over 1 to 4 hops: each hop learns the next hop and its delay, only the exit the message', () => {
    for (let n = 1; n <= ONION_MAX_HOPS; n++) {
      const packet = wrapOnion({ hops: path(n), message })
      expect(packet.byteLength).toBe(ONION_PACKET_BYTES)
      const steps = route(packet, n)
      steps.forEach((step, i) => {
        expect(step.delay).toBe([800, 10, 65535, 0][i])
        if (i < n - 1) {
          expect(step.kind).toBe('relay')
          if (step.kind === 'relay') {
            expect(toHex(step.next)).toBe(toHex(peerIds[i + 1]!))
            expect(toHex(step.address)).toBe(toHex(addresses[i + 1] ?? new Uint8Array(0)))
            expect(step.packet.byteLength).toBe(ONION_PACKET_BYTES)
          }
        } else {
          expect(step.kind).toBe('exit')
          if (step.kind === 'exit') expect(decodeOnionMessage(step.message)).toEqual({ kind: 'publish', topic: 'murmur/2/#lobby', data: utf8('an envelope') })
        }
      })
    }
  })

  it('no relay hop sees the message in its packet, nor the same bytes the hop before saw', () => {
    const marker = utf8('an envelope')
    const packet = wrapOnion({ hops: path(3), message })
    const seen = [packet, ...route(packet, 2).map((step) => step.kind === 'relay' ? step.packet : new Uint8Array())]
    const contains = (hay: Uint8Array): boolean => toHex(hay).includes(toHex(marker))
    for (const bytes of seen) expect(contains(bytes)).toBe(false)
    // no hop's α, β or δ appears again at the next hop
    for (let i = 1; i < seen.length; i++) {
      expect(toHex(seen[i]!.subarray(0, ONION_ALPHA_BYTES))).not.toBe(toHex(seen[i - 1]!.subarray(0, ONION_ALPHA_BYTES)))
      expect(toHex(seen[i]!.subarray(ONION_HEADER_BYTES, ONION_HEADER_BYTES + 64))).not.toBe(toHex(seen[i - 1]!.subarray(ONION_HEADER_BYTES, ONION_HEADER_BYTES + 64)))
    }
  })

  it('carries a message of the largest size, and a loop', () => {
    const largest = new Uint8Array(ONION_MAX_MESSAGE_BYTES).fill(7)
    const [exit] = route(wrapOnion({ hops: path(1), message: largest }), 1)
    expect(exit?.kind === 'exit' && toHex(exit.message) === toHex(largest)).toBe(true)
    const id = seededRandom('loop')(16)
    const steps = route(wrapOnion({ hops: path(4), message: encodeOnionMessage({ kind: 'loop', id }) }), 4)
    const last = steps[3]!
    expect(last.kind === 'exit' && decodeOnionMessage(last.message)).toEqual({ kind: 'loop', id })
  })

  it('a bit flipped anywhere in the header or payload is refused by the next hop (ERR_ONION_MAC or ERR_ONION_POINT), at every hop', () => {
    const packet = wrapOnion({ hops: path(3), message })
    const [first, second] = route(packet, 2)
    const packets = [packet, first!.kind === 'relay' ? first!.packet : packet, second!.kind === 'relay' ? second!.packet : packet]
    const offsets = [0, 31, ONION_ALPHA_BYTES, ONION_ALPHA_BYTES + 100, ONION_ALPHA_BYTES + ONION_BETA_BYTES - 1, ONION_ALPHA_BYTES + ONION_BETA_BYTES, ONION_HEADER_BYTES - 1, ONION_HEADER_BYTES, ONION_HEADER_BYTES + 2000, ONION_PACKET_BYTES - 1]
    packets.forEach((bytes, hop) => {
      for (const at of offsets) {
        const opened = unwrapOnion(flip(bytes, at), mixes[hop]!.secretKey)
        expect(opened.ok).toBe(false)
        if (!opened.ok) expect(at < ONION_ALPHA_BYTES ? ['ERR_ONION_POINT', 'ERR_ONION_MAC'] : ['ERR_ONION_MAC']).toContain(opened.code)
      }
    })
  })

  it('a packet for another mix is refused (ERR_ONION_MAC), not misread', () => {
    const opened = unwrapOnion(wrapOnion({ hops: path(3), message }), mixes[1]!.secretKey)
    expect(opened).toMatchObject({ ok: false, code: 'ERR_ONION_MAC' })
  })

  it('a packet of the wrong size is refused (ERR_ONION_SIZE), whatever its bytes', () => {
    const packet = wrapOnion({ hops: path(2), message })
    for (const bytes of [packet.subarray(1), new Uint8Array([...packet, 0]), new Uint8Array(0)]) {
      expect(unwrapOnion(bytes, mixes[0]!.secretKey)).toMatchObject({ ok: false, code: 'ERR_ONION_SIZE' })
    }
    expect(unwrapOnion('x' as unknown as Uint8Array, mixes[0]!.secretKey)).toMatchObject({ ok: false, code: 'ERR_ONION_SIZE' })
  })

  it('an α that is not a group point is refused (ERR_ONION_POINT)', () => {
    const packet = wrapOnion({ hops: path(2), message })
    packet.fill(0xff, 0, ONION_ALPHA_BYTES)
    expect(unwrapOnion(packet, mixes[0]!.secretKey)).toMatchObject({ ok: false, code: 'ERR_ONION_POINT' })
    packet.fill(0, 0, ONION_ALPHA_BYTES) // the identity
    expect(unwrapOnion(packet, mixes[0]!.secretKey)).toMatchObject({ ok: false, code: 'ERR_ONION_POINT' })
  })

  it('a replay is detectable: every copy of a packet gives the same tag at a hop, another packet another tag', () => {
    const packet = wrapOnion({ hops: path(3), message })
    const once = unwrapOnion(packet, mixes[0]!.secretKey)
    const twice = unwrapOnion(packet.slice(), mixes[0]!.secretKey)
    const other = unwrapOnion(wrapOnion({ hops: path(3), message }), mixes[0]!.secretKey)
    expect(once.ok && twice.ok && other.ok).toBe(true)
    expect(toHex(once.tag!)).toBe(toHex(twice.tag!))
    expect(toHex(once.tag!)).not.toBe(toHex(other.tag!))
    const seen = new Set([toHex(once.tag!)])
    expect(unwrapOnion(packet, mixes[0]!.secretKey, { seen: (tag) => seen.has(toHex(tag)) })).toMatchObject({ ok: false, code: 'ERR_ONION_REPLAY' })
  })

  it('refuses to wrap a path or message it cannot carry (OnionError ERR_ONION_PATH)', () => {
    const bad: Array<() => Uint8Array> = [
      () => wrapOnion({ hops: [], message }),
      () => wrapOnion({ hops: [...path(4), path(1)[0]!], message }),
      () => wrapOnion({ hops: [{ ...path(1)[0]!, publicKey: new Uint8Array(32).fill(0xff) }], message }),
      () => wrapOnion({ hops: [{ ...path(1)[0]!, peerId: new Uint8Array(45) }], message }),
      () => wrapOnion({ hops: [{ ...path(1)[0]!, address: new Uint8Array(64) }], message }),
      () => wrapOnion({ hops: [{ ...path(1)[0]!, delay: 65536 }], message }),
      () => wrapOnion({ hops: [{ ...path(1)[0]!, delay: -1 }], message }),
      () => wrapOnion({ hops: path(1), message: new Uint8Array(ONION_MAX_MESSAGE_BYTES + 1) }),
      () => encodeOnionMessage({ kind: 'publish', topic: 't', data: new Uint8Array(ONION_MAX_MESSAGE_BYTES) })
    ]
    for (const attempt of bad) expect(attempt).toThrow(expect.objectContaining({ name: 'OnionError', code: 'ERR_ONION_PATH' }))
  })

  it('an exit message that is not one decodes to undefined', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(9), Uint8Array.of(1, 0), Uint8Array.of(1, 5, 0x61), Uint8Array.of(1, 1, 0xff), Uint8Array.of(2, 1, 2)]) {
      expect(decodeOnionMessage(bytes)).toBeUndefined()
    }
  })
})
