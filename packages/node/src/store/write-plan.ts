import { equalBytes, toHex } from '@murmur/protocol'
import { copyBytes } from './bytes.js'
import { decodePost, decodeTally, encodePost, encodeTally } from './codec.js'
import { channelPrefix, parseTimeKey, tagKey, timeKey, timeRange, u64 } from './keys.js'
import type { Tally } from './codec.js'
import type { Indexes, IndexOperation } from './indexes.js'
import type { StoredPost } from './types.js'

const EMPTY = new Uint8Array(0)

interface TallySlot {
  id: Uint8Array
  tally: Tally | undefined
  dirty: boolean
}

/**
 * The writes of one atomic batch: whole posts added or removed with every index entry, the replies
 * an added reply takes into its thread, plus the tally changes they cause. Tallies are read once
 * and then kept here, so several posts in one plan (a sweep) that touch the same parent add up.
 * Only ever used under the store's write lock.
 */
export class WritePlan {
  private readonly indexes: Indexes
  private readonly ops: IndexOperation[] = []
  private readonly tallies = new Map<string, TallySlot>()
  private readonly removed = new Set<string>()
  private readonly added = new Set<string>()

  constructor (indexes: Indexes) {
    this.indexes = indexes
  }

  /** Every write of the plan, tallies included, ready for `db.batch`. */
  operations (): IndexOperation[] {
    const ops = [...this.ops]
    for (const slot of this.tallies.values()) {
      if (!slot.dirty) continue
      ops.push(slot.tally === undefined
        ? { type: 'del', sublevel: this.indexes.tallies, key: slot.id }
        : { type: 'put', sublevel: this.indexes.tallies, key: slot.id, value: encodeTally(slot.tally) })
    }
    return ops
  }

  /**
   * Add a post and its index entries; a VOTE scores its parent, a REPLY counts towards its parent and
   * root. A REPLY's root is resolved here from what is stored (any `root` it came with is not
   * trusted), and the replies that arrived before it, filed under its id, move with it into its thread.
   * `encoded` is `incoming` as the store codec writes it, reused unless the root was resolved.
   */
  async add (incoming: StoredPost, encoded: Uint8Array): Promise<void> {
    const parent = incoming.kind === 'REPLY' ? incoming.parent : undefined
    const post = parent === undefined ? incoming : { ...incoming, root: await this.rootUnder(parent) }
    const { posts, channel, feed, thread, tags, expiry } = this.indexes
    const prefix = channelPrefix(post.channel)
    this.put(posts, post.id, post === incoming ? encoded : encodePost(post))
    this.put(channel, timeKey(prefix, post.created, post.id), u64(post.expires))
    if (post.kind === 'POST') this.put(feed, timeKey(prefix, post.created, post.id), u64(post.expires))
    if (post.kind === 'REPLY') this.put(thread, timeKey(threadRoot(post), post.created, post.id), u64(post.expires))
    if (post.scope !== undefined && post.tag !== undefined) this.put(tags, tagKey(post.scope, post.tag), copyBytes(post.id))
    this.put(expiry, timeKey(EMPTY, post.expires, post.id), EMPTY)
    this.added.add(toHex(post.id))

    for (const target of contributionTargets(post)) await this.count(target, post, 1)
    if (post.kind === 'REPLY') await this.adoptOrphans(post.id, threadRoot(post))
  }

  /**
   * Remove a stored post with its index entries, tag and own tally, and take its vote or reply
   * back off the tallies it counted towards. A tally whose post is gone is left alone; one kept for
   * a post not (yet) stored is dropped once nothing counts towards it.
   */
  async remove (post: StoredPost): Promise<void> {
    const { posts, channel, feed, thread, tags, expiry } = this.indexes
    const prefix = channelPrefix(post.channel)
    this.del(posts, post.id)
    this.del(channel, timeKey(prefix, post.created, post.id))
    if (post.kind === 'POST') this.del(feed, timeKey(prefix, post.created, post.id))
    if (post.kind === 'REPLY') this.del(thread, timeKey(threadRoot(post), post.created, post.id))
    if (post.scope !== undefined && post.tag !== undefined) this.del(tags, tagKey(post.scope, post.tag))
    this.del(expiry, timeKey(EMPTY, post.expires, post.id))
    this.removed.add(toHex(post.id))
    this.setTally(post.id, undefined)

    for (const target of contributionTargets(post)) await this.count(target, post, -1)
  }

  /** Drop a stray expiry entry whose post is already gone. */
  removeExpiryEntry (key: Uint8Array): void {
    this.del(this.indexes.expiry, key)
  }

  /**
   * The thread a reply to `parent` (or to what `parent` names when it is not stored) belongs to: the
   * root of the stored reply it answers, else `parent` itself — a POST is its own root, a reply to a
   * VOTE is kept apart under the vote, and a parent not (yet) here holds the reply until it arrives.
   * The record is read whether or not it has expired, since its root stays true either way.
   */
  private async rootUnder (parent: Uint8Array): Promise<Uint8Array> {
    const value = await this.indexes.posts.get(parent)
    if (value === undefined) return parent
    const stored = decodePost(parent, value)
    return stored.kind === 'REPLY' ? threadRoot(stored) : parent
  }

  /**
   * Re-file every reply kept under root `orphanage` (replies whose chain of parents ended at that
   * id, not stored until now) under `root`: record, thread index entry and root tally. Only the
   * thread index range of `orphanage` is read, so the cost is that of the orphans alone.
   */
  private async adoptOrphans (orphanage: Uint8Array, root: Uint8Array): Promise<void> {
    if (equalBytes(orphanage, root)) return
    const { posts, thread } = this.indexes
    const entries = await thread.iterator(timeRange(orphanage)).all()
    const ids = entries.map(([key]) => parseTimeKey(key).id)
    const values = await posts.getMany(ids)
    for (const [i, [key, expires]] of entries.entries()) {
      const id = ids[i]
      const value = values[i]
      // atomic batches never leave an index entry without its record; skip one as reads do
      if (id === undefined || value === undefined) continue
      const orphan = decodePost(id, value)
      const adopted = { ...orphan, root }
      this.put(posts, id, encodePost(adopted))
      this.del(thread, key)
      this.put(thread, timeKey(root, orphan.created, id), expires)
      const before = contributionTargets(orphan)
      const after = contributionTargets(adopted)
      for (const target of before) if (!after.some(t => equalBytes(t, target))) await this.count(target, orphan, -1)
      for (const target of after) if (!before.some(t => equalBytes(t, target))) await this.count(target, adopted, 1)
    }
  }

  /**
   * Add (`sign` 1) or take back (-1) what `post` contributes to the tally of `target`. A tally taken
   * to nothing is dropped when its post is not stored, and kept (at zero) while it is.
   */
  private async count (target: Uint8Array, post: StoredPost, sign: 1 | -1): Promise<void> {
    const tally = await this.tally(target)
    if (sign === 1) {
      this.setTally(target, applyContribution(tally ?? { score: 0, votes: 0, replies: 0 }, post, 1))
      return
    }
    if (tally === undefined) return
    const next = applyContribution(tally, post, -1)
    const unused = next.votes <= 0 && next.replies <= 0
    this.setTally(target, unused && !(await this.isStored(target)) ? undefined : next)
  }

  private put (sublevel: Indexes[keyof Indexes], key: Uint8Array, value: Uint8Array): void {
    this.ops.push({ type: 'put', sublevel, key, value })
  }

  private del (sublevel: Indexes[keyof Indexes], key: Uint8Array): void {
    this.ops.push({ type: 'del', sublevel, key })
  }

  private async tally (id: Uint8Array): Promise<Tally | undefined> {
    const hex = toHex(id)
    let slot = this.tallies.get(hex)
    if (slot === undefined) {
      const value = await this.indexes.tallies.get(id)
      slot = { id, tally: value === undefined ? undefined : decodeTally(id, value), dirty: false }
      this.tallies.set(hex, slot)
    }
    return slot.tally === undefined ? undefined : { ...slot.tally }
  }

  private setTally (id: Uint8Array, tally: Tally | undefined): void {
    this.tallies.set(toHex(id), { id, tally, dirty: true })
  }

  private async isStored (id: Uint8Array): Promise<boolean> {
    const hex = toHex(id)
    return this.added.has(hex) || (!this.removed.has(hex) && await this.indexes.posts.has(id))
  }
}

/** The thread a REPLY belongs to: its resolved root, else its parent. */
export function threadRoot (post: StoredPost): Uint8Array {
  return post.root ?? post.parent ?? post.id
}

/** Ids whose tally a post counts towards: a VOTE's parent; a REPLY's parent and (when different) root. */
function contributionTargets (post: StoredPost): Uint8Array[] {
  if (post.parent === undefined || post.kind === 'POST') return []
  if (post.kind === 'VOTE') return [post.parent]
  const root = threadRoot(post)
  return equalBytes(root, post.parent) ? [post.parent] : [post.parent, root]
}

function applyContribution (tally: Tally, post: StoredPost, sign: 1 | -1): Tally {
  return post.kind === 'VOTE'
    ? { score: tally.score + sign * post.vote, votes: tally.votes + sign, replies: tally.replies }
    : { ...tally, replies: tally.replies + sign }
}
