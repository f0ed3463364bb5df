/**
 * The frames of the shared circle topic a node keeps for history sync (docs/PROTOCOL.md §6.3): every
 * relaying node keeps every valid frame, member or not, by message id, for CIRCLE_FRAME_TTL after it
 * arrived (a relay cannot read the inner ttl), within a byte budget shared out by sender group.
 */
import { CIRCLE_SHARED_TOPIC, fromHex, gossipMessageId, toHex } from '@murmur/protocol'
import { CIRCLE_FRAMES_MAX_BYTES, CIRCLE_FRAMES_SUBLEVEL, CIRCLE_FRAME_TTL } from './constants.js'
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
}

/** Where a frame is filed: its id is `gossipMessageId(CIRCLE_SHARED_TOPIC, frame)`. */
interface Filed {
  expires: number
  bytes: number
  group: string
  /** Its place in the order frames came in this run (loaded ones first): see {@link FrameStore.arrival}. */
  arrival: number
}

/** The frames held when {@link FrameStore.frames} was called, read from the database in batches as iterated. */
export interface FrameScan extends AsyncIterable<Uint8Array> {
  /** How many frames it holds (a frame dropped meanwhile is skipped). */
  readonly total: number
}

/** The frames kept for history sync. */
export interface FrameStore {
  /** Keeps a frame brought by sender group `group`; 'duplicate' when it is held already. */
  put(frame: Uint8Array, group: string): Promise<'stored' | 'duplicate'>
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
  const records: Records = init.db.sublevel<Uint8Array, Uint8Array>(CIRCLE_FRAMES_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
  /** hex id → where it is filed, in arrival order (oldest first) */
  const index = new Map<string, Filed>()
  const groupBytes = new Map<string, number>()
  let total = 0
  const count = (filed: Filed, sign: 1 | -1): void => {
    total += sign * filed.bytes
    const bytes = (groupBytes.get(filed.group) ?? 0) + sign * filed.bytes
    if (bytes > 0) groupBytes.set(filed.group, bytes)
    else groupBytes.delete(filed.group)
  }
  const drop: Uint8Array[] = []
  const loaded: Array<[string, Omit<Filed, 'arrival'>]> = []
  for await (const [key, value] of records.iterator()) {
    const record = decodeRecord(value)
    if (record === undefined || record.filed.expires <= now()) drop.push(key)
    else loaded.push([toHex(key), record.filed])
  }
  // oldest first, so eviction keeps taking the oldest of a group after a restart
  loaded.sort((a, b) => a[1].expires - b[1].expires)
  let arrivals = 0
  for (const [hex, record] of loaded) {
    const filed = { ...record, arrival: arrivals++ }
    index.set(hex, filed)
    count(filed, 1)
  }
  if (drop.length > 0) await records.batch(drop.map((key) => ({ type: 'del' as const, key })))

  const remove = (hex: string): Uint8Array | undefined => {
    const filed = index.get(hex)
    if (filed === undefined) return undefined
    index.delete(hex)
    count(filed, -1)
    return fromHex(hex)
  }
  /**
   * Frees room for a frame of `bytes` from `group`: the oldest frames of the group that would hold the most
   * bytes (the new frame counted) go first, so a flooder's frames make room for its own.
   */
  const evictFor = (bytes: number, group: string): Uint8Array[] => {
    const evicted: Uint8Array[] = []
    const weight = (held: string): number => (groupBytes.get(held) ?? 0) + (held === group ? bytes : 0)
    while (total + bytes > maxBytes && index.size > 0) {
      // only groups holding frames are listed, so the largest has one to give up
      let largest: string | undefined
      for (const held of groupBytes.keys()) {
        if (largest === undefined || weight(held) > weight(largest)) largest = held
      }
      for (const [hex, filed] of index) {
        if (filed.group !== largest) continue
        const key = remove(hex)
        if (key !== undefined) evicted.push(key)
        break
      }
    }
    return evicted
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
      const evicted = evictFor(filed.bytes, group)
      index.set(hex, filed)
      count(filed, 1)
      await records.batch([
        ...evicted.map((key) => ({ type: 'del' as const, key })),
        { type: 'put' as const, key: id, value: encodeRecord(filed, frame) }
      ])
      return 'stored'
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
