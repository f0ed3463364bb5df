/**
 * This node's own circle frames that are not out yet (docs/PROTOCOL.md §6.4): a post, reply or vote is
 * stored for its author when it is made, so a frame lost by a restart would leave the author's store
 * saying "posted" about a post nobody else has. Each is kept on disk (a sublevel of the node's database,
 * the frame sealed as it travels) until it is out (back through gossip, or published here), given up, or
 * expires. One handed to the stem is marked so (a second sublevel): after a restart it is held by the
 * stem again, not sent again (a re-sent frame would name its author), and its embargo gets it out if its
 * successor swallowed it; one still queued is sent.
 */
import { fromHex, toHex } from '@murmur/protocol'
import { frameId } from './frame-store.js'
import type { StoreDatabase } from '../store/index.js'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the node's database holding the own circle frames not yet out. */
export const OWN_FRAMES_SUBLEVEL = 'circle-own-pending'

/** Sublevel of the node's database marking (by the key in OWN_FRAMES_SUBLEVEL) those handed to the stem. */
export const OWN_FRAMES_IN_STEM_SUBLEVEL = 'circle-own-in-stem'

/** An own frame waiting to leave. */
export interface PendingFrame {
  /** The id of the post, reply or vote it carries (what `circles.post` returned), for the own-post events. */
  postId: Uint8Array
  /** The frame as it leaves now (a vote signed again replaces the one first made). */
  frame: Uint8Array
  /** Unix seconds after which it is dropped. */
  expires: number
}

type Records = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

const MARK = new Uint8Array(0)

/** A record: expires (8 bytes), post id length (1), post id, frame. */
function encode (pending: PendingFrame): Uint8Array {
  const bytes = new Uint8Array(9 + pending.postId.length + pending.frame.length)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(pending.expires))
  bytes[8] = pending.postId.length
  bytes.set(pending.postId, 9)
  bytes.set(pending.frame, 9 + pending.postId.length)
  return bytes
}

function decode (bytes: Uint8Array): PendingFrame | undefined {
  if (bytes.length < 9 || bytes.length < 9 + bytes[8]!) return undefined
  const expires = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0))
  const end = 9 + bytes[8]!
  return { expires, postId: bytes.slice(9, end), frame: bytes.slice(end) }
}

/**
 * Own circle frames on their way out, kept in memory and written through to the database, each by the id
 * of the frame first made and found by it or by the frame it leaves as now (an outbox may queue either:
 * the first one this run, the current one after a restart).
 *
 * @example
 * ```ts
 * const own = await OwnFrames.open(db, now)
 * await own.add({ postId, frame, expires })
 * own.get(frame)        // the frame as it leaves now
 * await own.sent(frame) // handed to the stem: kept until it is out
 * await own.done(frame) // it is out, or was given up
 * ```
 */
export class OwnFrames {
  private readonly frames = new Map<string, PendingFrame>()
  /** The key of each frame by the id of what it leaves as now. */
  private readonly current = new Map<string, string>()
  /** Keys of the frames handed to the stem. */
  private readonly stemmed = new Set<string>()
  private readonly records: Records
  private readonly marks: Records

  private constructor (records: Records, marks: Records) {
    this.records = records
    this.marks = marks
  }

  /** Opens the frames kept in `db`, dropping those expired by `now` (unix seconds) and any unreadable record. */
  static async open (db: StoreDatabase, now: number): Promise<OwnFrames> {
    const sublevel = (name: string): Records => db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
    const own = new OwnFrames(sublevel(OWN_FRAMES_SUBLEVEL), sublevel(OWN_FRAMES_IN_STEM_SUBLEVEL))
    const stale: Uint8Array[] = []
    for await (const [key, value] of own.records.iterator()) {
      const pending = decode(value)
      if (pending === undefined || pending.expires <= now) stale.push(key)
      else own.set(toHex(key), pending)
    }
    if (stale.length > 0) await own.records.batch(stale.map((key) => ({ type: 'del' as const, key })))
    const orphans: Uint8Array[] = []
    for await (const key of own.marks.keys()) {
      if (own.frames.has(toHex(key))) own.stemmed.add(toHex(key))
      else orphans.push(key)
    }
    if (orphans.length > 0) await own.marks.batch(orphans.map((key) => ({ type: 'del' as const, key })))
    return own
  }

  /** Keeps a new own frame until it leaves. */
  async add (pending: PendingFrame): Promise<void> {
    const key = frameId(pending.frame)
    this.set(toHex(key), pending)
    await this.records.put(key, encode(pending))
  }

  /** The own frame queued as `frame`, as it leaves now; undefined when it is none of this node's waiting. */
  get (frame: Uint8Array): PendingFrame | undefined {
    const key = this.keyOf(frame)
    return key === undefined ? undefined : this.frames.get(key)
  }

  /** Replaces what the own frame queued as `queued` leaves as (a vote signed again for now). */
  async replace (queued: Uint8Array, now: PendingFrame): Promise<void> {
    const key = this.keyOf(queued)
    if (key === undefined) return
    this.set(key, now)
    await this.records.put(fromHex(key), encode(now))
  }

  /**
   * Marks the own frame queued as `frame` as handed to the stem (on disk when this resolves): kept until
   * it is out, and held by the stem again after a restart. Nothing when it is out already.
   */
  async sent (frame: Uint8Array): Promise<void> {
    const key = this.keyOf(frame)
    if (key === undefined || this.stemmed.has(key)) return
    this.stemmed.add(key)
    await this.marks.put(fromHex(key), MARK)
  }

  /** Forgets the own frame queued as `frame` (`id`: its frameId, when known): it is out, or was given up. */
  async done (frame: Uint8Array, id?: Uint8Array): Promise<void> {
    const key = this.keyOf(frame, id)
    if (key === undefined) return
    const pending = this.frames.get(key)
    this.frames.delete(key)
    if (pending !== undefined) this.current.delete(toHex(frameId(pending.frame)))
    const stemmed = this.stemmed.delete(key)
    await this.records.del(fromHex(key))
    if (stemmed) await this.marks.del(fromHex(key))
  }

  /** The own frames waiting to leave (not handed to the stem yet), as they leave now. */
  queued (): PendingFrame[] {
    return [...this.frames].flatMap(([key, pending]) => this.stemmed.has(key) ? [] : [pending])
  }

  /** The own frames handed to the stem and not out yet. */
  inStem (): PendingFrame[] {
    return [...this.frames].flatMap(([key, pending]) => this.stemmed.has(key) ? [pending] : [])
  }

  private set (key: string, pending: PendingFrame): void {
    const old = this.frames.get(key)
    if (old !== undefined) this.current.delete(toHex(frameId(old.frame)))
    this.frames.set(key, pending)
    this.current.set(toHex(frameId(pending.frame)), key)
  }

  private keyOf (frame: Uint8Array, known?: Uint8Array): string | undefined {
    const id = toHex(known ?? frameId(frame))
    return this.frames.has(id) ? id : this.current.get(id)
  }
}
