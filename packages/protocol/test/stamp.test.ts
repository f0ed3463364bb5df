import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex } from '../src/bytes.js'
import { MemberStamp } from '../src/directory.js'
import { generateAuthorKey } from '../src/ring.js'
import { leadingZeroBits } from '../src/pow.js'
import { MAX_STAMP_BYTES, decodeStamp, encodeStamp, mintStamp, stampHash, verifyStamp } from '../src/stamp.js'
import type { Stamp, StampProgress } from '../src/stamp.js'
import { STAMP_ERROR_ACTIONS } from '../src/stamp-errors.js'
import { stampWindow, weekOf } from '../src/stamp-window.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const vectors = JSON.parse(readFileSync(new URL('./fixtures/stamp-vectors.json', import.meta.url), 'utf8')) as Array<{ name: string, stamp: string, hash: string, bits: number }>
const strong = vectors.find((v) => v.name === 'bits-10')!
const strongStamp = decodeStamp(fromHex(strong.stamp))
/** The strong vector's actual work: the difficulty its bit flips are checked against. */
const strongWork = leadingZeroBits(fromHex(strong.hash))
const weak = decodeStamp(fromHex(vectors[0]!.stamp))

describe('mintStamp', () => {
  it('mints a stamp that verifies, reporting progress after every evaluation', async () => {
    const key = generateAuthorKey(seededRandom('mint-1'))
    const progress: StampProgress[] = []
    const stamp = await mintStamp({ memberKey: key.publicKey, week: weekOf(VECTOR_NOW), bits: 2, onProgress: (p) => progress.push(p) })
    expect(verifyStamp(stamp, { now: VECTOR_NOW, bits: 2 }).ok).toBe(true)
    expect(progress.length).toBe(Number(stamp.nonce) + 1)
    const last = progress.at(-1)!
    expect(last).toMatchObject({ attempts: progress.length, nextNonce: stamp.nonce, bits: 2, expectedEvaluations: 4, etaSeconds: 0, chance: 1 })
    expect(progress[0]!.evaluationMs).toBeGreaterThan(0)
  })

  it('resumes from startNonce: the same stamp as an uninterrupted mint, without the evaluations before it', async () => {
    const key = generateAuthorKey(seededRandom('mint-2'))
    const week = weekOf(VECTOR_NOW)
    const whole = await mintStamp({ memberKey: key.publicKey, week, bits: 3 })
    let attempts = 0
    const resumed = await mintStamp({ memberKey: key.publicKey, week, bits: 3, startNonce: whole.nonce, onProgress: (p) => { attempts = p.attempts } })
    expect(resumed).toEqual(whole)
    expect(attempts).toBe(1)
  })

  it('stops with an AbortError when aborted, and the reported nextNonce resumes where it stopped', async () => {
    const key = generateAuthorKey(seededRandom('mint-3'))
    const controller = new AbortController()
    let next = 0
    const minting = mintStamp({
      memberKey: key.publicKey,
      week: weekOf(VECTOR_NOW),
      bits: 40,
      signal: controller.signal,
      onProgress: (p) => { next = p.nextNonce; if (p.attempts === 2) controller.abort() }
    })
    await expect(minting).rejects.toMatchObject({ name: 'AbortError' })
    expect(next).toBe(2)
  })

  it('yields to the event loop between evaluations', async () => {
    const key = generateAuthorKey(seededRandom('mint-4'))
    const controller = new AbortController()
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 0)
    await expect(mintStamp({
      memberKey: key.publicKey,
      week: weekOf(VECTOR_NOW),
      bits: 40,
      signal: controller.signal,
      onProgress: (p) => { if (p.attempts === 4) controller.abort() }
    })).rejects.toMatchObject({ name: 'AbortError' })
    clearInterval(timer)
    expect(ticks).toBeGreaterThanOrEqual(3)
  })

  it('refuses an unusable member key or week with a StampError or RangeError', async () => {
    await expect(mintStamp({ memberKey: new Uint8Array(32), week: 1, bits: 1 })).rejects.toMatchObject({ name: 'StampError', code: 'ERR_BAD_MEMBER_KEY' })
    await expect(mintStamp({ memberKey: new Uint8Array(31), week: 1, bits: 1 })).rejects.toMatchObject({ code: 'ERR_BAD_MEMBER_KEY' })
    await expect(mintStamp({ memberKey: weak.memberKey, week: -1, bits: 1 })).rejects.toMatchObject({ code: 'ERR_MALFORMED' })
    await expect(mintStamp({ memberKey: weak.memberKey, week: 1, bits: 257 })).rejects.toBeInstanceOf(RangeError)
  })
})

describe('verifyStamp', () => {
  const at = VECTOR_NOW

  it('refuses the stamp for another key, and for another week inside the window (ERR_BAD_STAMP)', () => {
    const other = generateAuthorKey(seededRandom('other-member')).publicKey
    expect(verifyStamp({ ...strongStamp, memberKey: other }, { now: at, bits: strongWork })).toMatchObject({ ok: false, code: 'ERR_BAD_STAMP' })
    const next = { ...strongStamp, week: strongStamp.week + 1 }
    expect(verifyStamp(next, { now: stampWindow(next.week).notBefore, bits: strongWork })).toMatchObject({ ok: false, code: 'ERR_BAD_STAMP' })
  })

  it('refuses a genuine stamp outside its week window with ERR_STAMP_WEEK (Ignore), without evaluating', () => {
    const { notBefore, notAfter } = stampWindow(strongStamp.week)
    expect(verifyStamp(strongStamp, { now: notBefore, bits: strongWork }).ok).toBe(true)
    expect(verifyStamp(strongStamp, { now: notAfter - 1, bits: strongWork }).ok).toBe(true)
    expect(verifyStamp(strongStamp, { now: notBefore - 1, bits: strongWork })).toMatchObject({ ok: false, code: 'ERR_STAMP_WEEK' })
    expect(verifyStamp(strongStamp, { now: notAfter, bits: strongWork })).toMatchObject({ ok: false, code: 'ERR_STAMP_WEEK' })
    expect(STAMP_ERROR_ACTIONS.ERR_STAMP_WEEK).toBe('ignore')
    expect(STAMP_ERROR_ACTIONS.ERR_BAD_STAMP).toBe('reject')
  })

  it('refuses a stamp below the difficulty asked for', () => {
    expect(verifyStamp(strongStamp, { now: at, bits: strongWork + 1 })).toMatchObject({ ok: false, code: 'ERR_BAD_STAMP' })
  })

  it('refuses every single bit flip of the week and the nonce, and of a sample of key bits', () => {
    const bytes = encodeStamp(strongStamp)
    // bytes 0..1 are the key's tag and length, 2..33 the key; week and nonce follow as tagged varints.
    // Every bit but the key's, and 16 of the key's (each costs an evaluation when it stays a valid point)
    const positions = [...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => (2 + 2 * i) * 8 + (i % 8)), ...Array.from({ length: (bytes.length - 34) * 8 }, (_, i) => 34 * 8 + i)]
    let evaluated = 0
    for (const position of positions) {
      const flipped = bytes.slice()
      flipped[position >> 3]! ^= 1 << (position & 7)
      let stamp: Stamp
      try {
        stamp = decodeStamp(flipped)
      } catch (err) {
        expect(err).toMatchObject({ name: 'StampError' })
        continue
      }
      const result = verifyStamp(stamp, { now: at, bits: strongWork })
      expect(result.ok, `bit ${position}`).toBe(false)
      if (!result.ok && result.code === 'ERR_BAD_STAMP') evaluated++
    }
    // most flips reach the Argon2id check; the rest fail earlier (bad point, week outside the window, varint)
    expect(evaluated).toBeGreaterThan(10)
  })

  it('never throws on hostile values', () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), (memberKey, week) => {
      const result = verifyStamp({ memberKey, week, nonce: 1 } as unknown as Stamp, { now: at, bits: 1 })
      return !result.ok
    }), { numRuns: 300 })
    for (const value of [null, undefined, 1, 'stamp', [], {}, { memberKey: weak.memberKey, week: 1.5, nonce: 0 }, { memberKey: weak.memberKey, week: weak.week, nonce: -1 }, { memberKey: weak.memberKey, week: weak.week, nonce: 2 ** 32 }, { memberKey: weak.memberKey, week: weak.week, nonce: 1n }]) {
      expect(verifyStamp(value as unknown as Stamp, { now: at }).ok).toBe(false)
    }
  })
})

describe('encodeStamp / decodeStamp', () => {
  it('round-trips any stamp exactly', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (memberKey, week, nonce) => {
      const bytes = encodeStamp({ memberKey, week, nonce })
      expect(bytes.byteLength).toBeLessThanOrEqual(46)
      const back = decodeStamp(bytes)
      expect(back).toEqual({ memberKey, week, nonce })
    }), { numRuns: 500 })
  })

  it('refuses non-canonical, oversized, unknown-field and short-key encodings with stable codes', () => {
    const bytes = encodeStamp(weak)
    expect(() => decodeStamp(new Uint8Array(MAX_STAMP_BYTES + 1))).toThrow(expect.objectContaining({ code: 'ERR_TOO_LARGE' }))
    // a trailing unknown field, and a duplicated week
    expect(() => decodeStamp(Uint8Array.from([...bytes, 0x20, 0x01]))).toThrow(expect.objectContaining({ code: 'ERR_NOT_CANONICAL' }))
    expect(() => decodeStamp(Uint8Array.from([...bytes, 0x10, 0x01]))).toThrow(expect.objectContaining({ code: 'ERR_NOT_CANONICAL' }))
    // week 0 written out explicitly: proto3 omits defaults
    expect(() => decodeStamp(Uint8Array.from([...MemberStamp.encode({ memberKey: new Uint8Array(weak.memberKey), week: 0, nonce: 5 }).subarray(0, 34), 0x10, 0x00, 0x18, 0x05]))).toThrow(expect.objectContaining({ code: 'ERR_NOT_CANONICAL' }))
    expect(() => decodeStamp(MemberStamp.encode({ memberKey: new Uint8Array(31), week: 1, nonce: 1 }))).toThrow(expect.objectContaining({ code: 'ERR_BAD_MEMBER_KEY' }))
    // a week beyond 32 bits, written as a uint64 varint
    expect(() => decodeStamp(Uint8Array.from([...bytes.subarray(0, 34), 0x10, 0x80, 0x80, 0x80, 0x80, 0x20]))).toThrow(expect.objectContaining({ name: 'StampError' }))
    expect(() => decodeStamp('stamp' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }))
  })

  it('never throws anything but a StampError on hostile bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try {
        decodeStamp(bytes)
      } catch (err) {
        expect(err).toMatchObject({ name: 'StampError' })
        expect(Object.hasOwn(STAMP_ERROR_ACTIONS, (err as { code: string }).code)).toBe(true)
      }
    }), { numRuns: 3000 })
  })

  it('hashes a stamp the same way every time, and differently for another nonce', () => {
    expect(stampHash(weak)).toEqual(stampHash({ ...weak }))
    expect(stampHash(weak)).not.toEqual(stampHash({ ...weak, nonce: weak.nonce + 1 }))
  })
})
