/**
 * The node's own posts that have not come back from the network yet. Until one does, only its author
 * holds it outside the stem, and it is kept here, not in the post store: nothing that hands posts out
 * (history sync) can list it, and the first copy that comes back is stored like any post new to this
 * node, with the same work and in the same time — whether storing a post was a write or a look-up told a
 * stem successor timing this node whether the post was its own. Reads merge these posts in (the author
 * sees them at once, see `local-reads.ts`). The records are kept on disk (a sublevel of the store's
 * database), so that they survive a restart: a post made while offline, or just before a stop, is still
 * withheld afterwards, and one that never left is still sent.
 */
import { toHex } from '@murmur/protocol'
import { nextTurn } from './next-turn.js'
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
  /** The post's channel. */
  channel: string
  /** The post's envelope, as it leaves. */
  envelope: Uint8Array
}

/** What {@link InStem.add} records of a new own post. */
export type NewInStemPost = Omit<InStemPost, 'state'>

type Records = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

/** A record: expires (8 bytes), state (1), channel length (2), channel (UTF-8), envelope. */
const HEADER_BYTES = 11

/**
 * Own posts on their way out, each until it comes back from the network or expires, kept in memory for
 * the hot path (every sync answer asks about every id) and written through to the database.
 *
 * @example
 * ```ts
 * const inStem = await InStem.open(db)
 * await inStem.add({ id, expires, channel, envelope })   // instead of storing it
 * inStem.get(id)                  // the post: merged into reads, never served through sync
 * await inStem.sent(id)           // it leaves this node (into the stem)
 * inStem.arrived(id)              // it came back through gossip
 * inStem.returned()               // what came back: still read by its author, should the store evict it
 * await inStem.close()
 * ```
 */
export class InStem {
  private readonly posts = new Map<string, InStemPost>()
  /**
   * Own posts that came back this run, until they expire: in memory only (a record on disk would tell
   * whoever reads the disk which posts were written here). Charged to the peer that brought them back,
   * they may be evicted from the store by its flood (see `PostIntake.receive`); their author still reads them.
   */
  private readonly back = new Map<string, InStemPost>()
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

  /** Records a new own post (queued); `expires` in unix seconds. Resolves once the record is on disk. */
  async add (post: NewInStemPost): Promise<void> {
    this.dropExpired()
    const added: InStemPost = { ...post, state: 'queued' }
    this.posts.set(toHex(post.id), added)
    await this.records?.put(post.id, encode(added))
  }

  /**
   * Records `post` (queued) in place of the own post `id`, in one write: a crash cannot leave both (an own
   * vote signed again, see `OwnPosts.release`). Resolves once the record is on disk.
   */
  async replace (id: Uint8Array, post: NewInStemPost): Promise<void> {
    this.dropExpired()
    const added: InStemPost = { ...post, state: 'queued' }
    this.posts.delete(toHex(id))
    this.posts.set(toHex(post.id), added)
    await this.records?.batch([{ type: 'del', key: id }, { type: 'put', key: post.id, value: encode(added) }])
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

  /** The post came back from the network: it may be handed out now, and its author reads it from {@link returned} should the store lose it. */
  arrived (id: Uint8Array): void {
    const post = this.posts.get(toHex(id))
    this.drop(id)
    if (post !== undefined) this.back.set(toHex(id), post)
  }

  /** The post is given up (it expired, or could not be recorded): forgotten, not read by its author any more. */
  drop (id: Uint8Array): void {
    if (!this.posts.delete(toHex(id))) return
    const records = this.records
    // deleted after a turn of the event loop: when a copy came back by gossip, the verdict on it goes
    // out first, as fast as for a post that was never this node's (a timing oracle otherwise)
    if (records !== undefined) void this.write(async () => { await nextTurn(); await records.del(id) })
  }

  /** Whether a post is an own post that has not come back yet. */
  has (id: Uint8Array): boolean {
    return this.get(id) !== undefined
  }

  /** The own post `id` if it has not come back yet (and has not expired). */
  get (id: Uint8Array): InStemPost | undefined {
    const post = this.posts.get(toHex(id))
    if (post !== undefined && post.expires <= Date.now() / 1000) {
      this.drop(post.id)
      return undefined
    }
    return post
  }

  /** Every own post that has not come back yet (and has not expired). */
  pending (): InStemPost[] {
    this.dropExpired()
    return [...this.posts.values()]
  }

  /** Own posts that came back from the network this run (and have not expired), stored or evicted since. */
  returned (): InStemPost[] {
    this.dropExpired()
    return [...this.back.values()]
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
      if (post.expires <= now) this.drop(post.id)
    }
    for (const [key, post] of this.back) {
      if (post.expires <= now) this.back.delete(key)
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
  const channel = new TextEncoder().encode(post.channel)
  const bytes = new Uint8Array(HEADER_BYTES + channel.byteLength + post.envelope.byteLength)
  const view = new DataView(bytes.buffer)
  view.setBigUint64(0, BigInt(post.expires))
  bytes[8] = post.state === 'sent' ? 1 : 0
  view.setUint16(9, channel.byteLength)
  bytes.set(channel, HEADER_BYTES)
  bytes.set(post.envelope, HEADER_BYTES + channel.byteLength)
  return bytes
}

function decode (id: Uint8Array, value: Uint8Array): InStemPost | undefined {
  if (value.byteLength < HEADER_BYTES || value[8]! > 1) return undefined
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  const end = HEADER_BYTES + view.getUint16(9)
  if (end >= value.byteLength) return undefined
  const expires = Number(view.getBigUint64(0))
  const channel = new TextDecoder().decode(value.subarray(HEADER_BYTES, end))
  return { id: id.slice(), expires, state: value[8] === 1 ? 'sent' : 'queued', channel, envelope: value.slice(end) }
}
