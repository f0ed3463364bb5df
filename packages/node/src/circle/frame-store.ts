/**
 * The frames of the shared circle topic a node keeps for history sync (docs/PROTOCOL.md §6.3): every
 * relaying node keeps every valid frame, member or not, by message id, for CIRCLE_FRAME_TTL after it
 * arrived (a relay cannot read the inner ttl), within a byte budget shared out by hour of arrival and, within
 * an hour, by sender group; a full store gives up the newest frames first (see `evictFor`).
 */
import { CIRCLE_SHARED_TOPIC, fromHex, gossipMessageId, toHex } from '@murmur/protocol'
import { CIRCLE_EVICT_SPAN, CIRCLE_FRAMES_MAX_BYTES, CIRCLE_FRAMES_SUBLEVEL, CIRCLE_FRAME_TTL } from './constants.js'
import type { StoreDatabase } from '../store/index.js'
import type { SyncItem } from '@murmur/protocol'
import type { AbstractSublevel } from 'abstract-level'

/** Options of {@link openFrameStore}. */
export interface FrameStoreInit {
  /** The node's database. */
  db: StoreDatabase
  /** Unix seconds now. @default the system clock */
  now?: () => number
  /** @default CIRCLE_FRAME_TTL (604800) */
  ttl?: number
  /** @default CIRCLE_FRAMES_MAX_BYTES (64 MiB) */
  maxBytes?: number
  /** Seconds of arrival that share out the budget together. @default CIRCLE_EVICT_SPAN (3600) */
  span?: number
}

/** Where a frame is filed: its id is `gossipMessageId(CIRCLE_SHARED_TOPIC, frame)`. */
interface Filed {
  expires: number
  bytes: number
  group: string
  /** Its place in the order frames came in this run (loaded ones first): see {@link FrameStore.arrival}. */
  arrival: number
}

/** A sender group's frames of one span of arrival: ids oldest first (some maybe dropped meanwhile). */
interface SpanGroup {
  bytes: number
  live: number
  ids: string[]
}

/** The frames that arrived in one span (CIRCLE_EVICT_SPAN), by sender group. */
interface Span {
  bytes: number
  groups: Map<string, SpanGroup>
}

/** The frames held when {@link FrameStore.frames} was called, read from the database in batches as iterated. */
export interface FrameScan extends AsyncIterable<Uint8Array> {
  /** How many frames it holds (a frame dropped meanwhile is skipped). */
  readonly total: number
}

/** The frames kept for history sync. */
export interface FrameStore {
  /**
   * Keeps a frame brought by sender group `group`; 'duplicate' when it is held already, 'full' when the
   * store is full and the frame is the newest of the span and group that give way (not kept).
   */
  put(frame: Uint8Array, group: string): Promise<'stored' | 'duplicate' | 'full'>
  /** Whether the frame of this id is held. */
  has(id: Uint8Array): boolean
  /** The frame of this id, or undefined. */
  get(id: Uint8Array): Promise<Uint8Array | undefined>
  /** The sync items of every held frame: a frame has no time a relay can read, so all sort at `created` 0. */
  items(): SyncItem[]
  /**
   * The held frames that arrived at or after unix second `since`, oldest first, as held at the call (a frame
   * put after it is not among them): a new member tries them all with its keys, a new generation only those
   * that arrived since it was made (docs/PROTOCOL.md §6.7).
   */
  frames(since?: number): FrameScan
  /** Drops expired frames; resolves to how many. */
  sweep(): Promise<number>
  /** Bytes held. */
  readonly bytes: number
  /**
   * How many frames came in this run (those loaded at the start counted first). A frame held at some moment
   * has an {@link FrameStore.arrival} below the `arrivals` read then; one put after it, at or above.
   */
  readonly arrivals: number
  /** The place of a held frame in the order frames came in this run (0, 1, ...), or undefined when not held. */
  arrival(id: Uint8Array): number | undefined
  /** The unix second a held frame came to this node (kept across restarts, as {@link FrameStore.frames} lists by), or undefined when not held. */
  arrivedAt(id: Uint8Array): number | undefined
}

/** A frame's id: its gossip message id on the shared topic (domain-separated, over the whole frame). */
export function frameId (frame: Uint8Array): Uint8Array {
  return gossipMessageId(CIRCLE_SHARED_TOPIC, frame)
}

/**
 * A frame's history-sync item: its id, at `created` 0 (a relay reads no time in a frame, and two peers must
 * sort one frame alike).
 *
 * @example
 * ```ts
 * const { id } = frameItem(frame)
 * ```
 */
export function frameItem (frame: Uint8Array): SyncItem {
  return { id: frameId(frame), created: 0 }
}

/** Frames read from the database at once during a scan. */
const SCAN_BATCH = 256

type Records = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

/** `u32be(expires) || u8 len || group || frame` */
function encodeRecord (filed: Filed, frame: Uint8Array): Uint8Array {
  const group = new TextEncoder().encode(filed.group).subarray(0, 255)
  const record = new Uint8Array(5 + group.byteLength + frame.byteLength)
  new DataView(record.buffer).setUint32(0, filed.expires, false)
  record[4] = group.byteLength
  record.set(group, 5)
  record.set(frame, 5 + group.byteLength)
  return record
}

function decodeRecord (value: Uint8Array): { filed: Omit<Filed, 'arrival'>, frame: Uint8Array } | undefined {
  if (value.byteLength < 5) return undefined
  const expires = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, false)
  const length = value[4]!
  if (value.byteLength < 5 + length) return undefined
  const group = new TextDecoder().decode(value.subarray(5, 5 + length))
  // a plain copy (a LevelDB value may be a Buffer)
  const frame = new Uint8Array(value.subarray(5 + length))
  return { filed: { expires, bytes: frame.byteLength, group }, frame }
}

/**
 * Opens the frame store in `db`, loading its index (ids, expiry, sender group) and dropping expired or
 * unreadable records.
 *
 * @example
 * ```ts
 * const frames = await openFrameStore({ db })
 * if (await frames.put(frame, group) === 'stored') forward()
 * ```
 */
export async function openFrameStore (init: FrameStoreInit): Promise<FrameStore> {
  const now = init.now ?? (() => Math.floor(Date.now() / 1000))
  const ttl = init.ttl ?? CIRCLE_FRAME_TTL
  const maxBytes = init.maxBytes ?? CIRCLE_FRAMES_MAX_BYTES
  const span = init.span ?? CIRCLE_EVICT_SPAN
  const records: Records = init.db.sublevel<Uint8Array, Uint8Array>(CIRCLE_FRAMES_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
  /** hex id → where it is filed, in arrival order (oldest first) */
  const index = new Map<string, Filed>()
  /** the span of arrival a frame is filed under (loaded ones by their expiry: see arrivedAt) */
  const spanOf = (filed: Omit<Filed, 'arrival'>): number => Math.floor((filed.expires - ttl) / span)
  const spans = new Map<number, Span>()
  /** Whether the frame `hex` is held, filed under `group` in span `at`. */
  const filedIn = (hex: string, group: string, at: number): boolean => {
    const filed = index.get(hex)
    return filed?.group === group && spanOf(filed) === at
  }
  let total = 0
  const count = (hex: string, filed: Filed, sign: 1 | -1): void => {
    total += sign * filed.bytes
    const at = spanOf(filed)
    const held: Span = spans.get(at) ?? { bytes: 0, groups: new Map() }
    const group: SpanGroup = held.groups.get(filed.group) ?? { bytes: 0, live: 0, ids: [] }
    held.bytes += sign * filed.bytes
    group.bytes += sign * filed.bytes
    group.live += sign
    // a frame dropped is skipped when its group gives up its newest (`newest`), compacted once most are gone
    if (sign > 0) group.ids.push(hex)
    else if (group.ids.length > 2 * group.live + 16) group.ids = group.ids.filter((id) => filedIn(id, filed.group, at))
    if (group.live > 0) held.groups.set(filed.group, group)
    else held.groups.delete(filed.group)
    if (held.groups.size > 0) spans.set(at, held)
    else spans.delete(at)
  }
  const drop: Uint8Array[] = []
  const loaded: Array<[string, Omit<Filed, 'arrival'>]> = []
  for await (const [key, value] of records.iterator()) {
    const record = decodeRecord(value)
    if (record === undefined || record.filed.expires <= now()) drop.push(key)
    else loaded.push([toHex(key), record.filed])
  }
  // oldest first, so eviction keeps taking the newest of a group after a restart
  loaded.sort((a, b) => a[1].expires - b[1].expires)
  let arrivals = 0
  for (const [hex, record] of loaded) {
    const filed = { ...record, arrival: arrivals++ }
    index.set(hex, filed)
    count(hex, filed, 1)
  }
  if (drop.length > 0) await records.batch(drop.map((key) => ({ type: 'del' as const, key })))

  const remove = (hex: string): Uint8Array | undefined => {
    const filed = index.get(hex)
    if (filed === undefined) return undefined
    index.delete(hex)
    count(hex, filed, -1)
    return fromHex(hex)
  }
  /** The newest frame held of `group` in span `at` (those dropped meanwhile skipped). */
  const newest = (held: SpanGroup, group: string, at: number): string | undefined => {
    for (let hex = held.ids.pop(); hex !== undefined; hex = held.ids.pop()) {
      if (filedIn(hex, group, at)) return hex
    }
    return undefined
  }
  /**
   * Frees room for a frame of `bytes` from `group` arriving in span `at`: from the span of arrival holding
   * the most bytes, then its group holding the most (the new frame counted in both), the newest frames go
   * first, the new frame the first of all when it is of that span and group (`kept` false: it is not
   * kept). A flood fills the span it arrives in and gives up its own latest frames there: the frames that
   * came before it stay, whoever forwarded it (at its second hop the junk is filed under the honest
   * neighbours that relayed it: evicting their oldest erased all their history, seventeenth read of issue
   * 12, High 2), and once it stops the next span's frames push the flood's out.
   */
  const evictFor = (bytes: number, group: string, at: number): { evicted: Uint8Array[], kept: boolean } => {
    const evicted: Uint8Array[] = []
    while (total + bytes > maxBytes && index.size > 0) {
      // only spans and groups holding frames are listed, so the largest has one to give up
      const weight = (held: Span, key: number): number => held.bytes + (key === at ? bytes : 0)
      let largest: [number, Span] | undefined
      for (const entry of spans) {
        if (largest === undefined || weight(entry[1], entry[0]) > weight(largest[1], largest[0])) largest = entry
      }
      const [key, held] = largest!
      const groupWeight = (name: string, of: SpanGroup): number => of.bytes + (key === at && name === group ? bytes : 0)
      let most: [string, SpanGroup] | undefined
      for (const entry of held.groups) {
        if (most === undefined || groupWeight(entry[0], entry[1]) > groupWeight(most[0], most[1])) most = entry
      }
      // the newcomer is the newest of its own span and group
      if (key === at && most![0] === group) return { evicted, kept: false }
      const hex = newest(most![1], most![0], key)
      // every frame of a group is listed in its ids: none found would be a bug, not a reason to spin
      if (hex === undefined) break
      evicted.push(remove(hex)!)
    }
    return { evicted, kept: true }
  }

  return {
    get bytes () { return total },
    get arrivals () { return arrivals },
    arrival: (id) => index.get(toHex(id))?.arrival,
    arrivedAt: (id) => {
      const filed = index.get(toHex(id))
      // a frame arrived `ttl` before it expires
      return filed === undefined ? undefined : filed.expires - ttl
    },
    put: async (frame, group) => {
      const id = frameId(frame)
      const hex = toHex(id)
      if (index.has(hex)) return 'duplicate'
      const filed: Filed = { expires: now() + ttl, bytes: frame.byteLength, group, arrival: arrivals++ }
      const { evicted, kept } = evictFor(filed.bytes, group, spanOf(filed))
      if (kept) {
        index.set(hex, filed)
        count(hex, filed, 1)
      }
      await records.batch([
        ...evicted.map((key) => ({ type: 'del' as const, key })),
        ...kept ? [{ type: 'put' as const, key: id, value: encodeRecord(filed, frame) }] : []
      ])
      return kept ? 'stored' : 'full'
    },
    has: (id) => index.has(toHex(id)),
    get: async (id) => {
      const filed = index.get(toHex(id))
      if (filed === undefined || filed.expires <= now()) return undefined
      const value = await records.get(id)
      return value === undefined ? undefined : decodeRecord(value)?.frame
    },
    items: () => {
      const at = now()
      const items: SyncItem[] = []
      for (const [hex, filed] of index) {
        if (filed.expires > at) items.push({ id: fromHex(hex), created: 0 })
      }
      return items
    },
    frames: (since = 0) => {
      const at = now()
      // the index is in arrival order (see arrivedAt)
      const ids: Uint8Array[] = []
      for (const [hex, filed] of index) {
        if (filed.expires > at && filed.expires - ttl >= since) ids.push(fromHex(hex))
      }
      return {
        total: ids.length,
        [Symbol.asyncIterator]: async function * () {
          for (let i = 0; i < ids.length; i += SCAN_BATCH) {
            for (const value of await records.getMany(ids.slice(i, i + SCAN_BATCH))) {
              const record = value === undefined ? undefined : decodeRecord(value)
              if (record !== undefined) yield record.frame
            }
          }
        }
      }
    },
    sweep: async () => {
      const at = now()
      const expired: Uint8Array[] = []
      for (const [hex, filed] of [...index]) {
        if (filed.expires <= at) {
          const key = remove(hex)
          if (key !== undefined) expired.push(key)
        }
      }
      if (expired.length > 0) await records.batch(expired.map((key) => ({ type: 'del' as const, key })))
      return expired.length
    }
  }
}
