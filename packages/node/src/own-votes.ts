/**
 * The votes this node's user cast, one per post, kept on disk until the post expires: a vote is neither
 * repeated nor changed. The member's tag on the post (checked too, see `OwnPosts.vote`) misses a vote
 * whose copy was evicted or expired before its post, and a vote cast under last week's stamp (a new
 * member key, a new tag): without this record the user could vote twice on one post and see the score
 * move twice on nodes that hold both. What the record tells whoever reads the disk (which posts this user
 * voted on) the member key and the store beside it tell already, while the votes are stored.
 */
import { toHex } from '@murmur/protocol'
import type { StoreDatabase } from './store/index.js'
import type { AbstractSublevel } from 'abstract-level'

/** Sublevel of the node's database holding the user's own votes. */
export const OWN_VOTES_SUBLEVEL = 'own-votes'

/** A record: the vote (1 byte, 1 or 255 for -1), then when the post voted on expires (8 bytes, unix seconds). */
const RECORD_BYTES = 9

type Records = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

/**
 * This node's own votes by post id, loaded from the database on first use and written through to it.
 *
 * @example
 * ```ts
 * const votes = new OwnVotes(db)
 * await votes.get(postId)                // undefined: not voted yet
 * await votes.add(postId, 1, expires)    // after the vote left
 * await votes.get(postId)                // 1, also after a restart, until the post expires
 * ```
 */
export class OwnVotes {
  private readonly votes = new Map<string, { vote: 1 | -1, expires: number }>()
  private readonly records?: Records
  private readonly clock: () => number
  private loaded?: Promise<void>

  /** Votes kept in `db` (none: in memory only); `clock` (unix milliseconds) is injected for tests. */
  constructor (db?: StoreDatabase, clock: () => number = Date.now) {
    this.records = db?.sublevel<Uint8Array, Uint8Array>(OWN_VOTES_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    this.clock = clock
  }

  /** The vote this node's user cast on post `id`, if any (and the post has not expired). */
  async get (id: Uint8Array): Promise<1 | -1 | undefined> {
    await this.load()
    const record = this.votes.get(toHex(id))
    if (record === undefined) return undefined
    if (record.expires <= this.clock() / 1000) {
      this.votes.delete(toHex(id))
      await this.records?.del(id)
      return undefined
    }
    return record.vote
  }

  /** Records the vote on post `id`, kept until `expires` (unix seconds, the post's). Resolves once it is on disk. */
  async add (id: Uint8Array, vote: 1 | -1, expires: number): Promise<void> {
    await this.load()
    this.votes.set(toHex(id), { vote, expires })
    await this.records?.put(id, encode(vote, expires))
  }

  /**
   * Forgets the vote on post `id`: it never left this node (given up in the outbox, see
   * `OwnPosts.release`), so the user may cast it again. Resolves once it is gone from disk.
   */
  async remove (id: Uint8Array): Promise<void> {
    await this.load()
    if (!this.votes.delete(toHex(id))) return
    await this.records?.del(id)
  }

  /** Loads what earlier runs recorded, once, dropping votes on posts that expired since. */
  private async load (): Promise<void> {
    this.loaded ??= (async () => {
      const records = this.records
      if (records === undefined) return
      const now = this.clock() / 1000
      const stale: Uint8Array[] = []
      for await (const [key, value] of records.iterator()) {
        const record = decode(value)
        if (record === undefined || record.expires <= now) stale.push(key)
        else this.votes.set(toHex(key), record)
      }
      if (stale.length > 0) await records.batch(stale.map((key) => ({ type: 'del' as const, key })))
    })()
    await this.loaded
  }
}

function encode (vote: 1 | -1, expires: number): Uint8Array {
  const bytes = new Uint8Array(RECORD_BYTES)
  bytes[0] = vote === 1 ? 1 : 255
  new DataView(bytes.buffer).setBigUint64(1, BigInt(Math.max(0, Math.floor(expires))))
  return bytes
}

function decode (value: Uint8Array): { vote: 1 | -1, expires: number } | undefined {
  if (value.length !== RECORD_BYTES || (value[0] !== 1 && value[0] !== 255)) return undefined
  const expires = Number(new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(1))
  return { vote: value[0] === 1 ? 1 : -1, expires }
}
