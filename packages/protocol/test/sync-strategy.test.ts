import { describe, expect, it } from 'vitest'
import { Reconciler, SyncRange } from '../src/index.js'
import type { SyncItem } from '../src/index.js'
import { preferSketch, rangeSpread } from '../src/sync/strategy.js'
import { seededRandom } from './helpers.js'

function items (count: number): SyncItem[] {
  const random = seededRandom(`strategy ${count}`)
  return Array.from({ length: count }, (_, i) => ({ created: 1_700_000_000 + i, id: random(32) }))
}

/** The responder's answer to the initiator's opening fingerprint, and what the initiator makes of it. */
function firstSplit (mine: SyncItem[], theirs: SyncItem[]): ReturnType<typeof rangeSpread> {
  const reply = new Reconciler(theirs, 'responder').process(new Reconciler(mine, 'initiator').initial())
  return rangeSpread(mine, reply.ranges)
}

describe('choosing between ranges and the sketch', () => {
  const all = items(4000)

  it('a node that was away (a missing tail) stays with ranges', () => {
    const spread = firstSplit(all.slice(0, 3600), all)
    expect(spread.fingerprints).toBe(16)
    expect(spread.mismatched).toBeLessThanOrEqual(2)
    expect(preferSketch(spread)).toBe(false)
  })

  it('differences spread over the whole set switch to the sketch', () => {
    const random = seededRandom('spread')
    const spread = firstSplit(all.filter(() => random(1)[0]! >= 26), all) // about a tenth missing, anywhere
    expect(spread.mismatched).toBe(16)
    expect(preferSketch(spread)).toBe(true)
  })

  it('a side holding a few posts of many stays with ranges (the peer pushes what it lacks)', () => {
    const spread = firstSplit(all.filter((_, i) => i % 100 === 0), all)
    expect(spread.mismatched).toBe(16)
    expect(spread).toMatchObject({ theirs: 4000, mine: 40 })
    expect(preferSketch(spread)).toBe(false)
  })

  it('equal sets: nothing to choose', () => {
    const reply = new Reconciler(all, 'responder').process(new Reconciler(all, 'initiator').initial())
    expect(reply.ranges).toEqual([])
    expect(preferSketch(rangeSpread(all, reply.ranges))).toBe(false)
  })

  it('ranges out of order or malformed fingerprints count as nothing', () => {
    const range = (created: bigint, fingerprint: Uint8Array): SyncRange => ({ upperCreated: created, upperId: new Uint8Array(0), mode: SyncRange.Mode.FINGERPRINT, fingerprint: fingerprint as Uint8Array<ArrayBuffer>, count: 1, ids: [] })
    expect(rangeSpread(all, [range(5n, new Uint8Array(3)), range(9n, new Uint8Array(16)), range(2n, new Uint8Array(16))])).toEqual({ fingerprints: 1, mismatched: 1, theirs: 1, mine: 0 })
  })
})
