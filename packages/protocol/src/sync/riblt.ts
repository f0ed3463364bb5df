import { SketchError } from './sketch-errors.js'

// Rateless invertible Bloom lookup table (Yang, Gilad, Alizadeh, "Practical Rateless Set Reconciliation",
// SIGCOMM 2024) over 64-bit symbols: an encoder emits an endless stream of coded symbols ("cells"); a
// decoder holding its own set subtracts its own encoding and peels the difference out of the first
// ≈ 1.35·d cells, whatever the sizes of the sets. Symbols are the salted short ids of ./short-ids.ts, held
// as two unsigned 32-bit halves so that nothing needs BigInt on the hot path.

/** A run of consecutive coded symbols, cells `start … start + length - 1` of the stream. */
export interface CellBlock {
  /** Index of the first cell in the stream. */
  start: number
  /** XOR of the high halves of the symbols mapped to each cell. */
  hi: Uint32Array
  /** XOR of the low halves. */
  lo: Uint32Array
  /** XOR of the symbols' checksums. */
  check: Uint32Array
  /** Encoder: how many symbols map to each cell; decoder: remote minus local. */
  count: Float64Array
}

/** murmur3's 32-bit finaliser: a bijective mix of 32 bits. */
function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The checksum a cell holding exactly one symbol carries: how a decoder tells a pure cell from a mixture.
 *
 * @example
 * ```ts
 * const pure = Math.abs(count) === 1 && symbolChecksum(hi, lo) === check
 * ```
 */
export function symbolChecksum (hi: number, lo: number): number {
  return fmix32(hi ^ fmix32(lo ^ 0x5bd1e995))
}

/** Seed of a symbol's index sequence (independent of its checksum). */
function mappingSeed (hi: number, lo: number): number {
  return fmix32(lo ^ fmix32(hi ^ 0x27d4eb2f))
}

/** Advances a mapping state (a Weyl sequence, output through fmix32). */
const nextState = (state: number): number => (state + 0x9e3779b9) >>> 0

/**
 * The cell after `index` that a symbol whose mapping state just became `state` maps to: the gap is drawn so
 * that the symbol lands in cell i with probability ≈ 1 / (1 + i/2) (the paper's mapping; a 32-bit draw).
 */
function nextIndex (index: number, state: number): number {
  const u = (fmix32(state) + 1) / 4294967296
  return index + Math.max(1, Math.ceil((index + 1.5) * (1 / Math.sqrt(u) - 1)))
}

function emptyBlock (start: number, length: number): CellBlock {
  return { start, hi: new Uint32Array(length), lo: new Uint32Array(length), check: new Uint32Array(length), count: new Float64Array(length) }
}

/**
 * Encodes a set of 64-bit symbols as a rateless stream of coded symbols, produced in order on demand.
 *
 * @example
 * ```ts
 * const encoder = new RibltEncoder(symbols) // [hi0, lo0, hi1, lo1, …]
 * const first = encoder.next(64) // cells 0…63, then encoder.next(32) gives 64…95
 * ```
 */
export class RibltEncoder {
  private readonly symbols: Uint32Array
  private readonly checks: Uint32Array
  private readonly states: Uint32Array
  private readonly indices: Float64Array
  private produced = 0

  /** `symbols`: the set, two 32-bit halves (high, low) per symbol; duplicates are the caller's to avoid. */
  constructor (symbols: Uint32Array) {
    if (symbols.length % 2 !== 0) throw new RangeError(`expected pairs of 32-bit halves, got ${symbols.length} words`)
    const n = symbols.length / 2
    this.symbols = symbols
    this.checks = new Uint32Array(n)
    this.states = new Uint32Array(n)
    this.indices = new Float64Array(n) // every symbol maps to cell 0 first
    for (let k = 0; k < n; k++) {
      this.checks[k] = symbolChecksum(symbols[2 * k]!, symbols[2 * k + 1]!)
      this.states[k] = mappingSeed(symbols[2 * k]!, symbols[2 * k + 1]!)
    }
  }

  /** How many cells were produced so far. */
  get length (): number {
    return this.produced
  }

  /** The next `length` cells of the stream. */
  next (length: number): CellBlock {
    const start = this.produced
    const end = start + length
    const block = emptyBlock(start, length)
    const { symbols, checks, states, indices } = this
    for (let k = 0; k < checks.length; k++) {
      let index = indices[k]!
      if (index >= end) continue
      let state = states[k]!
      const hi = symbols[2 * k]!
      const lo = symbols[2 * k + 1]!
      const check = checks[k]!
      while (index < end) {
        const at = index - start
        block.hi[at]! ^= hi
        block.lo[at]! ^= lo
        block.check[at]! ^= check
        block.count[at]!++
        state = nextState(state)
        index = nextIndex(index, state)
      }
      states[k] = state
      indices[k] = index
    }
    this.produced = end
    return block
  }
}

/** Tuning and bounds of a {@link RibltDecoder}. */
export interface RibltDecoderInit {
  /**
   * Most cells the decoder accepts in all: past it `add` throws ERR_SKETCH_TOO_LARGE (the caller falls back
   * to range reconciliation). Bounds memory and work against a peer streaming cells forever.
   *
   * @default 65536
   */
  maxCells?: number
}

/** Default of {@link RibltDecoderInit.maxCells}. */
export const RIBLT_MAX_CELLS = 65_536

/** A symbol peeled out of the difference, with where its mapping stands (to subtract it from later cells). */
interface Peeled { hi: number, lo: number, check: number, sign: number, state: number, index: number }

/** The 64-bit key of a symbol, for set membership. */
export const symbolKey = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo)

/**
 * Decodes the symmetric difference between a remote set, seen through its coded symbols, and a local set.
 * Work is O(cells · log cells) whatever the cells hold: every peel must name a symbol not peeled before and
 * consistent with the local set, and no more symbols are peeled than cells were received.
 *
 * @example
 * ```ts
 * const decoder = new RibltDecoder(localSymbols)
 * decoder.add(remoteBlock)
 * if (decoder.done) console.log(decoder.remote(), decoder.local())
 * ```
 */
export class RibltDecoder {
  private readonly encoder: RibltEncoder
  private readonly mine: Set<bigint>
  private readonly maxCells: number
  private cells: CellBlock = emptyBlock(0, 0)
  private size = 0
  private readonly peeled: Peeled[] = []
  private readonly seen = new Set<bigint>()

  constructor (local: Uint32Array, init: RibltDecoderInit = {}) {
    this.encoder = new RibltEncoder(local)
    this.maxCells = init.maxCells ?? RIBLT_MAX_CELLS
    this.mine = new Set()
    for (let k = 0; k < local.length; k += 2) this.mine.add(symbolKey(local[k]!, local[k + 1]!))
  }

  /** Cells received so far. */
  get length (): number {
    return this.size
  }

  /** Symbols peeled so far. */
  get decoded (): number {
    return this.peeled.length
  }

  /**
   * Whether the whole difference is known: every cell is empty after peeling (cell 0, which every symbol
   * maps to, is enough for honest cells; all are checked so that a forged stream cannot pass as decoded).
   */
  get done (): boolean {
    if (this.size === 0) return false
    const c = this.cells
    for (let i = 0; i < this.size; i++) {
      if (c.count[i] !== 0 || c.hi[i] !== 0 || c.lo[i] !== 0 || c.check[i] !== 0) return false
    }
    return true
  }

  /**
   * Estimated size of the whole difference (peeled symbols plus those still hidden), from how many of the
   * later half of the cells are empty: a cell i stays empty with probability (1 - p_i)^d, p_i = 1 / (1 + i/2).
   * Infinity when none is empty (the difference is well beyond the cells received).
   */
  estimate (): number {
    const from = this.size >> 1
    let empty = 0
    let logMiss = 0
    const c = this.cells
    for (let i = from; i < this.size; i++) {
      if (c.count[i] === 0 && c.hi[i] === 0 && c.lo[i] === 0 && c.check[i] === 0) empty++
      logMiss += Math.log1p(-1 / (1 + i / 2))
    }
    const cells = this.size - from
    if (cells === 0 || empty === 0) return Infinity
    // i = 0 never contributes (p_0 = 1, log1p(-1) = -Infinity): from = 0 only when size is 1
    if (!Number.isFinite(logMiss)) return this.peeled.length + (empty === cells ? 0 : 1)
    return this.peeled.length + Math.log(empty / cells) / (logMiss / cells)
  }

  /** Symbols the remote set holds and the local one lacks, as [hi, lo] pairs. */
  remote (): Uint32Array {
    return this.collect(1)
  }

  /** Symbols the local set holds and the remote one lacks. */
  local (): Uint32Array {
    return this.collect(-1)
  }

  /**
   * Takes the next cells of the remote stream (they must continue it) and peels what they reveal. Throws
   * SketchError ERR_SKETCH_MALFORMED (out of order, bad counts), ERR_SKETCH_TOO_LARGE (past `maxCells`) or
   * ERR_SKETCH_INCONSISTENT (cells no honest encoder of any set produces).
   */
  add (block: CellBlock): void {
    const length = block.count.length
    if (block.start !== this.size) throw new SketchError('ERR_SKETCH_MALFORMED', `cells start at ${block.start}, expected ${this.size}`)
    if (this.size + length > this.maxCells) throw new SketchError('ERR_SKETCH_TOO_LARGE', `more than ${this.maxCells} cells`)
    const from = this.size
    const mine = this.encoder.next(length)
    this.grow(from + length)
    const c = this.cells
    for (let i = 0; i < length; i++) {
      c.hi[from + i] = block.hi[i]! ^ mine.hi[i]!
      c.lo[from + i] = block.lo[i]! ^ mine.lo[i]!
      c.check[from + i] = block.check[i]! ^ mine.check[i]!
      c.count[from + i] = block.count[i]! - mine.count[i]!
    }
    this.size = from + length
    // symbols peeled earlier reach into the new cells too
    for (const p of this.peeled) this.subtract(p, this.size, undefined)
    const queue: number[] = []
    for (let i = from; i < this.size; i++) if (this.isPure(i)) queue.push(i)
    this.peel(queue)
  }

  private peel (queue: number[]): void {
    while (queue.length > 0) {
      const i = queue.pop()!
      if (!this.isPure(i)) continue
      const c = this.cells
      const hi = c.hi[i]!
      const lo = c.lo[i]!
      const sign = c.count[i]!
      const key = symbolKey(hi, lo)
      if (this.seen.has(key)) throw new SketchError('ERR_SKETCH_INCONSISTENT', 'a symbol peeled twice')
      // +1: only the remote holds it, so the local set must not; -1: only the local set holds it
      if ((sign === 1) === this.mine.has(key)) throw new SketchError('ERR_SKETCH_INCONSISTENT', 'a peeled symbol contradicts the local set')
      // honest cells never yield more than a few symbols per cell before they decode: a bound on the work
      if (this.peeled.length >= 2 * this.size + 64) throw new SketchError('ERR_SKETCH_INCONSISTENT', 'more symbols than cells can hold')
      this.seen.add(key)
      const p: Peeled = { hi, lo, check: c.check[i]!, sign, state: mappingSeed(hi, lo), index: 0 }
      this.peeled.push(p)
      this.subtract(p, this.size, queue)
    }
  }

  /** Removes a peeled symbol from every cell below `end` it maps to, queueing cells that became pure. */
  private subtract (p: Peeled, end: number, queue: number[] | undefined): void {
    const c = this.cells
    while (p.index < end) {
      const j = p.index
      c.hi[j]! ^= p.hi
      c.lo[j]! ^= p.lo
      c.check[j]! ^= p.check
      c.count[j]! -= p.sign
      if (queue !== undefined && this.isPure(j)) queue.push(j)
      p.state = nextState(p.state)
      p.index = nextIndex(p.index, p.state)
    }
  }

  private isPure (i: number): boolean {
    const c = this.cells
    const count = c.count[i]!
    return (count === 1 || count === -1) && symbolChecksum(c.hi[i]!, c.lo[i]!) === c.check[i]
  }

  private grow (length: number): void {
    if (length <= this.cells.count.length) return
    const next = emptyBlock(0, Math.max(length, this.cells.count.length * 2))
    next.hi.set(this.cells.hi)
    next.lo.set(this.cells.lo)
    next.check.set(this.cells.check)
    next.count.set(this.cells.count)
    this.cells = next
  }

  private collect (sign: number): Uint32Array {
    const out: number[] = []
    for (const p of this.peeled) if (p.sign === sign) out.push(p.hi, p.lo)
    return Uint32Array.from(out)
  }
}
