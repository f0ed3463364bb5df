import { readFileSync, writeFileSync } from 'node:fs'
import { blake2b } from '@noble/hashes/blake2.js'
import { xchacha20 } from '@noble/ciphers/chacha.js'
import { ristretto255 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { encodeOnionMessage, fromHex, generateMixKey, ready, toHex, wrapOnion } from '../src/index.js'
import { seededRandom } from './helpers.js'

await ready()

// Fixed inputs -> fixed bytes of onion packets (docs/PROTOCOL.md, "Onion packets"), peeled again hop by
// hop by an independent reading of the spec with @noble/curves, @noble/hashes and @noble/ciphers.
// UPDATE_VECTORS=1 rewrites the fixture after a deliberate, documented change of the format.
const FIXTURE = new URL('./fixtures/onion-vectors.json', import.meta.url)

interface OnionVector {
  name: string
  mixSecrets: string[]
  peerIds: string[]
  addresses: string[]
  delays: number[]
  ephemeral: string
  message: string
  packet: string
}

const te = new TextEncoder()

function produce (): OnionVector[] {
  const cases = [
    { name: 'publish-3-hops', hops: 3, delays: [812, 95, 2301], message: encodeOnionMessage({ kind: 'publish', topic: 'murmur/2/#lobby', data: te.encode('an envelope stand-in') }) },
    { name: 'loop-4-hops', hops: 4, delays: [400, 1200, 7, 0], message: encodeOnionMessage({ kind: 'loop', id: seededRandom('loop-id')(16) }) },
    { name: 'publish-1-hop', hops: 1, delays: [65535], message: encodeOnionMessage({ kind: 'publish', topic: 't', data: new Uint8Array(0) }) }
  ]
  return cases.map(({ name, hops, delays, message }) => {
    const keys = Array.from({ length: hops }, (_, i) => generateMixKey(seededRandom(`${name}-mix-${i}`)(32)))
    const peerIds = Array.from({ length: hops }, (_, i) => seededRandom(`${name}-peer-${i}`)(38))
    // /ip4/198.51.100.i/tcp/4001 for every hop but the second, which is reached by PeerId alone
    const addresses = peerIds.map((_, i) => i === 1 ? new Uint8Array(0) : Uint8Array.of(0x04, 198, 51, 100, i, 0x06, 0x0f, 0xa1))
    const ephemeral = generateMixKey(seededRandom(`${name}-ephemeral`)(32)).secretKey
    const packet = wrapOnion({ hops: keys.map((key, i) => ({ publicKey: key.publicKey, peerId: peerIds[i]!, address: addresses[i], delay: delays[i]! })), message, secret: ephemeral })
    return { name, mixSecrets: keys.map((key) => toHex(key.secretKey)), peerIds: peerIds.map(toHex), addresses: addresses.map(toHex), delays, ephemeral: toHex(ephemeral), message: toHex(message), packet: toHex(packet) }
  })
}

const committed = (): OnionVector[] => JSON.parse(readFileSync(FIXTURE, 'utf8')) as OnionVector[]

// the independent reading: sizes and labels as docs/PROTOCOL.md states them
const SLOT = 128
const ROUTING = 112
const BETA = 4 * SLOT
const PAYLOAD = 4096
const label = (name: string): Uint8Array => te.encode(`murmur/v1/mix/${name}`)
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}
const stream = (key: Uint8Array, length: number): Uint8Array => xchacha20(key, new Uint8Array(24), new Uint8Array(length))
const xorWith = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((byte, i) => byte ^ b[i]!)
const { Point } = ristretto255
const order = Point.Fn.ORDER

function peel (packet: Uint8Array, secret: Uint8Array): { routing: Uint8Array, next: Uint8Array } {
  const alpha = packet.subarray(0, 32)
  const beta = packet.subarray(32, 32 + BETA)
  const gamma = packet.subarray(32 + BETA, 48 + BETA)
  const delta = packet.subarray(48 + BETA)
  const shared = Point.fromBytes(alpha).multiply(bytesToNumberLE(secret) % order).toBytes()
  const key = (name: string, length = 32): Uint8Array => blake2b(cat(label(name), shared), { dkLen: length })
  expect(toHex(blake2b(cat(beta, delta), { key: key('mac'), dkLen: 16 }))).toBe(toHex(gamma))
  const opened = xorWith(cat(beta, new Uint8Array(SLOT)), stream(key('header'), BETA + SLOT))
  const blind = bytesToNumberLE(blake2b(cat(label('blind'), alpha, shared), { dkLen: 64 })) % order
  const nextAlpha = Point.fromBytes(alpha).multiply(blind).toBytes()
  const nextDelta = xorWith(delta, stream(key('payload'), PAYLOAD))
  return { routing: opened.subarray(0, ROUTING), next: cat(nextAlpha, opened.subarray(SLOT), opened.subarray(ROUTING, SLOT), nextDelta) }
}

describe('onion vectors', () => {
  it('fixed inputs give the committed packets', () => {
    const produced = produce()
    if (process.env.UPDATE_VECTORS === '1') writeFileSync(FIXTURE, JSON.stringify(produced, null, 2) + '\n')
    expect(produced).toEqual(committed())
  })

  it('an independent reading of the spec peels every hop: next hop, delay, and the message at the exit', () => {
    for (const v of committed()) {
      let packet = fromHex(v.packet)
      v.mixSecrets.forEach((secret, i) => {
        const { routing, next } = peel(packet, fromHex(secret))
        const last = i === v.mixSecrets.length - 1
        expect(routing[0]).toBe(last ? 2 : 1)
        expect((routing[1]! << 8) | routing[2]!).toBe(v.delays[i])
        if (!last) {
          expect(toHex(routing.subarray(4, 4 + routing[3]!))).toBe(v.peerIds[i + 1])
          expect(toHex(routing.subarray(49, 49 + routing[48]!))).toBe(v.addresses[i + 1])
          packet = next
        } else {
          const plain = next.subarray(48 + BETA)
          const length = (plain[0]! << 8) | plain[1]!
          expect(toHex(plain.subarray(2, 2 + length))).toBe(v.message)
        }
      })
    }
  })
})
