import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { decodeEnvelope, decodePost, encodeEnvelope, encodePost, Envelope, Post, MAX_ENVELOPE_BYTES, ProtocolError } from '../src/index.js'
import { decodeSyncMessage, encodeSyncMessage, SyncMessage, SyncRange } from '../src/sync/index.js'
import { envelopeArb, postArb } from './arbitraries.js'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return err instanceof ProtocolError ? err.code : 'not a ProtocolError'
  }
}

describe('wire format', () => {
  it('Post round-trips through canonical encoding', () => {
    fc.assert(fc.property(postArb, (post) => {
      const encoded = encodePost(post)
      expect(decodePost(encoded)).toEqual(post)
      expect(encodePost(decodePost(encoded))).toEqual(encoded)
    }), { numRuns: 500 })
  })

  it('Envelope round-trips through canonical encoding', () => {
    fc.assert(fc.property(envelopeArb, (envelope) => {
      const encoded = encodeEnvelope(envelope)
      if (encoded.byteLength > MAX_ENVELOPE_BYTES) return
      const decoded = decodeEnvelope(encoded)
      expect(encodeEnvelope(decoded)).toEqual(encoded)
      expect(decoded.post).toEqual(envelope.post)
      expect(decoded.pow).toBe(envelope.pow)
    }), { numRuns: 500 })
  })

  it('rejects encodings that decode but are not canonical', () => {
    const post = encodePost({ channel: '#a', kind: Post.Kind.POST, parent: new Uint8Array(0), body: 'x', vote: 0, created: 5n, ttl: 60, padding: new Uint8Array(0), salt: new Uint8Array(0), thread: new Uint8Array(0) })
    // fields out of order: ttl (field 7) first
    const reordered = new Uint8Array([0x38, 60, ...post.subarray(0, post.byteLength - 2)])
    expect(code(() => decodePost(reordered))).toBe('ERR_NOT_CANONICAL')
    // a default value written out explicitly (vote = 0)
    expect(code(() => decodePost(new Uint8Array([...post, 0x28, 0])))).toBe('ERR_NOT_CANONICAL')
    // a non-minimal varint for created (5 as two bytes)
    const created = post.indexOf(0x30)
    const padded = new Uint8Array([...post.subarray(0, created + 1), 0x85, 0x00, ...post.subarray(created + 2)])
    expect(code(() => decodePost(padded))).toBe('ERR_NOT_CANONICAL')
    // an unknown field (11; 10 is the thread)
    expect(code(() => decodePost(new Uint8Array([...post, 0x58, 1])))).toBe('ERR_NOT_CANONICAL')
    // invalid UTF-8 in a string
    expect(code(() => decodePost(new Uint8Array([0x0a, 2, 0x23, 0xff])))).toBe('ERR_NOT_CANONICAL')
  })

  it('refuses a stuffed envelope by its wire shape, before decoding any field (fifth read of issue 12)', () => {
    const genuine = encodeEnvelope({ post: new Uint8Array(40), pow: 1n, ring: { ring: [new Uint8Array(32)], c0: new Uint8Array(32), s: [new Uint8Array(32)], tags: [new Uint8Array(32)], epoch: 1n, slot: 0, weekSlot: 0 } })
    const ringAtLimits = [...Array.from({ length: 64 }, () => [0x0a, 0]), ...Array.from({ length: 64 }, () => [0x1a, 0])].flat()
    const stuffed = (tag: number): Uint8Array => new Uint8Array([...Array.from({ length: 20 }, () => [tag, 0x80, 0x02, ...ringAtLimits]).flat(), ...genuine])
    // a ring field: in order once, then again; of wire type 6 or 7 (protons reads a known field whatever its wire type)
    const manyC0 = new Uint8Array([0x1a, 0xa0, 0x1f, ...Array.from({ length: 2000 }, () => [0x12, 0]).flat()]) // one ring of 2,000 c0s
    const decode = vi.spyOn(Envelope, 'decode')
    try {
      for (const bytes of [stuffed(0x1a), stuffed(0x1e), stuffed(0x1f), manyC0]) {
        expect(['ERR_NOT_CANONICAL', 'ERR_MALFORMED']).toContain(code(() => decodeEnvelope(bytes)))
      }
      expect(decode).not.toHaveBeenCalled()
      expect(decodeEnvelope(genuine)).toBeDefined()
    } finally {
      decode.mockRestore()
    }
  })

  it('refuses a stuffed Post by its wire shape, before decoding any field (sixth read of issue 12, RV13B High)', () => {
    const fill = (unit: number[]): Uint8Array => new Uint8Array(Array.from({ length: Math.floor(16_000 / unit.length) }, () => unit).flat())
    const genuine = encodePost({ channel: '#a', kind: Post.Kind.REPLY, parent: new Uint8Array(32), body: 'x', vote: 0, created: 5n, ttl: 60, padding: new Uint8Array(3), salt: new Uint8Array(16), thread: new Uint8Array(32) })
    const stuffed = [
      fill([0x1a, 0x00]), // an empty parent 8,000 times (a decode keeps the last)
      fill([0x7b]), // 16,000 nested start-groups of an unknown field 15
      fill([0x10, 0x01]), // kind 8,000 times
      fill([0x0a, 0x02, 0xc3, 0xa9]), // channel "é" 4,000 times
      fill([0x42, 0x01, 0x00]), // padding
      new Uint8Array([0x0b, ...genuine]), // a known field number as a start-group
      new Uint8Array([0x0a, 0x02, 0x23, 0x61, 0x12, 0x01, 0x01]), // kind (a varint) written as bytes
      new Uint8Array([...genuine, ...genuine]) // every field twice
    ]
    const decode = vi.spyOn(Post, 'decode')
    try {
      for (const bytes of stuffed) {
        expect(['ERR_NOT_CANONICAL', 'ERR_MALFORMED']).toContain(code(() => decodePost(bytes)))
      }
      expect(decode).not.toHaveBeenCalled()
      expect(decodePost(genuine).body).toBe('x')
      expect(decode).toHaveBeenCalledTimes(1)
    } finally {
      decode.mockRestore()
    }
  })

  it('refuses a stuffed sync message by its wire shape, before decoding any field (sixth read of issue 12)', () => {
    const fill = (unit: number[]): Uint8Array => new Uint8Array(Array.from({ length: Math.floor(200_000 / unit.length) }, () => unit).flat())
    const range = { upperCreated: 5n, upperId: new Uint8Array(2), mode: SyncRange.Mode.ID_LIST, fingerprint: new Uint8Array(0), count: 0, ids: [new Uint8Array(32), new Uint8Array(32)] }
    const genuine = encodeSyncMessage({ topic: '/murmur/2/x', ranges: [range, range], need: [new Uint8Array(32)], envelopes: [new Uint8Array(100), new Uint8Array(3)], pending: 2, sketchSalt: new Uint8Array(16), sketchSize: 3 })
    const stuffed = [
      fill([0x0a, 0x00]), // an empty topic 100,000 times (a 2 MiB one took ~1 s to decode)
      fill([0x32, 0x00]), // sketch_salt
      fill([0x7b]), // nested start-groups of an unknown field
      new Uint8Array([0x12, 0x04, 0x08, 0x01, 0x08, 0x01]), // a range's upper_created twice
      new Uint8Array([...genuine, 0x0a, 0x00]) // the topic again after the rest
    ]
    const decode = vi.spyOn(SyncMessage, 'decode')
    try {
      for (const bytes of stuffed) expect(code(() => decodeSyncMessage(bytes))).toBe('ERR_NOT_CANONICAL')
      expect(decode).not.toHaveBeenCalled()
      expect(decodeSyncMessage(genuine).ranges).toHaveLength(2)
    } finally {
      decode.mockRestore()
    }
  })

  it('rejects garbage, oversize input and oversize rings with typed codes', () => {
    expect(code(() => decodeEnvelope(new Uint8Array([0xff, 0xff, 0xff])))).toBe('ERR_MALFORMED')
    expect(code(() => decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)))).toBe('ERR_TOO_LARGE')
    const big = encodeEnvelope({ post: new Uint8Array(1), pow: 0n, ring: { ring: Array.from({ length: 65 }, () => new Uint8Array(32)), c0: new Uint8Array(0), s: [], tags: [], epoch: 0n, slot: 0, weekSlot: 0 } })
    expect(code(() => decodeEnvelope(big))).toBe('ERR_BAD_RING')
    const tags = encodeEnvelope({ post: new Uint8Array(1), pow: 0n, ring: { ring: [], c0: new Uint8Array(0), s: [], tags: Array.from({ length: 5 }, () => new Uint8Array(32)), epoch: 0n, slot: 0, weekSlot: 0 } })
    expect(code(() => decodeEnvelope(tags))).toBe('ERR_BAD_RING')
  })
})
