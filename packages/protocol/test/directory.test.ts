import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { compareBytes, equalBytes, fromHex, toHex } from '../src/bytes.js'
import { MemberStamp } from '../src/directory.js'
import { DIRECTORY_TOPIC, MIN_MEMBER_RING, announcementAction, checkRingMembers, directoryItemId, validateAnnouncement } from '../src/directory-announce.js'
import { generateAuthorKey } from '../src/ring.js'
import { sodium } from '../src/sodium.js'
import { decodeStamp, encodeStamp } from '../src/stamp.js'
import type { Stamp } from '../src/stamp.js'
import { STAMP_ERROR_ACTIONS } from '../src/stamp-errors.js'
import { stampRetainedUntil, stampWindow, weekStart } from '../src/stamp-window.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const vector = (JSON.parse(readFileSync(new URL('./fixtures/stamp-vectors.json', import.meta.url), 'utf8')) as Array<{ stamp: string, bits: number }>)[0]!
const bytes = fromHex(vector.stamp)
const stamp = decodeStamp(bytes)
const bits = vector.bits

/** Counts Argon2id evaluations (libsodium's crypto_pwhash) while `run` runs. */
function evaluations (run: () => void): number {
  const spy = vi.spyOn(sodium, 'crypto_pwhash')
  try {
    run()
    return spy.mock.calls.length
  } finally {
    spy.mockRestore()
  }
}

afterEach(() => { vi.restoreAllMocks() })

describe('validateAnnouncement', () => {
  it('accepts a stamped key, with its directory id and sync time, on the directory topic', () => {
    const result = validateAnnouncement(bytes, { now: VECTOR_NOW, bits })
    expect(result).toMatchObject({ ok: true, created: weekStart(stamp.week) })
    if (result.ok) expect(toHex(result.id)).toBe(toHex(directoryItemId(stamp)))
    expect(DIRECTORY_TOPIC).toBe('murmur/2/directory')
  })

  it('one item per key and week: another nonce is the same id, another week or key another id', () => {
    expect(directoryItemId({ ...stamp, nonce: 12345 } as Stamp)).toEqual(directoryItemId(stamp))
    expect(directoryItemId({ ...stamp, week: stamp.week + 1 })).not.toEqual(directoryItemId(stamp))
    expect(directoryItemId({ ...stamp, memberKey: generateAuthorKey(seededRandom('x')).publicKey })).not.toEqual(directoryItemId(stamp))
  })

  it('a bogus stamp is ERR_BAD_STAMP, rejected, for the price of exactly one evaluation', () => {
    let bogus!: Uint8Array
    for (let nonce = stamp.nonce + 1; ; nonce++) {
      bogus = encodeStamp({ ...stamp, nonce })
      // find a nonce that really is bogus at this small difficulty (most are)
      const result = validateAnnouncement(bogus, { now: VECTOR_NOW, bits })
      if (!result.ok) break
    }
    let result!: ReturnType<typeof validateAnnouncement>
    expect(evaluations(() => { result = validateAnnouncement(bogus, { now: VECTOR_NOW, bits }) })).toBe(1)
    expect(result).toMatchObject({ ok: false, code: 'ERR_BAD_STAMP' })
    expect(announcementAction('ERR_BAD_STAMP')).toBe('reject')
  })

  it('a stamp outside its week is ERR_STAMP_WEEK, ignored, and costs no evaluation', () => {
    const { notBefore, notAfter } = stampWindow(stamp.week)
    for (const now of [notBefore - 1, notAfter, notAfter + 86_400 * 30]) {
      let result!: ReturnType<typeof validateAnnouncement>
      expect(evaluations(() => { result = validateAnnouncement(bytes, { now, bits }) })).toBe(0)
      expect(result).toMatchObject({ ok: false, code: 'ERR_STAMP_WEEK' })
    }
    expect(announcementAction('ERR_STAMP_WEEK')).toBe('ignore')
  })

  it("history sync ('retain') takes a past week's stamp until the directory stops keeping it", () => {
    const { notAfter } = stampWindow(stamp.week)
    expect(validateAnnouncement(bytes, { now: notAfter, bits, window: 'retain' }).ok).toBe(true)
    expect(validateAnnouncement(bytes, { now: stampRetainedUntil(stamp.week) - 1, bits, window: 'retain' }).ok).toBe(true)
    expect(validateAnnouncement(bytes, { now: stampRetainedUntil(stamp.week), bits, window: 'retain' })).toMatchObject({ ok: false, code: 'ERR_STAMP_WEEK' })
    expect(validateAnnouncement(bytes, { now: stampWindow(stamp.week).notBefore - 1, bits, window: 'retain' })).toMatchObject({ ok: false, code: 'ERR_STAMP_WEEK' })
  })

  it('a bad member key is ERR_BAD_MEMBER_KEY before any evaluation', () => {
    let identity!: ReturnType<typeof validateAnnouncement>
    const count = evaluations(() => {
      identity = validateAnnouncement(MemberStamp.encode({ memberKey: new Uint8Array(32), week: stamp.week, nonce: 1 }), { now: VECTOR_NOW, bits })
    })
    expect(count).toBe(0)
    expect(identity).toMatchObject({ ok: false, code: 'ERR_BAD_MEMBER_KEY' })
    expect(validateAnnouncement(MemberStamp.encode({ memberKey: new Uint8Array(32).fill(0xff), week: stamp.week, nonce: 1 }), { now: VECTOR_NOW, bits })).toMatchObject({ ok: false, code: 'ERR_BAD_MEMBER_KEY' })
  })

  it('hostile bytes never throw and fail with a known code; none costs an evaluation unless it is a well-formed stamp of this week', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
      let result!: ReturnType<typeof validateAnnouncement>
      const count = evaluations(() => { result = validateAnnouncement(data, { now: VECTOR_NOW, bits: 20 }) })
      expect(result.ok).toBe(false)
      if (!result.ok) expect(Object.hasOwn(STAMP_ERROR_ACTIONS, result.code)).toBe(true)
      if (count > 0 && !result.ok) expect(result.code).toBe('ERR_BAD_STAMP')
    }), { numRuns: 2000 })
    // structured: a 32-byte key of any bytes, any week and nonce
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (memberKey, week, nonce) => {
      const result = validateAnnouncement(encodeStamp({ memberKey, week, nonce }), { now: VECTOR_NOW, bits: 20 })
      expect(result.ok).toBe(false)
    }), { numRuns: 300 })
    for (const value of [undefined, null, 'x', 42, {}]) expect(validateAnnouncement(value as unknown as Uint8Array).ok).toBe(false)
  })
})

describe('checkRingMembers', () => {
  const members = Array.from({ length: 20 }, (_, i) => generateAuthorKey(seededRandom(`dir-member-${i}`)).publicKey).sort(compareBytes)
  const week = stamp.week
  const directory = (entries: Array<[Uint8Array, number]>) => (key: Uint8Array, w: number): boolean => entries.some(([k, kw]) => kw === w && equalBytes(k, key))

  it('accepts a ring whose members all hold a stamp accepted at the post time', () => {
    const hasStamp = directory(members.map((m) => [m, week]))
    expect(checkRingMembers(members.slice(0, 16), { created: VECTOR_NOW, hasStamp, directorySize: 20 })).toEqual({ ok: true })
  })

  it('names the members without a stamp, costs no evaluation, and is an Ignore', () => {
    const hasStamp = directory(members.slice(4).map((m) => [m, week]))
    let result!: ReturnType<typeof checkRingMembers>
    expect(evaluations(() => { result = checkRingMembers(members.slice(0, 16), { created: VECTOR_NOW, hasStamp, directorySize: 16 }) })).toBe(0)
    expect(result).toMatchObject({ ok: false, code: 'ERR_UNKNOWN_MEMBER' })
    if (!result.ok && result.code === 'ERR_UNKNOWN_MEMBER') expect(result.missing).toEqual(members.slice(0, 4))
    expect(STAMP_ERROR_ACTIONS.ERR_UNKNOWN_MEMBER).toBe('ignore')
  })

  it('a ring of 16 members none of which the node knows: 16 to fetch, zero evaluations', () => {
    let result!: ReturnType<typeof checkRingMembers>
    expect(evaluations(() => { result = checkRingMembers(members.slice(0, 16), { created: VECTOR_NOW, hasStamp: () => false, directorySize: 100 }) })).toBe(0)
    expect(result.ok === false && result.code === 'ERR_UNKNOWN_MEMBER' && result.missing.length).toBe(16)
  })

  it('checks stamps at the post time: a previous week stamp counts in its grace day, not after', () => {
    const hasStamp = directory(members.map((m) => [m, week]))
    const { notAfter } = stampWindow(week)
    expect(checkRingMembers(members.slice(0, 16), { created: notAfter - 60, hasStamp, directorySize: 20 }).ok).toBe(true)
    expect(checkRingMembers(members.slice(0, 16), { created: notAfter, hasStamp, directorySize: 20 })).toMatchObject({ ok: false, code: 'ERR_UNKNOWN_MEMBER' })
  })

  it('asks for MIN_MEMBER_RING members, fewer only while the directory holds fewer', () => {
    const hasStamp = directory(members.map((m) => [m, week]))
    expect(MIN_MEMBER_RING).toBe(16)
    expect(checkRingMembers(members.slice(0, 15), { created: VECTOR_NOW, hasStamp, directorySize: 20 })).toMatchObject({ ok: false, code: 'ERR_RING_TOO_SMALL' })
    expect(checkRingMembers(members.slice(0, 5), { created: VECTOR_NOW, hasStamp, directorySize: 5 }).ok).toBe(true)
    expect(checkRingMembers(members.slice(0, 4), { created: VECTOR_NOW, hasStamp, directorySize: 20, minRingSize: 4 }).ok).toBe(true)
  })
})
