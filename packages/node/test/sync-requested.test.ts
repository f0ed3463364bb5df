/**
 * What an initiator admits of a sync peer's pushes (`Requested`), against the fourteenth adversarial read's
 * attack: a subscribing peer answers 63 rounds with 4,095 ranges each that the node holds nothing in, so the
 * node lists 258k ranges it asks pushes for, and every envelope pushed then cost a scan of all of them
 * (22 ms each, 45 s of main thread for one reply of 2,048). Touching ranges now merge, and an envelope is
 * placed by binary search; what is admitted is unchanged.
 */
import { SyncRange } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { Requested } from '../src/sync/requested.js'

/** An envelope of this test: 4 bytes of `created`, then its 32-byte id. */
function envelope (created: number, idByte: number): Uint8Array {
  const bytes = new Uint8Array(36)
  new DataView(bytes.buffer).setUint32(0, created)
  bytes.fill(idByte, 4)
  return bytes
}
const itemOf = (_topic: string, bytes: Uint8Array): { id: Uint8Array, created: number } =>
  ({ created: new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), id: bytes.slice(4) })

/** A range up to (`created`, id of `idByte`s) that asks for pushes (`empty`) or does not. */
function range (created: number, idByte: number, empty: boolean): SyncRange {
  return {
    upperCreated: BigInt(created),
    upperId: new Uint8Array(32).fill(idByte),
    mode: SyncRange.Mode.FINGERPRINT,
    fingerprint: new Uint8Array(16),
    count: empty ? 0 : 1,
    ids: []
  }
}

describe('Requested: the ranges a sync peer may push into', () => {
  it('admits exactly the envelopes inside a range that asked for pushes, once each', () => {
    const requested = new Requested('t', itemOf)
    // [0, 10) asks, [10, 20) does not, [20, 30) asks; then a later round asks again inside [10, 20): [12, 15)
    requested.sent([range(10, 0, true), range(20, 0, false), range(30, 0, true)])
    requested.sent([range(12, 0, false), range(15, 0, true), range(40, 0, false)])
    expect(requested.listedRanges).toBe(3)
    const admitted = [5, 10, 11, 12, 14, 15, 19, 20, 29, 30, 35].filter((created) => requested.admit(envelope(created, created)))
    expect(admitted).toEqual([5, 12, 14, 20, 29])
    // a second copy is unrequested
    expect(requested.admit(envelope(5, 5))).toBe(false)
  })

  it('keeps 63 rounds of 4,095 empty ranges as one range each round, not 258k', () => {
    const requested = new Requested('t', itemOf)
    for (let round = 0; round < 63; round++) {
      const ranges = Array.from({ length: 4_095 }, (_, i) => range(round * 10_000 + i + 1, 0, true))
      ranges.push(range(0xffffffff, 0xff, false))
      requested.sent(ranges)
    }
    // on the old list: 257,985 ranges, each envelope pushed compared with every one of them
    expect(requested.listedRanges).toBeLessThanOrEqual(63)
    expect(requested.admit(envelope(62 * 10_000 + 100, 1))).toBe(true)
    expect(requested.admit(envelope(0xfffffffe, 1))).toBe(false)
  })
})
