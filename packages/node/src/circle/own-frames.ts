/**
 * This node's own circle frames that have not left it yet (docs/PROTOCOL.md §6.4): a post, reply or vote
 * is stored for its author when it is made, so a frame lost from the outbox by a restart would leave the
 * author's store saying "posted" about a post nobody else has. Each is kept on disk (a sublevel of the
 * node's database, the frame sealed as it travels) until it is handed to the stem or gossip, given up, or
 * expires; the node sends what an earlier run left when it starts.
 */
import { fromHex, toHex } from '@murmur/protocol'
import { frameId } from './frame-store.js'
import type { StoreDatabase } from '../store/index.js'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the node's database holding the own circle frames not yet out. */
export const OWN_FRAMES_SUBLEVEL = 'circle-own-pending'

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
 * await own.done(frame) // it left, or was given up
 * ```
 */
export class OwnFrames {
  private readonly frames = new Map<string, PendingFrame>()
  /** The key of each frame by the id of what it leaves as now. */
  private readonly current = new Map<string, string>()
  private readonly records: Records

  private constructor (records: Records) {
    this.records = records
  }

  /** Opens the frames kept in `db`, dropping those expired by `now` (unix seconds) and any unreadable record. */
  static async open (db: StoreDatabase, now: number): Promise<OwnFrames> {
    const own = new OwnFrames(db.sublevel<Uint8Array, Uint8Array>(OWN_FRAMES_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' }))
    const stale: Uint8Array[] = []
    for await (const [key, value] of own.records.iterator()) {
      const pending = decode(value)
      if (pending === undefined || pending.expires <= now) stale.push(key)
      else own.set(toHex(key), pending)
    }
    if (stale.length > 0) await own.records.batch(stale.map((key) => ({ type: 'del' as const, key })))
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

  /** Forgets the own frame queued as `frame`: it left, or was given up. */
  async done (frame: Uint8Array): Promise<void> {
    const key = this.keyOf(frame)
    if (key === undefined) return
    const pending = this.frames.get(key)
    this.frames.delete(key)
    if (pending !== undefined) this.current.delete(toHex(frameId(pending.frame)))
    await this.records.del(fromHex(key))
  }

  /** Every own frame waiting, as it leaves now. */
  pending (): PendingFrame[] {
    return [...this.frames.values()]
  }

  private set (key: string, pending: PendingFrame): void {
    const old = this.frames.get(key)
    if (old !== undefined) this.current.delete(toHex(frameId(old.frame)))
    this.frames.set(key, pending)
    this.current.set(toHex(frameId(pending.frame)), key)
  }

  private keyOf (frame: Uint8Array): string | undefined {
    const id = toHex(frameId(frame))
    return this.frames.has(id) ? id : this.current.get(id)
  }
}
