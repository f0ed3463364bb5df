import { decode as varintDecode, encode as varintEncode, encodingLength } from 'uint8-varint'
import { utf8 } from '../bytes.js'
import { sha256 } from '../hash.js'
import { RIBLT_MAX_CELLS, RibltDecoder, RibltEncoder, symbolKey } from './riblt.js'
import type { CellBlock } from './riblt.js'
import { SketchError } from './sketch-errors.js'

// One session of sketch reconciliation: the initiator picks a fresh salt, the responder streams the coded
// symbols of its salted short ids, the initiator decodes the difference and asks for what it lacks by short
// id. Short ids keep a cell at ~14 bytes instead of the ~70 a 32-byte id would need; a fresh salt per session
// keeps a collision from hiding the same post twice (Erlay's reasoning), and a peer cannot grind posts to
// collide with ids it has not seen the salt of.

/** Bytes of a salted short id. */
export const SKETCH_SHORT_ID_BYTES = 8
/** Bytes of a session's salt. */
export const SKETCH_SALT_BYTES = 16
/** Most cells in one message (≈ 14 bytes each, well inside SYNC_LIMITS.maxBytes). */
export const SKETCH_MAX_BATCH = 16_384
/**
 * Cells per difference asked for up front. RIBLT needs ≈ 1.35 asymptotically; measured here at d = 1,000:
 * median 1.38, p97 1.44, so 1.45 (+ SKETCH_SLACK) decodes at once in nearly every session (1.4 missed 7 %).
 */
export const SKETCH_OVERHEAD = 1.45
/** Cells added to every estimate, for small differences whose need varies most. */
export const SKETCH_SLACK = 32

const DOMAIN = utf8('murmur/v2/sync-short-id')
/** Largest count a cell may carry: more symbols than any set the decoder accepts. */
const MAX_COUNT = 2 ** 32

/**
 * The salted short ids of `ids`, as [hi, lo] pairs: the first 8 bytes of SHA-256(domain ‖ salt ‖ id).
 *
 * @example
 * ```ts
 * const symbols = shortIds(ids, salt)
 * ```
 */
export function shortIds (ids: Iterable<Uint8Array>, salt: Uint8Array): Uint32Array {
  if (salt.byteLength !== SKETCH_SALT_BYTES) throw new RangeError(`expected a ${SKETCH_SALT_BYTES}-byte salt, got ${salt.byteLength}`)
  const out: number[] = []
  for (const id of ids) {
    const h = sha256(DOMAIN, salt, id)
    const view = new DataView(h.buffer, h.byteOffset, 8)
    out.push(view.getUint32(0), view.getUint32(4))
  }
  return Uint32Array.from(out)
}

/** Symbols without repeats (an id listed twice, or a short-id collision, would otherwise cancel out). */
function distinct (symbols: Uint32Array): Uint32Array {
  const seen = new Set<bigint>()
  const out: number[] = []
  for (let k = 0; k < symbols.length; k += 2) {
    const key = symbolKey(symbols[k]!, symbols[k + 1]!)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(symbols[k]!, symbols[k + 1]!)
  }
  return out.length === symbols.length ? symbols : Uint32Array.from(out)
}

/**
 * Encodes cells for the wire: per cell, the high and low halves and the checksum (big-endian, 4 bytes each),
 * then the count as a varint.
 *
 * @example
 * ```ts
 * const bytes = encodeCells(encoder.next(64))
 * ```
 */
export function encodeCells (block: CellBlock): Uint8Array {
  let size = 0
  for (const count of block.count) size += 12 + encodingLength(count)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  for (let i = 0; i < block.count.length; i++) {
    view.setUint32(at, block.hi[i]!)
    view.setUint32(at + 4, block.lo[i]!)
    view.setUint32(at + 8, block.check[i]!)
    at += 12
    varintEncode(block.count[i]!, out, at)
    at += encodingLength(block.count[i]!)
  }
  return out
}

/**
 * Decodes cells starting at cell `start`; throws SketchError ERR_SKETCH_MALFORMED on truncated cells, a
 * count past 2^32, or more than `maxCells` cells.
 *
 * @example
 * ```ts
 * const block = decodeCells(bytes, decoder.length)
 * ```
 */
export function decodeCells (bytes: Uint8Array, start: number, maxCells = SKETCH_MAX_BATCH): CellBlock {
  const hi: number[] = []
  const lo: number[] = []
  const check: number[] = []
  const count: number[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  while (at < bytes.byteLength) {
    if (count.length >= maxCells) throw new SketchError('ERR_SKETCH_MALFORMED', `more than ${maxCells} cells in one message`)
    if (at + 13 > bytes.byteLength) throw new SketchError('ERR_SKETCH_MALFORMED', 'truncated cell')
    hi.push(view.getUint32(at))
    lo.push(view.getUint32(at + 4))
    check.push(view.getUint32(at + 8))
    at += 12
    let value: number
    try {
      value = varintDecode(bytes, at)
    } catch (err) {
      throw new SketchError('ERR_SKETCH_MALFORMED', 'cell count does not decode', { cause: err })
    }
    if (!Number.isSafeInteger(value) || value > MAX_COUNT) throw new SketchError('ERR_SKETCH_MALFORMED', `cell count ${value} out of range`)
    at += encodingLength(value)
    if (at > bytes.byteLength) throw new SketchError('ERR_SKETCH_MALFORMED', 'truncated cell count')
    count.push(value)
  }
  return { start, hi: Uint32Array.from(hi), lo: Uint32Array.from(lo), check: Uint32Array.from(check), count: Float64Array.from(count) }
}

/**
 * Cells a responder sends first, knowing both set sizes: the difference is at least their gap, and exactly
 * that when one set holds the other (a node catching up).
 *
 * @example
 * ```ts
 * const first = sketchFirstBatch(request.size, items.length)
 * ```
 */
export function sketchFirstBatch (initiatorSize: number, responderSize: number): number {
  return Math.min(SKETCH_MAX_BATCH, Math.ceil(SKETCH_OVERHEAD * Math.abs(responderSize - initiatorSize)) + SKETCH_SLACK)
}

/** What the initiator learned from a batch of cells. */
export type SketchStep =
  /** The difference is known: `need` packs the short ids to ask for; `surplus` counts what only this side holds. */
  | { status: 'done', need: Uint8Array, surplus: number }
  /** Not yet: ask for `more` cells. */
  | { status: 'more', more: number }
  /** The difference is past `maxCells`: reconcile with ranges instead. */
  | { status: 'fallback' }

/** Options of a {@link SketchInitiator}. */
export interface SketchInitiatorInit {
  /** The session's salt. @default 16 random bytes */
  salt?: Uint8Array
  /** Most cells decoded in a session before falling back to ranges. @default RIBLT_MAX_CELLS (65,536) */
  maxCells?: number
}

/**
 * The initiator's end of sketch reconciliation: decodes the responder's cells against its own ids and says
 * which short ids to ask for, or how many more cells it needs.
 *
 * @example
 * ```ts
 * const sketch = new SketchInitiator(ids)
 * // send { salt: sketch.salt, size: sketch.size }; for each reply: const step = sketch.receive(reply.cells)
 * ```
 */
export class SketchInitiator {
  /** The session's salt, sent in the first request. */
  readonly salt: Uint8Array
  /** How many ids this side holds. */
  readonly size: number
  private readonly decoder: RibltDecoder
  private readonly maxCells: number
  private readonly needed = new Set<bigint>()

  constructor (ids: readonly Uint8Array[], init: SketchInitiatorInit = {}) {
    this.salt = init.salt ?? globalThis.crypto.getRandomValues(new Uint8Array(SKETCH_SALT_BYTES))
    this.size = ids.length
    this.maxCells = init.maxCells ?? RIBLT_MAX_CELLS
    this.decoder = new RibltDecoder(distinct(shortIds(ids, this.salt)), { maxCells: this.maxCells })
  }

  /** Cells received so far. */
  get cells (): number {
    return this.decoder.length
  }

  /**
   * Takes the next batch of cells. Throws SketchError ERR_SKETCH_MALFORMED or ERR_SKETCH_INCONSISTENT on
   * cells an honest responder does not send; a batch past `maxCells` ends in `fallback`.
   */
  receive (bytes: Uint8Array): SketchStep {
    const block = decodeCells(bytes, this.decoder.length)
    if (this.decoder.length + block.count.length > this.maxCells) return { status: 'fallback' }
    this.decoder.add(block)
    if (this.decoder.done) {
      const remote = this.decoder.remote()
      const need = new Uint8Array(remote.length * 4)
      const view = new DataView(need.buffer)
      for (let k = 0; k < remote.length; k++) view.setUint32(4 * k, remote[k]!)
      for (let k = 0; k < remote.length; k += 2) this.needed.add(symbolKey(remote[k]!, remote[k + 1]!))
      return { status: 'done', need, surplus: this.decoder.local().length / 2 }
    }
    const received = this.decoder.length
    const estimate = this.decoder.estimate()
    // towards the estimate, but at least a quarter more and at most twice as many cells as so far
    const target = Number.isFinite(estimate) ? Math.ceil(SKETCH_OVERHEAD * estimate) + SKETCH_SLACK : 2 * received
    const more = Math.min(SKETCH_MAX_BATCH, this.maxCells - received, Math.max(SKETCH_SLACK, Math.ceil(received / 4), Math.min(received, target - received)))
    return more <= 0 ? { status: 'fallback' } : { status: 'more', more }
  }

  /** Whether `id` is one this side asked for (an envelope's id, checked before validation). */
  asked (id: Uint8Array): boolean {
    const s = shortIds([id], this.salt)
    return this.needed.has(symbolKey(s[0]!, s[1]!))
  }
}

/**
 * The responder's end of sketch reconciliation: streams the coded symbols of its ids under the initiator's
 * salt and maps the short ids asked for back to its ids.
 *
 * @example
 * ```ts
 * const sketch = new SketchResponder(ids, request.salt)
 * const cells = sketch.next(sketchFirstBatch(request.size, ids.length))
 * ```
 */
export class SketchResponder {
  private readonly encoder: RibltEncoder
  private readonly byShortId = new Map<bigint, Uint8Array>()

  /** Throws RangeError when `salt` is not SKETCH_SALT_BYTES long. */
  constructor (ids: readonly Uint8Array[], salt: Uint8Array) {
    const symbols = shortIds(ids, salt)
    for (let k = 0; k < ids.length; k++) this.byShortId.set(symbolKey(symbols[2 * k]!, symbols[2 * k + 1]!), ids[k]!)
    this.encoder = new RibltEncoder(distinct(symbols))
  }

  /** Cells sent so far. */
  get cells (): number {
    return this.encoder.length
  }

  /** The next `count` cells (at most SKETCH_MAX_BATCH), encoded. */
  next (count: number): Uint8Array {
    return encodeCells(this.encoder.next(Math.max(0, Math.min(count, SKETCH_MAX_BATCH))))
  }

  /**
   * The ids behind packed short ids; unknown ones are skipped. Throws SketchError ERR_SKETCH_MALFORMED when
   * `need` is not a whole number of short ids.
   */
  resolve (need: Uint8Array): Uint8Array[] {
    if (need.byteLength % SKETCH_SHORT_ID_BYTES !== 0) throw new SketchError('ERR_SKETCH_MALFORMED', `${need.byteLength} bytes is not a whole number of short ids`)
    const view = new DataView(need.buffer, need.byteOffset, need.byteLength)
    const out: Uint8Array[] = []
    for (let at = 0; at < need.byteLength; at += SKETCH_SHORT_ID_BYTES) {
      const id = this.byShortId.get(symbolKey(view.getUint32(at), view.getUint32(at + 4)))
      if (id !== undefined) out.push(id)
    }
    return out
  }
}
