import { compareBytes } from '../bytes.js'

/** One element of a reconciled set: a post's creation time and id, ordered by (created, id). */
export interface SyncItem {
  created: number
  id: Uint8Array
}

/** An exclusive upper bound: every item below it sorts before `(created, id prefix)`. */
export interface Bound {
  created: bigint
  id: Uint8Array
}

/** `upper_created` of the last range: +infinity. */
export const INFINITY_CREATED = 2n ** 64n - 1n

/** The bound above every item. */
export const INFINITY: Bound = Object.freeze({ created: INFINITY_CREATED, id: new Uint8Array(0) })

/**
 * Orders items by (created, id).
 *
 * @example
 * ```ts
 * items.sort(compareItems)
 * ```
 */
export function compareItems (a: SyncItem, b: SyncItem): number {
  return a.created - b.created || compareBytes(a.id, b.id)
}

/**
 * Whether an item sorts below an exclusive bound (ids compare lexicographically, a prefix first).
 *
 * @example
 * ```ts
 * isBelow({ created: 5, id }, { created: 6n, id: new Uint8Array(0) }) // true
 * ```
 */
export function isBelow (item: SyncItem, bound: Bound): boolean {
  const created = BigInt(item.created)
  if (created !== bound.created) return created < bound.created
  return compareBytes(item.id, bound.id) < 0
}

/**
 * Orders two bounds: negative when `a` sorts first, 0 when equal, positive after.
 *
 * @example
 * ```ts
 * compareBounds({ created: 5n, id }, { created: 6n, id: new Uint8Array(0) }) // -1
 * ```
 */
export function compareBounds (a: Bound, b: Bound): number {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1
  return compareBytes(a.id, b.id)
}

/**
 * The shortest bound above `prev` and at or below `next` (`prev` sorts before `next`).
 *
 * @example
 * ```ts
 * const upper = boundBetween(items[9], items[10]) // splits after the tenth item
 * ```
 */
export function boundBetween (prev: SyncItem, next: SyncItem): Bound {
  if (prev.created !== next.created) return { created: BigInt(next.created), id: new Uint8Array(0) }
  let i = 0
  while (i < next.id.length && prev.id[i] === next.id[i]) i++
  return { created: BigInt(next.created), id: next.id.slice(0, i + 1) }
}

/** Index of the first item at or after `bound`, searching `items[from..]`. */
export function lowerIndex (items: readonly SyncItem[], bound: Bound, from: number): number {
  let lo = from
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (isBelow(items[mid]!, bound)) lo = mid + 1
    else hi = mid
  }
  return lo
}
