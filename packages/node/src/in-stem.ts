/**
 * The node's own posts that have not come back from the network yet. Until one does, only its author
 * holds it outside the stem, so anything that hands posts out (history sync) must skip it — or a peer
 * syncing with us would get it from its author before it reaches gossip. The state is kept on disk next
 * to the post (a sublevel of the store's database), so that it survives a restart: a post made while
 * offline, or just before a stop, is still withheld afterwards, and one that never left is still sent.
 */
import { toHex } from '@murmur/protocol'
import type { StoreDatabase } from './store/index.js'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the store's database holding the own posts not yet back from the network. */
export const IN_STEM_SUBLEVEL = 'own-pending'

/** Where an own post is: still in this node's outbox, or handed to the network (the stem). */
export type InStemState = 'queued' | 'sent'

/** An own post not yet back from the network. */
export interface InStemPost {
  id: Uint8Array
  /** Unix seconds. */
  expires: number
  state: InStemState
}

type Records = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

const RECORD_BYTES = 9

/**
 * Own posts on their way out, each until it comes back from the network or expires, kept in memory for
 * the hot path (every sync answer asks about every id) and written through to the database.
 *
 * @example
 * ```ts
 * const inStem = await InStem.open(db)
 * await inStem.add(id, expires)   // before the post is stored
 * inStem.has(id)                  // true: do not serve it through sync
 * await inStem.sent(id)           // it leaves this node (into the stem)
 * inStem.arrived(id)              // it came back through gossip
 * await inStem.close()
 * ```
 */
export class InStem {
  private readonly posts = new Map<string, InStemPost>()
  private readonly records?: Records
  private readonly writes = new Set<Promise<void>>()
  private readonly onError: (err: unknown) => void

  private constructor (records: Records | undefined, onError: (err: unknown) => void) {
    this.records = records
    this.onError = onError
  }

  /**
   * Opens the list kept in `db` (none: in memory only) and loads what an earlier run left, dropping
   * what expired. `onError` hears about writes that failed (the list in memory stays right).
   */
  static async open (db?: StoreDatabase, onError: (err: unknown) => void = () => {}): Promise<InStem> {
    const records = db?.sublevel<Uint8Array, Uint8Array>(IN_STEM_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    const inStem = new InStem(records, onError)
    if (records !== undefined) {
      const now = Date.now() / 1000
      for await (const [key, value] of records.iterator()) {
        const post = decode(key, value)
        if (post === undefined || post.expires <= now) {
          void inStem.write(async () => records.del(key))
        } else {
          inStem.posts.set(toHex(post.id), post)
        }
      }
    }
    return inStem
  }

  /** Records an own post before it is stored; `expires` in unix seconds. */
  async add (id: Uint8Array, expires: number): Promise<void> {
    this.dropExpired()
    const post: InStemPost = { id, expires, state: 'queued' }
    this.posts.set(toHex(id), post)
    await this.records?.put(id, encode(post))
  }

  /**
   * The post left this node (or is about to: await it before handing the post to the stem, so that a
   * crash right after the send cannot restart it as queued): after a restart it is withheld still, not
   * sent again, and held in the stem under a fresh embargo. Resolves once the record is on disk.
   */
  async sent (id: Uint8Array): Promise<void> {
    const post = this.posts.get(toHex(id))
    if (post === undefined || post.state === 'sent') return
    post.state = 'sent'
    const records = this.records
    if (records !== undefined) await this.write(async () => records.put(post.id, encode(post)))
  }

  /** The post came back from the network (or was dropped): it may be handed out now. */
  arrived (id: Uint8Array): void {
    if (!this.posts.delete(toHex(id))) return
    const records = this.records
    if (records !== undefined) void this.write(async () => records.del(id))
  }

  /** Whether a post is an own post that has not come back yet. */
  has (id: Uint8Array): boolean {
    const key = toHex(id)
    const post = this.posts.get(key)
    if (post !== undefined && post.expires <= Date.now() / 1000) {
      this.arrived(post.id)
      return false
    }
    return post !== undefined
  }

  /** Own posts that never left this node (an earlier run stopped with them in its outbox). */
  queued (): InStemPost[] {
    return this.inState('queued')
  }

  /** Own posts handed to the stem (by an earlier run too) that have not come back yet. */
  inTransit (): InStemPost[] {
    return this.inState('sent')
  }

  /** Waits for every write in flight; call before the database closes. */
  async flush (): Promise<void> {
    await Promise.all([...this.writes])
  }

  private dropExpired (): void {
    const now = Date.now() / 1000
    for (const post of [...this.posts.values()]) {
      if (post.expires <= now) this.arrived(post.id)
    }
  }

  private inState (state: InStemState): InStemPost[] {
    this.dropExpired()
    return [...this.posts.values()].filter((post) => post.state === state)
  }

  /** Starts a write, tracked for `flush`; the promise settles when it did (a failure goes to `onError`). */
  private async write (op: () => Promise<void>): Promise<void> {
    const write = op().catch(this.onError).finally(() => this.writes.delete(write))
    this.writes.add(write)
    return write
  }
}

function encode (post: InStemPost): Uint8Array {
  const bytes = new Uint8Array(RECORD_BYTES)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(post.expires))
  bytes[8] = post.state === 'sent' ? 1 : 0
  return bytes
}

function decode (id: Uint8Array, value: Uint8Array): InStemPost | undefined {
  if (value.byteLength !== RECORD_BYTES || value[8]! > 1) return undefined
  const expires = Number(new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0))
  return { id: id.slice(), expires, state: value[8] === 1 ? 'sent' : 'queued' }
}
