import { equalBytes, toHex } from '../bytes.js'
import { ID_BYTES } from '../constants.js'
import { ProtocolError } from '../errors.js'
import { INFINITY, boundBetween, compareBounds, compareItems, lowerIndex } from './bounds.js'
import type { Bound, SyncItem } from './bounds.js'
import { FINGERPRINT_BYTES, fingerprint } from './fingerprint.js'
import { SyncRange } from './sync.js'

/** Which end of a sync session a reconciler is. */
export type SyncRole = 'initiator' | 'responder'

/** Tuning of range-based set reconciliation. */
export interface ReconcilerInit {
  /**
   * Sub-ranges a mismatching range is split into.
   *
   * @default 16
   */
  branches?: number
  /**
   * A side holding at most this many items in a mismatching range lists their ids instead of splitting.
   *
   * @default 32
   */
  idListThreshold?: number
  /**
   * Bytes of ranges one answer may hold; the rest is deferred to the next round.
   *
   * @default SYNC_RANGE_BUDGET (256 KiB)
   */
  rangeBudget?: number
}

/** What one step of reconciliation produced. */
export interface ReconcileStep {
  /** Ranges to send back; empty when this side has nothing left to say. */
  ranges: SyncRange[]
  /** Initiator: ids the other side holds and this side lacks (to fetch). */
  need: Uint8Array[]
  /** Responder: items this side holds and the other side lacks (to push). */
  give: SyncItem[]
}

/** Default of {@link ReconcilerInit.branches}: sub-ranges per split. */
export const SYNC_BRANCHES = 16
/** Default of {@link ReconcilerInit.idListThreshold}: at most this many items are listed instead of split. */
export const SYNC_ID_LIST_THRESHOLD = 32
/** Bytes of ranges one answer may hold before the rest is deferred (well inside SYNC_LIMITS.maxBytes). @default 256 KiB */
export const SYNC_RANGE_BUDGET = 256 * 1024

/** Upper estimate of a range's encoded size. */
const rangeBytes = (range: SyncRange): number => 24 + range.upperId.byteLength + range.fingerprint.byteLength + 34 * range.ids.length

const bad = (message: string): ProtocolError => new ProtocolError('ERR_MALFORMED', `sync: ${message}`)

const boundOf = (range: SyncRange): Bound => ({ created: range.upperCreated, id: range.upperId })

function rangeTo (bound: Bound, fields: Partial<SyncRange>): SyncRange {
  return { upperCreated: bound.created, upperId: bound.id as Uint8Array<ArrayBuffer>, mode: SyncRange.Mode.SKIP, fingerprint: new Uint8Array(0), count: 0, ids: [], ...fields }
}

/**
 * Range-based set reconciliation (the negentropy approach) over the (created, id) pairs of one channel.
 * Pure: it only decides what to say next; the node moves the bytes and the envelopes. The initiator learns
 * which ids it lacks (`need`); the responder learns which of its items the initiator lacks (`give`).
 *
 * @example
 * ```ts
 * const mine = new Reconciler(await collect(store.ids(channel)), 'initiator')
 * let ranges = mine.initial()
 * // send { topic, ranges }, then for each reply: const step = mine.process(reply.ranges) …
 * ```
 */
export class Reconciler {
  private readonly items: SyncItem[]
  private readonly role: SyncRole
  private readonly branches: number
  private readonly threshold: number
  private readonly rangeBudget: number

  constructor (items: Iterable<SyncItem>, role: SyncRole, init: ReconcilerInit = {}) {
    this.items = [...items].sort(compareItems).filter((item, i, all) => i === 0 || compareItems(all[i - 1]!, item) !== 0)
    this.role = role
    this.branches = Math.max(2, init.branches ?? SYNC_BRANCHES)
    this.threshold = init.idListThreshold ?? SYNC_ID_LIST_THRESHOLD
    this.rangeBudget = init.rangeBudget ?? SYNC_RANGE_BUDGET
  }

  /** The initiator's opening ranges: one fingerprint over everything. */
  initial (): SyncRange[] {
    return [this.fingerprintRange(INFINITY, 0, this.items.length)]
  }

  /**
   * Answers the other side's ranges. Throws ProtocolError ERR_MALFORMED when they are not consecutive,
   * do not end at +infinity, or carry malformed fingerprints or ids. The answer stays within
   * `SYNC_RANGE_BUDGET` bytes: past it, one fingerprint over everything left defers the rest to the next
   * round (negentropy's frame-size limit), so two large diverged sets still converge.
   */
  process (ranges: readonly SyncRange[]): ReconcileStep {
    const step: ReconcileStep = { ranges: [], need: [], give: [] }
    if (ranges.length === 0) return step
    let lo = 0
    let previous: Bound | undefined
    let talking = false
    let budget = this.rangeBudget
    for (const range of ranges) {
      if (budget <= 0) {
        // out of room: everything from here on is one fingerprint, answered in the next round
        step.ranges.push(this.fingerprintRange(INFINITY, lo, this.items.length))
        return step
      }
      const upper = boundOf(range)
      if (previous !== undefined && compareBounds(previous, upper) >= 0) throw bad('ranges are not ascending')
      previous = upper
      const hi = lowerIndex(this.items, upper, lo)
      const out = this.answer(range, upper, lo, hi, step)
      for (const r of out) {
        budget -= rangeBytes(r)
        const last = step.ranges.at(-1)
        if (r.mode === SyncRange.Mode.SKIP && last?.mode === SyncRange.Mode.SKIP) {
          step.ranges[step.ranges.length - 1] = r
        } else {
          step.ranges.push(r)
        }
        talking ||= r.mode !== SyncRange.Mode.SKIP
      }
      lo = hi
    }
    if (compareBounds(previous!, INFINITY) !== 0) throw bad('ranges do not end at +infinity')
    if (!talking) step.ranges = []
    return step
  }

  private answer (range: SyncRange, upper: Bound, lo: number, hi: number, step: ReconcileStep): SyncRange[] {
    const skip = [rangeTo(upper, {})]
    switch (range.mode) {
      case SyncRange.Mode.SKIP:
        return skip
      case SyncRange.Mode.ID_LIST: {
        if (range.ids.some((id) => id.byteLength !== ID_BYTES)) throw bad('ids must be 32 bytes')
        if (this.role === 'initiator') {
          const mine = new Set(this.items.slice(lo, hi).map((item) => toHex(item.id)))
          for (const id of range.ids) if (!mine.has(toHex(id))) step.need.push(id)
        } else {
          const theirs = new Set(range.ids.map(toHex))
          for (let i = lo; i < hi; i++) if (!theirs.has(toHex(this.items[i]!.id))) step.give.push(this.items[i]!)
        }
        return skip
      }
      case SyncRange.Mode.FINGERPRINT: {
        if (range.fingerprint.byteLength !== FINGERPRINT_BYTES) throw bad('fingerprints must be 16 bytes')
        const count = hi - lo
        if (count === range.count && equalBytes(fingerprint(this.items, lo, hi), range.fingerprint)) return skip
        if (this.role === 'responder') {
          if (count === 0) return skip
          if (range.count === 0) {
            for (let i = lo; i < hi; i++) step.give.push(this.items[i]!)
            return skip
          }
        } else if (count === 0) {
          return [this.fingerprintRange(upper, lo, hi)]
        }
        if (count <= this.threshold) {
          return [rangeTo(upper, { mode: SyncRange.Mode.ID_LIST, ids: this.items.slice(lo, hi).map((item) => item.id as Uint8Array<ArrayBuffer>) })]
        }
        return this.split(upper, lo, hi)
      }
      default:
        throw bad(`unknown range mode ${String(range.mode)}`)
    }
  }

  private split (upper: Bound, lo: number, hi: number): SyncRange[] {
    const out: SyncRange[] = []
    const size = Math.ceil((hi - lo) / this.branches)
    for (let start = lo; start < hi; start += size) {
      const end = Math.min(start + size, hi)
      const bound = end === hi ? upper : boundBetween(this.items[end - 1]!, this.items[end]!)
      out.push(this.fingerprintRange(bound, start, end))
    }
    return out
  }

  private fingerprintRange (upper: Bound, lo: number, hi: number): SyncRange {
    return rangeTo(upper, { mode: SyncRange.Mode.FINGERPRINT, fingerprint: fingerprint(this.items, lo, hi) as Uint8Array<ArrayBuffer>, count: hi - lo })
  }
}
