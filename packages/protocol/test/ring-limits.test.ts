// High 4 and Medium 6 (issue 12), protocol part: proof of work that grows with ring size; an epoch window
// for gossip; a second, weekly link tag that caps backdated posts arriving by sync. Slots: slots.test.ts.
import { describe, expect, it } from 'vitest'
import {
  buildEnvelope, channelTopic, compareBytes, decodeEnvelope, encodeEnvelope, generateAuthorKey, leadingZeroBits, postIdOf, postScope,
  inEpochWindow, powDigest, powHash, ringPowBits, requiredPowBits, toHex, validateEnvelope, weekScope, DEFAULT_POW_BITS, EPOCH_SECONDS, ERROR_ACTIONS,
  RING_POW_MEMBER_BITS
} from '../src/index.js'
import type { BuildEnvelopeOptions, RingAuthOptions, ValidationResult } from '../src/index.js'
import { remine, seededRandom, VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const NOW = VECTOR_NOW
const LOW = { POST: 2, REPLY: 2, VOTE: 2 }
const members = Array.from({ length: 4 }, (_, i) => generateAuthorKey(seededRandom(`limits-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const auth = (i: number, extra: Partial<RingAuthOptions> = {}): RingAuthOptions => ({ kind: 'ring', ring, secretKey: members[i]!.secretKey, sequence: { epoch: 0, week: 0 }, ...extra })
const build = async (extra: Partial<BuildEnvelopeOptions>): Promise<Uint8Array> =>
  (await buildEnvelope({ channel: '#lobby', body: 'hi', created: NOW, powBits: 2, auth: auth(0), ...extra })).bytes
const check = (bytes: Uint8Array, extra: object = {}): ValidationResult => validateEnvelope(bytes, { topic: TOPIC, now: NOW, powBits: LOW, ...extra })
const codeOf = (r: ValidationResult): string => r.ok ? 'ok' : r.code

describe('proof of work grows with ring size', () => {
  it('adds ceil(log2(n) + member bits) minus the default base on top of the configured base', () => {
    expect(ringPowBits('POST', 0)).toBe(0) // one-time posts
    expect([1, 4, 16, 64].map((n) => ringPowBits('POST', n))).toEqual([0, 2, 4, 6])
    expect([1, 4, 16, 64].map((n) => ringPowBits('VOTE', n))).toEqual([4, 6, 8, 10])
    for (const kind of ['POST', 'REPLY', 'VOTE'] as const) {
      for (let n = 1; n <= 64; n++) {
        // at the default base, 2^bits native hashes cover n members' verification (the model of PROTOCOL.md §3)
        expect(DEFAULT_POW_BITS[kind] + ringPowBits(kind, n)).toBeGreaterThanOrEqual(Math.log2(n) + RING_POW_MEMBER_BITS[kind])
        expect(ringPowBits(kind, n)).toBeGreaterThanOrEqual(ringPowBits(kind, Math.max(1, n - 1)))
      }
    }
    expect(requiredPowBits('POST', 16, { POST: 8 })).toBe(8 + 4)
  })

  it('refuses a ring envelope that meets the base difficulty but not the ring term', async () => {
    const bits = requiredPowBits('VOTE', ring.length, { VOTE: 8 })
    expect(bits).toBeGreaterThan(8)
    // a vote: base 8, ring term 4 for 4 members; find a nonce with 8..11 leading zero bits
    const vote = decodeEnvelope(await build({ kind: 'VOTE', parent: new Uint8Array(32), vote: 1, body: '', powBits: 8 }))
    const voteDigest = powDigest(postIdOf(TOPIC, encodeEnvelope(vote))!, vote)
    let nonce = 0n
    while (true) {
      const zeros = leadingZeroBits(powHash(voteDigest, nonce))
      if (zeros >= 8 && zeros < bits) break
      nonce++
    }
    expect(codeOf(check(encodeEnvelope({ ...vote, pow: nonce }), { powBits: { VOTE: 8 } }))).toBe('ERR_POW_TOO_LOW')
    expect(codeOf(check(encodeEnvelope(vote), { powBits: { VOTE: 8 } }))).toBe('ok')
  })
})

describe('an envelope without proof of work costs no curve operations', () => {
  it('64 members that are not points and no proof of work: ERR_POW_TOO_LOW, before any member is decoded', async () => {
    const env = decodeEnvelope(await build({ powBits: 2 }))
    const junk = Array.from({ length: 64 }, (_, i) => new Uint8Array(32).fill(i + 1)) as Array<Uint8Array<ArrayBuffer>>
    const forged = encodeEnvelope({ ...env, pow: 0n, ring: { ...env.ring!, ring: junk, s: junk } })
    expect(codeOf(check(forged, { powBits: { POST: 16 } }))).toBe('ERR_POW_TOO_LOW')
    // with the proof of work paid, the members are checked
    expect(codeOf(check(remine(decodeEnvelope(forged), TOPIC, requiredPowBits('POST', 64, { POST: 2 }))))).toBe('ERR_BAD_RING')
  })
})

describe('epoch window', () => {
  it('with epochWindow, a ring POST, REPLY or VOTE more than the window from now is Ignored with ERR_STALE_EPOCH', async () => {
    const hour = EPOCH_SECONDS
    const old = await build({ created: NOW - 2 * hour, ttl: 86_400 })
    const recent = await build({ created: NOW - hour, ttl: 86_400 })
    const reply = await build({ kind: 'REPLY', parent: new Uint8Array(32), thread: new Uint8Array(32).fill(9), created: NOW - 3 * hour, ttl: 86_400 })
    expect(codeOf(check(old, { epochWindow: 1 }))).toBe('ERR_STALE_EPOCH')
    expect(codeOf(check(reply, { epochWindow: 1 }))).toBe('ERR_STALE_EPOCH')
    expect(ERROR_ACTIONS.ERR_STALE_EPOCH).toBe('ignore')
    expect(codeOf(check(recent, { epochWindow: 1 }))).toBe('ok')
    // history sync does not pass the window: old posts still validate (the weekly tag caps them)
    expect(codeOf(check(old))).toBe('ok')
    // a post from the next epoch (clock skew across an hour boundary) is within ±1
    const ahead = await build({ created: NOW + 60 })
    expect(codeOf(check(ahead, { epochWindow: 1, now: NOW - 30 }))).toBe('ok')
    // a ring vote's epoch is its budget's: a vote backdated by gossip would spend the budget of an hour past
    const vote = await build({ kind: 'VOTE', parent: new Uint8Array(32), vote: 1, body: '', created: NOW - 5 * hour, ttl: 86_400 })
    expect(codeOf(check(vote, { epochWindow: 1 }))).toBe('ERR_STALE_EPOCH')
    expect(codeOf(check(vote))).toBe('ok')
    // one-time posts have no ring
    const oneTime = await build({ auth: { kind: 'one-time' }, created: NOW - 5 * hour, ttl: 86_400 })
    expect(codeOf(check(oneTime, { epochWindow: 1 }))).toBe('ok')
  })

  it('inEpochWindow is the rule the validator applies, to the second at both edges', () => {
    const hour = BigInt(EPOCH_SECONDS)
    const epoch = 1000n
    const start = epoch * hour
    // a window of 1 spans the epochs before and after: from the start of epoch - 1 to the end of epoch + 1
    expect(inEpochWindow(epoch, start - hour, 1)).toBe(true)
    expect(inEpochWindow(epoch, start - hour - 1n, 1)).toBe(false)
    expect(inEpochWindow(epoch, start + 2n * hour - 1n, 1)).toBe(true)
    expect(inEpochWindow(epoch, start + 2n * hour, 1)).toBe(false)
    expect(inEpochWindow(epoch, start + hour - 1n, 0)).toBe(true)
    expect(inEpochWindow(epoch, start + hour, 0)).toBe(false)
  })
})

describe('weekly link tags', () => {
  it('every ring POST and REPLY carries an hourly and a weekly link; backdated posts in one week share the weekly tag of a slot', async () => {
    const day = 86_400
    const results = await Promise.all([0, 1, 2].map(async (daysAgo) => check(await build({ created: NOW - daysAgo * day, ttl: 7 * day, auth: auth(2, { slot: 4, weekSlot: 77 }) }))))
    const links = results.map((r) => r.ok && r.auth.kind === 'ring' ? r.auth.links : [])
    for (const [i, l] of links.entries()) {
      expect(l).toHaveLength(2)
      const created = NOW - i * day
      expect(l[0]!.scope).toEqual(postScope(TOPIC, Math.floor(created / EPOCH_SECONDS), 4))
      expect(l[1]!.scope).toEqual(weekScope(TOPIC, Math.floor(created / 604_800), 77))
    }
    // three different hours: three hourly tags; the same week and week slot: one weekly tag, so a store
    // that keeps every link refuses the second and third (ERR_DUPLICATE_TAG) wherever their epochs are
    const weekOf = (t: number): number => Math.floor(t / 604_800)
    const sameWeek = [0, 1, 2].filter((i) => weekOf(NOW - i * day) === weekOf(NOW))
    expect(new Set(links.map((l) => toHex(l[0]!.tag))).size).toBe(3)
    expect(new Set(sameWeek.map((i) => toHex(links[i]![1]!.tag))).size).toBe(1)
    // primary scope and tag are the hourly link, for callers of v1's shape
    const first = results[0]!
    expect(first.ok && first.auth.kind === 'ring' && toHex(first.auth.tag)).toBe(toHex(links[0]![0]!.tag))
  })

  it('a ring VOTE carries two limit links: its post and its budget slot of the hour', async () => {
    const r = check(await build({ kind: 'VOTE', parent: new Uint8Array(32), vote: -1, body: '' }))
    expect(r.ok && r.auth.kind === 'ring' && r.auth.links.length).toBe(2)
  })
})
