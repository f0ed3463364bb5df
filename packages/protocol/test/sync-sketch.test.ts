import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../src/bytes.js'
import { RibltDecoder, RibltEncoder, symbolChecksum } from '../src/sync/riblt.js'
import type { CellBlock } from '../src/sync/riblt.js'
import type { SketchError } from '../src/sync/sketch-errors.js'
import { SKETCH_SALT_BYTES, SketchInitiator, SketchResponder, decodeCells, encodeCells, shortIds, sketchFirstBatch } from '../src/sync/sketch.js'
import type { SketchStep } from '../src/sync/sketch.js'
import { seededRandom } from './helpers.js'

const ids = (label: string, count: number): Uint8Array[] => {
  const random = seededRandom(label)
  return Array.from({ length: count }, () => random(32))
}

interface Session { need: Set<string>, surplus: number, cells: number, roundTrips: number, fallback: boolean }

/** A whole sketch session in memory, through the wire encoding of cells and short ids. */
function session (initiatorIds: Uint8Array[], responderIds: Uint8Array[], maxCells?: number): Session {
  const salt = seededRandom(`salt ${initiatorIds.length} ${responderIds.length}`)(SKETCH_SALT_BYTES)
  const initiator = new SketchInitiator(initiatorIds, { salt, ...(maxCells === undefined ? {} : { maxCells }) })
  const responder = new SketchResponder(responderIds, salt)
  let step: SketchStep = { status: 'more', more: sketchFirstBatch(initiator.size, responderIds.length) }
  let roundTrips = 0
  while (step.status === 'more') {
    if (++roundTrips > 64) throw new Error('sketch session did not converge')
    step = initiator.receive(responder.next(step.more))
  }
  if (step.status === 'fallback') return { need: new Set(), surplus: 0, cells: initiator.cells, roundTrips, fallback: true }
  const need = responder.resolve(step.need)
  for (const id of need) expect(initiator.asked(id)).toBe(true)
  return { need: new Set(need.map(toHex)), surplus: step.surplus, cells: initiator.cells, roundTrips, fallback: false }
}

/** Initiator and responder ids sharing `common`, with `onlyI` and `onlyR` of their own. */
function sets (seed: string, common: number, onlyI: number, onlyR: number): { mine: Uint8Array[], theirs: Uint8Array[], missing: Set<string> } {
  const shared = ids(`${seed} common`, common)
  const mine = ids(`${seed} initiator`, onlyI)
  const theirs = ids(`${seed} responder`, onlyR)
  return { mine: [...shared, ...mine], theirs: [...theirs, ...shared], missing: new Set(theirs.map(toHex)) }
}

const isSketchError = (err: unknown): err is SketchError => err instanceof Error && err.name === 'SketchError'

/** Symbols [hi, lo] of `count` random 64-bit values. */
function symbols (seed: string, count: number): Uint32Array {
  const bytes = seededRandom(seed)(8 * count)
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  return Uint32Array.from({ length: 2 * count }, (_, k) => view.getUint32(4 * k))
}

describe('sketch reconciliation (rateless IBLT)', () => {
  it('decodes exactly the symmetric difference of random sets', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.string({ maxLength: 8 }),
      (common, onlyI, onlyR, seed) => {
        const { mine, theirs, missing } = sets(seed, common, onlyI, onlyR)
        const outcome = session(mine, theirs)
        expect(outcome.fallback).toBe(false)
        expect(outcome.need).toEqual(missing)
        expect(outcome.surplus).toBe(onlyI)
      }
    ), { numRuns: 60 })
  })

  it.each([
    ['no difference', 2000, 0, 0],
    ['one missing', 2000, 0, 1],
    ['one surplus', 2000, 1, 0],
    ['all missing (a fresh node)', 0, 0, 1500],
    ['all different', 0, 700, 700],
    ['a tenth missing', 9000, 0, 1000]
  ])('%s', (_, common, onlyI, onlyR) => {
    const { mine, theirs, missing } = sets(`case ${common} ${onlyI} ${onlyR}`, common, onlyI, onlyR)
    const outcome = session(mine, theirs)
    expect(outcome.need).toEqual(missing)
    expect(outcome.surplus).toBe(onlyI)
    // the cost follows the difference, not the sets
    expect(outcome.cells).toBeLessThanOrEqual(Math.ceil(2 * 1.4 * (onlyI + onlyR)) + 64)
  })

  it('a node catching up decodes in one batch; the cells it needs are about 1.4 per missing id', () => {
    const needed: number[] = []
    for (let run = 0; run < 5; run++) {
      const { mine, theirs } = sets(`catch-up ${run}`, 4000, 0, 500)
      expect(session(mine, theirs).roundTrips).toBeLessThanOrEqual(2)
      // cell by cell: the fewest cells that decode
      const salt = new Uint8Array(SKETCH_SALT_BYTES).fill(run)
      const decoder = new RibltDecoder(shortIds(mine, salt))
      const encoder = new RibltEncoder(shortIds(theirs, salt))
      decoder.add(encoder.next(400))
      while (!decoder.done) decoder.add(encoder.next(1))
      needed.push(decoder.length / 500)
    }
    needed.sort((a, b) => a - b)
    expect(needed[2]).toBeGreaterThan(1.2)
    expect(needed[2]).toBeLessThan(1.5)
  })

  it('a difference past maxCells falls back to ranges within a bounded number of cells', () => {
    const { mine, theirs } = sets('large', 100, 400, 400)
    const outcome = session(mine, theirs, 256)
    expect(outcome.fallback).toBe(true)
    expect(outcome.cells).toBeLessThanOrEqual(256)
  })

  it('the cell codec round-trips', () => {
    const block = new RibltEncoder(symbols('codec', 50)).next(40)
    expect(decodeCells(encodeCells(block), 0)).toEqual(block)
  })
})

describe('sketch reconciliation against a hostile responder', () => {
  const codes = ['ERR_SKETCH_MALFORMED', 'ERR_SKETCH_TOO_LARGE', 'ERR_SKETCH_INCONSISTENT']

  it('random bytes end in a typed error or a bounded request for more, never a hang', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 4000 }), { minLength: 1, maxLength: 40 }), (batches) => {
      const initiator = new SketchInitiator(ids('hostile', 200), { maxCells: 2048 })
      try {
        for (const bytes of batches) {
          const step = initiator.receive(bytes)
          if (step.status !== 'more') break
          expect(step.more).toBeGreaterThan(0)
        }
      } catch (err) {
        if (!isSketchError(err)) throw err
        expect(codes).toContain(err.code)
      }
      expect(initiator.cells).toBeLessThanOrEqual(2048)
    }), { numRuns: 200 })
  })

  it('well-formed random cells end in a typed error within maxCells', () => {
    fc.assert(fc.property(fc.string({ maxLength: 8 }), (seed) => {
      const decoder = new RibltDecoder(symbols(`local ${seed}`, 300), { maxCells: 4096 })
      const random = seededRandom(seed)
      expect(() => {
        for (let batch = 0; batch < 1000; batch++) decoder.add(decodeCells(encodeCells(randomBlock(random, decoder.length, 512)), decoder.length))
      }).toThrow(expect.objectContaining({ name: 'SketchError' }))
      expect(decoder.length).toBeLessThanOrEqual(4096)
    }), { numRuns: 20 })
  })

  it('cells that never decode, streamed forever, stop at maxCells with ERR_SKETCH_TOO_LARGE', () => {
    const decoder = new RibltDecoder(symbols('local', 300), { maxCells: 4096 })
    const random = seededRandom('forever')
    expect(() => {
      for (let batch = 0; batch < 1000; batch++) {
        const block = randomBlock(random, decoder.length, 512)
        block.count.fill(1_000) // never ±1 after subtracting 300 local symbols
        decoder.add(block)
      }
    }).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_TOO_LARGE' }))
    expect(decoder.length).toBe(4096)
  })

  it('a peeling loop (a symbol that turns pure again after it was peeled) is ERR_SKETCH_INCONSISTENT', () => {
    const s = symbols('loop', 1)
    const cells = 64
    const mapped = new RibltEncoder(s).next(cells)
    const block = new RibltEncoder(s).next(cells)
    // a later cell of s says "s twice, cancelled": once s is peeled it reads as s alone
    const k = [...mapped.count.keys()].filter((i) => mapped.count[i] === 1).at(-1)!
    expect(k).toBeGreaterThan(0)
    block.hi[k] = 0
    block.lo[k] = 0
    block.check[k] = 0
    block.count[k] = 2
    const decoder = new RibltDecoder(new Uint32Array(0))
    expect(() => decoder.add(block)).toThrow(expect.objectContaining({ name: 'SketchError', code: 'ERR_SKETCH_INCONSISTENT' }))
  })

  it('cells claiming the remote alone holds a symbol this side holds are ERR_SKETCH_INCONSISTENT', () => {
    const x = symbols('mine', 1)
    const block = new RibltEncoder(x).next(32)
    for (let i = 0; i < 32; i++) {
      if (block.count[i] === 0) continue
      block.hi[i] = 0
      block.lo[i] = 0
      block.check[i] = 0
      block.count[i] = 2
    }
    expect(() => new RibltDecoder(x).add(block)).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_INCONSISTENT' }))
  })

  it('huge or truncated counts are ERR_SKETCH_MALFORMED; large honest-looking counts are just not pure', () => {
    const cell = (count: Uint8Array): Uint8Array => new Uint8Array([...new Uint8Array(12), ...count])
    // 2^35 as a varint, and a varint that never ends
    expect(() => decodeCells(cell(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), 0)).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_MALFORMED' }))
    expect(() => decodeCells(cell(new Uint8Array([0xff, 0xff])), 0)).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_MALFORMED' }))
    expect(() => decodeCells(new Uint8Array(12), 0)).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_MALFORMED' }))
    const decoder = new RibltDecoder(symbols('counts', 10))
    decoder.add(decodeCells(cell(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])), 0))
    expect(decoder.done).toBe(false)
    expect(decoder.decoded).toBe(0)
  })

  it('cells out of order are ERR_SKETCH_MALFORMED', () => {
    const decoder = new RibltDecoder(symbols('order', 10))
    expect(() => decoder.add({ ...new RibltEncoder(symbols('order', 10)).next(4), start: 3 })).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_MALFORMED' }))
  })

  it('the responder rejects a need list that is not whole short ids', () => {
    const responder = new SketchResponder(ids('r', 5), new Uint8Array(SKETCH_SALT_BYTES))
    expect(() => responder.resolve(new Uint8Array(7))).toThrow(expect.objectContaining({ code: 'ERR_SKETCH_MALFORMED' }))
    expect(responder.resolve(new Uint8Array(16))).toEqual([])
  })
})

/** `length` cells of random content whose checksums are right half the time (so that some look pure). */
function randomBlock (random: (n: number) => Uint8Array, start: number, length: number): CellBlock {
  const bytes = random(12 * length)
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  const block: CellBlock = { start, hi: new Uint32Array(length), lo: new Uint32Array(length), check: new Uint32Array(length), count: new Float64Array(length) }
  for (let i = 0; i < length; i++) {
    block.hi[i] = view.getUint32(12 * i)
    block.lo[i] = view.getUint32(12 * i + 4)
    const r = view.getUint32(12 * i + 8)
    block.check[i] = r % 2 === 0 ? symbolChecksum(block.hi[i]!, block.lo[i]!) : r
    block.count[i] = r % 3
  }
  return block
}
