/**
 * The ring posts this node sent on in the stem, its own or relayed, each until it expires: no later
 * sender of one is ever asked for the stamps of its ring (`PostIntake.membership`), since an author never
 * asks for its own post's and an ask would tell a successor "not the author". Kept on disk (a sublevel of
 * the store's database), so that a restart does not forget them; bounded as the stem's table of held posts
 * is, per delivering address group, so that a flood of valid ring posts sent through this node's stem
 * pushes out the flooder's own marks first (eighth read of issue 12: 4,096 relayed ring posts flushed
 * a mark kept in a plain least-recently-used cache, and a restart lost them all). Each record keeps its
 * group as a token, a keyed hash of the group under a key of the run that never reaches the disk, so a
 * restart keeps a flood's marks together (each alone, they would stand beside the honest ones and push
 * them out at the first tie) while the disk says no address and nothing that tells an own post from a
 * relayed one: an own post is charged to a group of its own, as a quiet peer's post is.
 */
import { fromHex, toHex } from '@murmur/protocol'
import sodium from 'libsodium-wrappers-sumo'
import { HeldPosts } from '../stem/held.js'
import type { StoreDatabase } from './database.js'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the store's database holding the marks. */
export const FORWARDED_RINGS_SUBLEVEL = 'stem-forwarded'

/**
 * Marks held at most: past it, the oldest mark of the delivering address group holding the most is
 * forgotten (see {@link ForwardedRings.mark}), so that a flood from one group pushes out its own first.
 * About 4 MB.
 */
export const MAX_FORWARDED_RINGS = 16_384

/** Marks written since the last sweep of expired ones, at which the next sweep runs. */
const SWEEP_EVERY = 1_024

/** Options of {@link ForwardedRings}. */
export interface ForwardedRingsInit {
  /**
   * Marks held at most.
   *
   * @default MAX_FORWARDED_RINGS
   */
  max?: number
  /** Hears about writes that failed (the marks in memory stay right). @default nothing */
  onError?(err: unknown): void
  /** Unix milliseconds; only tests pass another clock. @default Date.now */
  now?(): number
}

type Records = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

/** Bytes of a group's token on disk. */
const GROUP_TOKEN_BYTES = 8

/** Prefix of the group of a mark loaded from disk: `disk:<token hex>`, apart from every address group. */
const LOADED_GROUP = 'disk:'

/** One mark: the post id (hex), when the post expires (unix seconds), the group it is charged to. */
interface Mark {
  id: string
  expires: number
  group: string
}

/**
 * Ring posts sent on in the stem, by id, until they expire, written through to the database.
 *
 * @example
 * ```ts
 * const marks = await ForwardedRings.open(db)
 * marks.mark(id, expires, 'ip4/192.0.2.1') // a relayed post; no group for an own one
 * marks.has(id)                            // true until it expires, after a restart too
 * await marks.flush()                      // before the database closes
 * ```
 */
export class ForwardedRings {
  private readonly marks: HeldPosts<Mark>
  private readonly records?: Records
  private readonly writes = new Set<Promise<void>>()
  private readonly onError: (err: unknown) => void
  private readonly now: () => number
  /** Keys the group tokens written in this run (random, never on disk). */
  private readonly tokenKey?: Uint8Array
  private sinceSweep = 0

  private constructor (records: Records | undefined, max: number, onError: (err: unknown) => void, now: () => number) {
    this.records = records
    if (records !== undefined) this.tokenKey = sodium.randombytes_buf(sodium.crypto_generichash_KEYBYTES)
    this.marks = new HeldPosts(max)
    this.onError = onError
    this.now = now
  }

  /** Marks in memory only (tools and tests; the node keeps them on disk, see {@link open}). */
  static memory (init: ForwardedRingsInit = {}): ForwardedRings {
    return new ForwardedRings(undefined, init.max ?? MAX_FORWARDED_RINGS, init.onError ?? (() => {}), init.now ?? Date.now)
  }

  /**
   * Opens the marks kept in `db` (none: in memory only) and loads what an earlier run left, dropping what
   * expired.
   */
  static async open (db?: StoreDatabase, init: ForwardedRingsInit = {}): Promise<ForwardedRings> {
    await sodium.ready
    const records = db?.sublevel<Uint8Array, Uint8Array>(FORWARDED_RINGS_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    const marks = new ForwardedRings(records, init.max ?? MAX_FORWARDED_RINGS, init.onError ?? (() => {}), init.now ?? Date.now)
    if (records !== undefined) {
      const now = marks.seconds()
      for await (const [key, value] of records.iterator()) {
        const mark = decode(key, value)
        if (mark === undefined || mark.expires <= now) void marks.write(async () => records.del(key))
        else marks.add(mark)
      }
    }
    return marks
  }

  /**
   * Marks the post `id` (sent on in the stem) until `expires` (unix seconds), charged to the address group
   * that delivered it (`group`); an own post (no group) is charged to a group of its own, as a relayed post
   * from a quiet peer is, so that a flood pushes it out no sooner and no later than such a one.
   */
  mark (id: Uint8Array, expires: number, group?: string): void {
    const key = toHex(id)
    if (this.marks.has(key) || expires <= this.seconds()) return
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep()
    const mark: Mark = { id: key, expires, group: group ?? key }
    this.add(mark)
    const records = this.records
    if (records !== undefined) void this.write(async () => records.put(id, encode(mark, this.tokenOf(mark.group))))
  }

  /** Whether the post `id` was marked and has not expired. */
  has (id: Uint8Array | string): boolean {
    const key = typeof id === 'string' ? id : toHex(id)
    const mark = this.marks.get(key)
    if (mark === undefined) return false
    if (mark.expires > this.seconds()) return true
    this.forget(mark)
    return false
  }

  /** Number of marks held. */
  get size (): number {
    return this.marks.size
  }

  /** Waits for every write in flight; call before the database closes. */
  async flush (): Promise<void> {
    await Promise.all([...this.writes])
  }

  /** Holds `mark`, forgetting the oldest of the fullest group first when the marks are at their bound. */
  private add (mark: Mark): void {
    const evicted = this.marks.makeRoom()
    if (evicted !== undefined) this.forget(evicted)
    this.marks.add(mark)
  }

  private forget (mark: Mark): void {
    this.marks.remove(mark.id)
    const records = this.records
    if (records !== undefined) void this.write(async () => records.del(fromHex(mark.id)))
  }

  /** Forgets every expired mark. */
  private sweep (): void {
    this.sinceSweep = 0
    const now = this.seconds()
    for (const mark of [...this.marks.values()]) {
      if (mark.expires <= now) this.forget(mark)
    }
  }

  /** The token of `group` on disk: a loaded group keeps its token, any other is hashed under this run's key. */
  private tokenOf (group: string): Uint8Array {
    if (group.startsWith(LOADED_GROUP)) return fromHex(group.slice(LOADED_GROUP.length))
    return sodium.crypto_generichash(GROUP_TOKEN_BYTES, new TextEncoder().encode(group), this.tokenKey ?? null)
  }

  private seconds (): number {
    return Math.floor(this.now() / 1000)
  }

  /** Starts a write, tracked for `flush`; a failure goes to `onError`. */
  private async write (op: () => Promise<void>): Promise<void> {
    const write = op().catch(this.onError).finally(() => this.writes.delete(write))
    this.writes.add(write)
    return write
  }
}

/**
 * A record: when the post expires (8 bytes), then the token of its group (8 bytes, see {@link
 * ForwardedRings.tokenOf}). No address, and nothing that tells an own post from a relayed one.
 */
function encode (mark: Mark, token: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(8 + GROUP_TOKEN_BYTES)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(mark.expires))
  bytes.set(token, 8)
  return bytes
}

/**
 * A mark loaded from disk, charged to its token's group (the marks of one group before the restart stay
 * together); a record of an earlier version (8 bytes, no token) to a group of its own (its post id).
 */
function decode (id: Uint8Array, value: Uint8Array): Mark | undefined {
  if (id.byteLength !== 32 || (value.byteLength !== 8 && value.byteLength !== 8 + GROUP_TOKEN_BYTES)) return undefined
  const expires = Number(new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0))
  const group = value.byteLength === 8 ? toHex(id) : `${LOADED_GROUP}${toHex(value.subarray(8))}`
  return { id: toHex(id), expires, group }
}
