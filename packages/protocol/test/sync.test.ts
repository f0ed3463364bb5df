import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Reconciler, SyncRange, decodeSyncMessage, encodeSyncMessage, toHex, INFINITY_CREATED } from '../src/index.js'
import type { SyncItem } from '../src/index.js'
import { seededRandom } from './helpers.js'

interface Outcome { need: Set<string>, give: Set<string>, roundTrips: number, bytes: number, maxMessage: number }

/** Runs a whole session in memory through the real encoding, as the node does over a stream. */
function reconcile (initiatorItems: SyncItem[], responderItems: SyncItem[], init = {}): Outcome {
  const initiator = new Reconciler(initiatorItems, 'initiator', init)
  const responder = new Reconciler(responderItems, 'responder', init)
  const need = new Set<string>()
  const give = new Set<string>()
  let bytes = 0
  let maxMessage = 0
  let roundTrips = 0
  let ranges = initiator.initial()
  while (ranges.length > 0) {
    if (++roundTrips > 256) throw new Error('reconciliation did not converge')
    const request = encodeSyncMessage({ topic: 'murmur/2/#t', ranges, need: [], envelopes: [], pending: 0 })
    bytes += request.byteLength
    maxMessage = Math.max(maxMessage, request.byteLength)
    const answer = responder.process(decodeSyncMessage(request).ranges)
    for (const item of answer.give) give.add(toHex(item.id))
    const reply = encodeSyncMessage({ topic: '', ranges: answer.ranges, need: [], envelopes: [], pending: 0 })
    bytes += reply.byteLength
    maxMessage = Math.max(maxMessage, reply.byteLength)
    const step = initiator.process(decodeSyncMessage(reply).ranges)
    for (const id of step.need) need.add(toHex(id))
    ranges = step.ranges
  }
  return { need, give, roundTrips, bytes, maxMessage }
}

function items (label: string, count: number, start = 1_700_000_000): SyncItem[] {
  const random = seededRandom(label)
  return Array.from({ length: count }, (_, i) => ({ created: start + Math.floor(i / 3), id: random(32) }))
}

const hexes = (list: SyncItem[]): Set<string> => new Set(list.map((i) => toHex(i.id)))
const minus = (a: Set<string>, b: Set<string>): Set<string> => new Set([...a].filter((x) => !b.has(x)))

describe('range-based set reconciliation', () => {
  it('finds exactly the differences of arbitrary sets', () => {
    const pool = items('pool', 400)
    fc.assert(fc.property(fc.array(fc.boolean(), { minLength: 400, maxLength: 400 }), fc.array(fc.boolean(), { minLength: 400, maxLength: 400 }), fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 40 }), (inA, inB, branches, idListThreshold) => {
      const a = pool.filter((_, i) => inA[i])
      const b = pool.filter((_, i) => inB[i])
      const out = reconcile(a, b, { branches, idListThreshold })
      const missingAtA = minus(hexes(b), hexes(a))
      // everything the initiator lacks arrives either as a need or as a push
      expect(new Set([...out.need, ...out.give])).toEqual(missingAtA)
      // nothing it already has is asked for or pushed
      for (const id of [...out.need, ...out.give]) expect(hexes(a).has(id)).toBe(false)
    }), { numRuns: 150 })
  })

  it('costs a few round trips and little traffic when the sets are equal or nearly equal', () => {
    const all = items('big', 10_000)
    expect(reconcile(all, all)).toMatchObject({ roundTrips: 1, need: new Set(), give: new Set() })
    const withoutOne = all.filter((_, i) => i !== 4321)
    const one = reconcile(withoutOne, all)
    expect(one.need.size + one.give.size).toBe(1)
    expect(one.roundTrips).toBeLessThanOrEqual(5)
    expect(one.bytes).toBeLessThan(6_000)
  })

  it('pushes a whole missing range without listing ids', () => {
    const all = items('newest', 2000)
    const out = reconcile(all.slice(0, 1800), all)
    expect(out.give.size + out.need.size).toBe(200)
    expect(out.give.size).toBeGreaterThan(150)
  })

  it('two large diverged sets converge within a per-answer range budget', () => {
    const a = items('diverged-a', 3000)
    const b = items('diverged-b', 3000, 1_700_000_001)
    const budget = 4 * 1024
    const out = reconcile(a, b, { rangeBudget: budget })
    expect(new Set([...out.need, ...out.give])).toEqual(minus(hexes(b), hexes(a)))
    expect(out.maxMessage).toBeLessThan(budget + 2048)
  })

  it('does not overflow the stack on very large ranges', () => {
    const many = items('many', 150_000)
    const step = new Reconciler(many, 'responder').process([{ upperCreated: INFINITY_CREATED, upperId: new Uint8Array(0), mode: SyncRange.Mode.FINGERPRINT, fingerprint: new Uint8Array(16), count: 0, ids: [] }])
    expect(step.give.length).toBe(150_000)
  })

  it('handles items that share a timestamp and long common id prefixes', () => {
    const base = seededRandom('prefix')(32)
    const same = Array.from({ length: 100 }, (_, i) => {
      const id = Uint8Array.from(base)
      id[30] = i >> 8
      id[31] = i & 0xff
      return { created: 5, id }
    })
    const out = reconcile(same.filter((_, i) => i % 7 !== 0), same, { branches: 4, idListThreshold: 3 })
    expect(new Set([...out.need, ...out.give]).size).toBe(15)
  })

  it('rejects malformed ranges with ERR_MALFORMED', () => {
    const r = new Reconciler(items('m', 10), 'responder')
    const range = (created: bigint, fields: Partial<SyncRange> = {}): SyncRange => ({ upperCreated: created, upperId: new Uint8Array(0), mode: SyncRange.Mode.SKIP, fingerprint: new Uint8Array(0), count: 0, ids: [], ...fields })
    expect(() => r.process([range(5n)])).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }))
    expect(() => r.process([range(9n), range(5n), range(INFINITY_CREATED)])).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }))
    expect(() => r.process([range(INFINITY_CREATED, { mode: SyncRange.Mode.FINGERPRINT, fingerprint: new Uint8Array(3) })])).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }))
    expect(() => r.process([range(INFINITY_CREATED, { mode: SyncRange.Mode.ID_LIST, ids: [new Uint8Array(31)] })])).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }))
    expect(() => decodeSyncMessage(new Uint8Array([0x12, 0xff]))).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }))
  })

  // fourteenth read of issue 12, Low 1: a salt of another length decoded, and the responder's sketch then
  // threw a RangeError that ended the session at no cost to the peer that sent it
  it('rejects a sketch salt that is not 16 bytes with ERR_MALFORMED, and keeps a 16-byte one', () => {
    const message = (salt: Uint8Array): Uint8Array => encodeSyncMessage({ topic: 't', ranges: [], need: [], envelopes: [], pending: 0, sketchSalt: salt as Uint8Array<ArrayBuffer>, sketchSize: 3 })
    for (const size of [0, 3, 15, 17, 64]) {
      expect(() => decodeSyncMessage(message(new Uint8Array(size)))).toThrow(expect.objectContaining({ name: 'ProtocolError', code: 'ERR_MALFORMED' }))
    }
    expect(decodeSyncMessage(message(new Uint8Array(16).fill(9))).sketchSalt).toEqual(new Uint8Array(16).fill(9))
  })
})
