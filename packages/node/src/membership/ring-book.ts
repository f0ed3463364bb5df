/**
 * The rings a member signed with, one per thread: its later posts and votes in that thread reuse the ring
 * (chooseRing's `previous`), so intersecting their rings reveals no more than a single ring. Kept in the
 * node's database until the thread's posts expire. Local and private: it tells which threads this member
 * wrote in, as the node's own posts already do.
 */
import { toHex } from '@murmur/protocol'
import type { MemberDatabase } from './storage.js'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the node's database holding the rings by thread. */
export const RING_BOOK_SUBLEVEL = 'member-rings'

const KEY_BYTES = 32
const EXPIRES_BYTES = 8

/** Options of {@link openRingBook}. */
export interface RingBookInit {
  /** The node's database. */
  db: MemberDatabase
  /** Unix seconds now. @default () => Math.floor(Date.now() / 1000) */
  clock?: () => number
}

/** Rings by thread. */
export interface RingBook {
  /** The ring last used in `thread`, if it has not expired. */
  get: (thread: Uint8Array) => Uint8Array[] | undefined
  /** Records the ring used in `thread`, kept until `expires` (unix seconds; the thread's last post's expiry). */
  set: (thread: Uint8Array, ring: Uint8Array[], expires: number) => Promise<void>
}

type Records = AbstractSublevel<MemberDatabase, string | Uint8Array, Uint8Array, Uint8Array>

function encode (ring: Uint8Array[], expires: number): Uint8Array {
  const bytes = new Uint8Array(EXPIRES_BYTES + ring.length * KEY_BYTES)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(expires), false)
  ring.forEach((key, i) => { bytes.set(key, EXPIRES_BYTES + i * KEY_BYTES) })
  return bytes
}

function decode (value: Uint8Array): { ring: Uint8Array[], expires: number } | undefined {
  if (value.byteLength < EXPIRES_BYTES || (value.byteLength - EXPIRES_BYTES) % KEY_BYTES !== 0) return undefined
  const expires = Number(new DataView(value.buffer, value.byteOffset, EXPIRES_BYTES).getBigUint64(0, false))
  const ring: Uint8Array[] = []
  for (let at = EXPIRES_BYTES; at < value.byteLength; at += KEY_BYTES) ring.push(new Uint8Array(value.subarray(at, at + KEY_BYTES)))
  return { ring, expires }
}

/**
 * Opens the ring book kept in `db`, dropping expired rings.
 *
 * @example
 * ```ts
 * const rings = await openRingBook({ db })
 * const ring = chooseRing({ signer, signerTenure, candidates, previous: rings.get(threadId) })
 * await rings.set(threadId, ring, expires)
 * ```
 */
export async function openRingBook (init: RingBookInit): Promise<RingBook> {
  const clock = init.clock ?? (() => Math.floor(Date.now() / 1000))
  const records: Records = init.db.sublevel<Uint8Array, Uint8Array>(RING_BOOK_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
  const rings = new Map<string, { ring: Uint8Array[], expires: number }>()
  const drop: Uint8Array[] = []
  const now = clock()
  for await (const [key, value] of records.iterator()) {
    const entry = decode(value)
    if (entry === undefined || entry.expires <= now) drop.push(key)
    else rings.set(toHex(key), entry)
  }
  if (drop.length > 0) await records.batch(drop.map((key) => ({ type: 'del' as const, key })))
  return {
    get: (thread) => {
      const entry = rings.get(toHex(thread))
      if (entry === undefined || entry.expires > clock()) return entry?.ring.map((key) => key.slice())
      rings.delete(toHex(thread))
      void records.del(thread).catch(() => {})
      return undefined
    },
    set: async (thread, ring, expires) => {
      const kept = rings.get(toHex(thread))
      // the thread's rings live as long as its longest-lived post
      const until = Math.max(expires, kept?.expires ?? 0)
      rings.set(toHex(thread), { ring: ring.map((key) => key.slice()), expires: until })
      await records.put(thread, encode(ring, until))
    }
  }
}
