import { MAX_ENVELOPE_BYTES } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { decodeStemFrame, encodeStemFrame } from '../src/stem/index.js'

describe('stem frame', () => {
  it('round-trips topic and envelope', () => {
    const envelope = new Uint8Array([9, 8, 7, 6])
    const frame = encodeStemFrame({ topic: 'murmur/2/#lobby', envelope })
    expect(frame[0]).toBe(0)
    expect(frame[1]).toBe('murmur/2/#lobby'.length)
    expect(decodeStemFrame(frame)).toEqual({ topic: 'murmur/2/#lobby', envelope, publish: false })
  })

  it('carries the publish mark in bit 0 of its flags byte', () => {
    const envelope = new Uint8Array([9, 8, 7, 6])
    const frame = encodeStemFrame({ topic: 't', envelope, publish: true })
    expect(frame[0]).toBe(1)
    expect(decodeStemFrame(frame)).toEqual({ topic: 't', envelope, publish: true })
  })

  it('refuses malformed frames with a typed error', () => {
    const bad = [
      new Uint8Array(0),
      new Uint8Array([0]),
      new Uint8Array([0, 0, 1, 2]),
      new Uint8Array([0, 5, 97, 98]),
      new Uint8Array([0, 2, 0xff, 0xfe, 1]),
      // flags other than bit 0
      new Uint8Array([2, 1, 97, 1]),
      new Uint8Array([0x81, 1, 97, 1]),
      Uint8Array.of(0, ...new Uint8Array(2 + MAX_ENVELOPE_BYTES + 1).fill(1))
    ]
    for (const bytes of bad) {
      expect(() => decodeStemFrame(bytes)).toThrow(expect.objectContaining({ name: 'InvalidStemFrameError', code: 'ERR_BAD_STEM_FRAME' }))
    }
  })

  it('refuses to encode what it could not decode', () => {
    expect(() => encodeStemFrame({ topic: '', envelope: new Uint8Array(1) })).toThrow(RangeError)
    expect(() => encodeStemFrame({ topic: 'x'.repeat(256), envelope: new Uint8Array(1) })).toThrow(RangeError)
    expect(() => encodeStemFrame({ topic: 't', envelope: new Uint8Array(0) })).toThrow(RangeError)
  })
})
