import { SyncRange, compareBounds, decodeEnvelope, decodePost, isBelow, messageId, toHex } from '@murmur/protocol'
import type { Bound } from '@murmur/protocol'

/**
 * Where an envelope of a synced topic sorts: its id, and its `created` unless that cannot be read without
 * a key (a sealed circle post) or at all (a malformed one).
 */
export type SyncItemOf = (topic: string, envelope: Uint8Array) => { id: Uint8Array, created?: number }

/**
 * What an initiator asked its peer for in one session, so that it takes in only answers: envelopes
 * whose ids it asked for (`need`), or that fall in a range it listed its own ids for, or said it holds
 * nothing in (the responder pushes what it holds there and the initiator lacks, saving a round trip). Anything else — or a
 * second copy — is unrequested, and the session ends with a penalty. Either way a peer can hand over
 * only posts it chose to name in answer to this node's questions; what this bounds is the count and
 * the position, and it keeps junk from costing a validation.
 */
export class Requested {
  private readonly topic: string
  private readonly itemOf: SyncItemOf
  private readonly asked = new Set<string>()
  private readonly received = new Set<string>()
  /** ids a sketch phase asked for by short id */
  private askedBySketch?: (id: Uint8Array) => boolean
  /**
   * the ranges sent that ask for pushes, [lower, upper) each, kept sorted and disjoint (overlapping and
   * touching ones merged), so that an envelope is placed by binary search: a peer that makes this node list
   * thousands of ranges a round (empty ranges each answered "send what you hold") cannot make every
   * envelope it pushes cost a scan of all of them
   */
  private listed: ListedRange[] = []

  /** `itemOf`: how the topic's envelopes sort. @default postItemOf (a channel's posts) */
  constructor (topic: string, itemOf: SyncItemOf = postItemOf) {
    this.topic = topic
    this.itemOf = itemOf
  }

  /** Note an id asked for by `need`. */
  ask (hex: string): void {
    this.asked.add(hex)
  }

  /** Also admit envelopes whose ids `asked` says were asked for by short id (the sketch phase). */
  askBy (asked: (id: Uint8Array) => boolean): void {
    this.askedBySketch = asked
  }

  /** Whether `hex` was asked for already. */
  has (hex: string): boolean {
    return this.asked.has(hex)
  }

  /** How many ids were asked for. */
  get size (): number {
    return this.asked.size
  }

  /** How many disjoint ranges a push may answer (touching ones count as one). */
  get listedRanges (): number {
    return this.listed.length
  }

  /** Note the ranges of a request: those that ask for pushes are questions a push may answer. */
  sent (ranges: readonly SyncRange[]): void {
    const asking: ListedRange[] = []
    let lower: Bound = { created: 0n, id: new Uint8Array(0) }
    for (const range of ranges) {
      const upper = { created: range.upperCreated, id: range.upperId }
      // a listed range, or a fingerprint of nothing: both say "send what you hold here"
      if (range.mode === SyncRange.Mode.ID_LIST || (range.mode === SyncRange.Mode.FINGERPRINT && range.count === 0)) {
        asking.push({ lower, upper })
      }
      lower = upper
    }
    if (asking.length > 0) this.listed = mergeRanges([...this.listed, ...asking])
  }

  /**
   * Whether `envelope` answers a question of this session; each id is taken at most once. An envelope
   * whose position cannot be read without a key (a sealed circle post) counts as an answer to a
   * listed range once one was sent: validation then judges it like any other.
   */
  admit (envelope: Uint8Array): boolean {
    const { id, created } = this.itemOf(this.topic, envelope)
    const hex = toHex(id)
    if (this.received.has(hex)) return false
    let ok = this.asked.has(hex) || (this.askedBySketch?.(id) ?? false)
    if (!ok) {
      const item = created === undefined ? undefined : { created, id }
      ok = item === undefined ? this.listed.length > 0 : inRanges(this.listed, item)
    }
    if (ok) this.received.add(hex)
    return ok
  }
}

interface ListedRange { lower: Bound, upper: Bound }

/** `ranges` sorted by lower bound, overlapping and touching ones merged into one. */
function mergeRanges (ranges: readonly ListedRange[]): ListedRange[] {
  const merged: ListedRange[] = []
  for (const range of [...ranges].sort((a, b) => compareBounds(a.lower, b.lower))) {
    const last = merged[merged.length - 1]
    if (last !== undefined && compareBounds(range.lower, last.upper) <= 0) {
      if (compareBounds(range.upper, last.upper) > 0) last.upper = range.upper
    } else {
      merged.push({ lower: range.lower, upper: range.upper })
    }
  }
  return merged
}

/** Whether `item` falls in one of `ranges` (sorted and disjoint): the last one starting at or below it. */
function inRanges (ranges: readonly ListedRange[], item: { created: number, id: Uint8Array }): boolean {
  let low = 0
  let high = ranges.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (isBelow(item, ranges[middle]!.lower)) high = middle
    else low = middle + 1
  }
  const range = ranges[low - 1]
  return range !== undefined && isBelow(item, range.upper)
}

/**
 * The id and `created` of a channel's envelope; no `created` when its post cannot be read (sealed or malformed).
 *
 * @example
 * ```ts
 * const { id, created } = postItemOf('murmur/2/#lobby', envelope)
 * ```
 */
export function postItemOf (topic: string, envelope: Uint8Array): { id: Uint8Array, created?: number } {
  const id = messageId(topic, envelope)
  try {
    return { id, created: Number(decodePost(decodeEnvelope(envelope).post).created) }
  } catch {
    return { id }
  }
}
