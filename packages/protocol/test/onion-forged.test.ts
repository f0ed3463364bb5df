/**
 * Packets an author forges (issue 19 attack tests, S10O item 2): the author holds every layer's keys, so its
 * MACs are valid whatever the routing slot says. A slot that is not canonical (a next hop of 0 or 45 bytes,
 * an address of 64, bytes after a field, an unknown kind) is refused as ERR_ONION_ROUTING, never misread; an
 * α that is not the canonical encoding of a group point is refused as ERR_ONION_POINT; and wrapOnion refuses
 * an ephemeral scalar that is not canonical (≥ ℓ), which would give the path's later hops another α than
 * the sender's and lose the packet there.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ONION_ALPHA_BYTES, ONION_BETA_BYTES, ONION_MAX_ADDRESS_BYTES, ONION_MAX_PEER_ID_BYTES, ONION_PAYLOAD_BYTES, ONION_ROUTING_BYTES,
  encodeOnionMessage, generateMixKey, ready, unwrapOnion, wrapOnion
} from '../src/index.js'
import { concatBytes } from '../src/bytes.js'
import { hopKeys, mac, scalarMult, streamXor } from '../src/onion/keys.js'
import { sodium } from '../src/sodium.js'
import type { MixKey } from '../src/index.js'

let mix: MixKey

beforeAll(async () => {
  await ready()
  mix = generateMixKey()
})

/** Byte offset of the address length in a routing slot: kind, delay (2), PeerId length, PeerId (44). */
const ADDRESS_AT = 4 + ONION_MAX_PEER_ID_BYTES

/** A one-layer packet for `mix` whose routing slot is `routing`, its MAC valid: what the packet's author can make. */
function forge (routing: Uint8Array): Uint8Array {
  const x = sodium.crypto_core_ristretto255_scalar_random()
  const alpha = scalarMult(x)!
  const keys = hopKeys(scalarMult(x, mix.publicKey)!)
  const beta = streamXor(keys.header, concatBytes([routing, new Uint8Array(ONION_BETA_BYTES - ONION_ROUTING_BYTES)]))
  const delta = sodium.randombytes_buf(ONION_PAYLOAD_BYTES)
  return concatBytes([alpha, beta, mac(keys.mac, beta, delta), delta])
}

/** A relay slot: next hop `peer`, `address`, with the declared lengths overridable (the forger writes any byte). */
function relaySlot (peer: Uint8Array, address: Uint8Array, lengths: { peer?: number, address?: number } = {}): Uint8Array {
  const slot = new Uint8Array(ONION_ROUTING_BYTES)
  slot[0] = 1
  slot[3] = lengths.peer ?? peer.byteLength
  slot.set(peer.subarray(0, ONION_MAX_PEER_ID_BYTES), 4)
  slot[ADDRESS_AT] = lengths.address ?? address.byteLength
  slot.set(address.subarray(0, ONION_ROUTING_BYTES - ADDRESS_AT - 1), ADDRESS_AT + 1)
  return slot
}

const peer = new Uint8Array(38).fill(7)
const address = new Uint8Array(8).fill(4)

describe('forged onion packets (valid MAC, the author\'s own bytes)', () => {
  it('the forger is sound: a canonical slot it makes opens', () => {
    expect(unwrapOnion(forge(relaySlot(peer, address)), mix.secretKey)).toMatchObject({ ok: true, kind: 'relay', next: peer, address })
    const exit = new Uint8Array(ONION_ROUTING_BYTES)
    exit[0] = 2
    // an exit whose payload is random is an exit all the same; its payload is what is refused
    expect(unwrapOnion(forge(exit), mix.secretKey)).toMatchObject({ ok: false, code: 'ERR_ONION_PAYLOAD' })
  })

  it('a routing slot that is not canonical is refused as ERR_ONION_ROUTING, never misread', () => {
    const withByte = (slot: Uint8Array, at: number): Uint8Array => { const copy = slot.slice(); copy[at] = 0x5a; return copy }
    const canonical = relaySlot(peer, address)
    const exit = new Uint8Array(ONION_ROUTING_BYTES)
    exit[0] = 2
    const forged: Record<string, Uint8Array> = {
      'a next hop of 0 bytes': relaySlot(peer, address, { peer: 0 }),
      'a next hop of 45 bytes': relaySlot(new Uint8Array(45).fill(7), address, { peer: ONION_MAX_PEER_ID_BYTES + 1 }),
      'an address of 64 bytes': relaySlot(peer, new Uint8Array(64).fill(4), { address: ONION_MAX_ADDRESS_BYTES + 1 }),
      'a byte after the next hop': withByte(canonical, 4 + peer.byteLength),
      'a byte after the address': withByte(canonical, ADDRESS_AT + 1 + address.byteLength),
      'the last byte of the slot': withByte(canonical, ONION_ROUTING_BYTES - 1),
      'an unknown kind (0)': withByte(canonical, 0).fill(0, 0, 1),
      'an unknown kind (3)': (() => { const slot = canonical.slice(); slot[0] = 3; return slot })(),
      'an exit with a next hop length': withByte(exit, 3),
      'an exit with a byte in its padding': withByte(exit, ONION_ROUTING_BYTES - 1)
    }
    for (const [what, slot] of Object.entries(forged)) {
      expect(unwrapOnion(forge(slot), mix.secretKey), what).toMatchObject({ ok: false, code: 'ERR_ONION_ROUTING' })
    }
  })

  it('an α that is not the canonical encoding of a group point is refused as ERR_ONION_POINT', () => {
    const packet = forge(relaySlot(peer, address))
    const alpha = packet.slice(0, ONION_ALPHA_BYTES)
    // p = 2^255 - 19 itself: a non-canonical encoding of 0 (the identity); and p - s: s's "negative" field element
    const p = new Uint8Array(32).fill(0xff)
    p[0] = 0xed
    p[31] = 0x7f
    const minus = new Uint8Array(32)
    let borrow = 0
    for (let i = 0; i < 32; i++) {
      const d = p[i]! - alpha[i]! - borrow
      minus[i] = d & 0xff
      borrow = d < 0 ? 1 : 0
    }
    for (const [what, bad] of Object.entries({ 'p (0 + p)': p, 'p - s (odd: the negative of a canonical s)': minus, 'α + p would not fit 255 bits: its low bits set instead': Uint8Array.from(alpha, (b, i) => i === 31 ? b | 0x80 : b) })) {
      const copy = packet.slice()
      copy.set(bad, 0)
      expect(unwrapOnion(copy, mix.secretKey), what).toMatchObject({ ok: false, code: 'ERR_ONION_POINT' })
    }
  })

  it('wrapOnion refuses an ephemeral scalar that is not canonical (≥ ℓ): OnionError ERR_ONION_PATH', () => {
    const hops = [{ publicKey: mix.publicKey, peerId: peer, delay: 0 }, { publicKey: generateMixKey().publicKey, peerId: peer, delay: 0 }]
    const message = encodeOnionMessage({ kind: 'loop', id: new Uint8Array(16) })
    // ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian
    const order = Uint8Array.from([0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, ...new Uint8Array(15), 0x10])
    for (const secret of [order, new Uint8Array(32).fill(0xff), new Uint8Array(31)]) {
      expect(() => wrapOnion({ hops, message, secret })).toThrow(expect.objectContaining({ name: 'OnionError', code: 'ERR_ONION_PATH' }))
    }
    const canonical = sodium.crypto_core_ristretto255_scalar_random()
    expect(unwrapOnion(wrapOnion({ hops, message, secret: canonical }), mix.secretKey)).toMatchObject({ ok: true, kind: 'relay' })
  })
})
