import { ID_BYTES, equalBytes, toHex } from '@murmur/protocol'
import { concat, copyBytes, readU64, viewOf } from './bytes.js'
import { decodePost, decodeTally, encodePost, encodeTally } from './codec.js'
import { channelPrefix, classKey, heldTagValue, parentKey, parentRange, parseHeldTag, parseTimeKey, tagExpiryKey, tagKey, timeKey, timeRange, u64 } from './keys.js'
import { ConflictRecords } from './conflicts.js'
import { UsageLedger } from './usage.js'
import { senderOf } from './arrival.js'
import { VOTE_BEFORE_PARENT } from './constants.js'
import type { Tally } from './codec.js'
import type { ClassUsage, Usage } from './usage.js'
import type { Indexes, IndexOperation } from './indexes.js'
import type { StoredPost } from './types.js'
import type { Arrival } from './arrival.js'

const EMPTY = new Uint8Array(0)
/** Value of an arrival index entry whose post another address group delivered too. */
const SHARED = Uint8Array.of(1)

/** A stored post as the quota weighs it: see {@link WritePlan.classMembers}. */
export interface ClassMember {
  post: StoredPost
  tally: Tally | undefined
  /** the unix second it arrived in */
  second: number
  /** another address group than the one it is charged to delivered it too */
  shared: boolean
}

interface TallySlot {
  id: Uint8Array
  tally: Tally | undefined
  dirty: boolean
}

/** A link tag as the store holds it: its scope, the tag, and until when it is kept (unix seconds). */
export interface HeldTag {
  scope: Uint8Array
  tag: Uint8Array
  until: number
}

/**
 * Why {@link WritePlan.add} did not add a post: its stored parent lives in another channel, or it is a VOTE
 * dated before its parent by more than {@link VOTE_BEFORE_PARENT}.
 */
export type AddRefusal = 'wrong-channel' | 'backdated'

/**
 * The writes of one atomic batch: whole posts added or removed with every index entry, the replies
 * an added post takes into its thread, plus the tally changes they cause. Records and tallies are
 * read once and then kept here, so several posts in one plan (a sweep) see each other's changes.
 * Only ever used under the store's write lock.
 *
 * Threads whose posts arrive out of order are kept as a forest of waiting replies rather than
 * re-filed on every arrival (which cost O(n·L) for L replies in reverse order with n leaves): a reply
 * is filed under the top of its chain of stored ancestors (its first missing ancestor, or the stored
 * POST or VOTE that starts its thread). When that top is a missing id that later arrives as a REPLY
 * whose own thread is still incomplete, its waiting replies stay filed under it; only once a chain
 * reaches a stored thread start is the whole waiting tree moved under it, once. Looking a thread
 * start up walks the stored ancestors and points each at the top it found (path compression), so
 * walks stay short. Invariant: a reply filed under a stored thread start has no replies filed under
 * itself, and a reply's contribution to its thread start's reply count exists exactly while that
 * start is stored — so the records and tallies end up the same whatever order a thread arrives in.
 */
export class WritePlan {
  private readonly indexes: Indexes
  private readonly ops: IndexOperation[] = []
  private readonly tallies = new Map<string, TallySlot>()
  /** records read or written by this plan; `null` when deleted (or known absent) */
  private readonly records = new Map<string, StoredPost | null>()
  private readonly ledger: UsageLedger
  /** arrival of the posts added by this plan, by id */
  private readonly arrived = new Map<string, Arrival>()
  /** holders of the link tags read or written by this plan, by tag key; `null` when not held */
  private readonly holders = new Map<string, { id: Uint8Array, until: number } | null>()
  /** the conflict records (links, claims, shadowed envelopes) as this plan sees them */
  readonly conflicts: ConflictRecords

  constructor (indexes: Indexes) {
    this.indexes = indexes
    this.ledger = new UsageLedger(indexes.usage)
    this.conflicts = new ConflictRecords(indexes, (sublevel, key, value) => { this.put(sublevel, key, value) }, (sublevel, key) => { this.del(sublevel, key) })
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
    ops.push(...this.ledger.operations())
    return ops
  }

  /**
   * Add a post and its index entries; a VOTE scores its parent, a REPLY counts towards its parent and
   * thread start. A REPLY's root is resolved here from what is stored (any `root` it came with is
   * not trusted). The replies and votes that arrived before the post and wait under its id are taken
   * in: those in another channel are removed (a reply or vote must stay in its parent's channel), the
   * rest join its thread. Resolves to a refusal, and plans nothing, when the stored parent of a REPLY
   * or VOTE is in another channel. `encoded` is `incoming` as the store codec writes it, reused
   * unless the root was resolved. `tags` are the link tags to hold (see {@link PostStore.put});
   * `arrival` is who delivered the post and when, for the channel quota.
   */
  async add (incoming: StoredPost, encoded: Uint8Array, tags: HeldTag[], arrival: Arrival): Promise<AddRefusal | undefined> {
    const refused = await this.refusal(incoming)
    if (refused !== undefined) return refused
    const parentRecord = incoming.parent === undefined ? undefined : await this.record(incoming.parent)
    let post = incoming
    let start: Start | undefined
    if (incoming.kind === 'REPLY' && incoming.parent !== undefined) {
      start = await this.startOf(incoming.parent, parentRecord)
      post = { ...incoming, root: start.id }
    }
    const { channel, feed, thread, expiry, waiting } = this.indexes
    const prefix = channelPrefix(post.channel)
    this.writeRecord(post, post === incoming ? encoded : undefined)
    this.put(channel, timeKey(prefix, post.created, post.id), u64(post.expires))
    if (post.kind === 'POST') this.put(feed, timeKey(prefix, post.created, post.id), u64(post.expires))
    if (post.kind === 'REPLY') this.put(thread, timeKey(threadRoot(post), post.created, post.id), u64(post.expires))
    if (post.kind === 'VOTE' && post.parent !== undefined && parentRecord === undefined) {
      this.put(waiting, parentKey(post.parent, post.id), EMPTY)
    }
    for (const held of tags) this.holdTag(held, post.id)
    this.put(expiry, timeKey(EMPTY, post.expires, post.id), EMPTY)
    this.put(this.indexes.arrival, timeKey(classKey(prefix, arrival.arrivalClass), arrival.second, post.id), EMPTY)
    this.put(this.indexes.arrivals, post.id, concat([u64(arrival.arrivalClass), u64(arrival.second)]))
    this.arrived.set(toHex(post.id), arrival)
    await this.ledger.account(prefix, arrival.arrivalClass, post.envelope.byteLength, 1)
    for (const target of await this.contributionTargets(post)) await this.count(target, post, 1)

    await this.refuseStrayVotes(post)
    const members = await this.takeWaiting(post)
    if (post.kind !== 'REPLY') {
      // a thread start: the replies waiting under it stay, now counted, and their trees join them
      for (const member of members) {
        if (member.parent !== undefined && !equalBytes(member.parent, post.id)) await this.count(post.id, member, 1)
        await this.gather(member.id, post.id)
      }
    } else if (start?.stored === true) {
      for (const member of members) await this.move(member, start.id, true)
    }
    // else the thread start is still missing: the waiting replies stay filed under this reply
    return undefined
  }

  /** Why {@link add} would refuse `post`: its stored parent is in another channel, or it is a vote dated before that parent. */
  async refusal (post: StoredPost): Promise<AddRefusal | undefined> {
    const parentRecord = post.parent === undefined ? undefined : await this.record(post.parent)
    return parentRecord === undefined ? undefined : refusalUnder(parentRecord, post)
  }

  /**
   * Remove a stored post with its index entries and own tally, and take its vote or reply back off
   * the tallies it counted towards. Its link tags stay held until their own time (a tag freed with
   * its post would give its ring member the slot again). A tally whose post is gone is left alone;
   * one kept for a post not (yet) stored is dropped once nothing counts towards it. Replies waiting
   * under a removed REPLY move up to its thread's top, unless `orphan` (a refused reply's repliers
   * keep waiting under its id, as if it had never come).
   */
  async remove (post: StoredPost, orphan = false): Promise<void> {
    await this.drop(post, orphan ? 'orphan' : 'remove')
  }

  /**
   * Evict a stored post for the channel quota: removed like an expired one, but its id stays in the
   * channel index (so history sync does not fetch it again) and counts as held until it expires.
   */
  async evict (post: StoredPost): Promise<void> {
    await this.drop(post, 'evict')
  }

  /**
   * Take a stored post out as if it had never arrived, for a link-tag conflict it lost (see
   * `placeTagged`): what it contributed to tallies is taken back, the replies of its thread that
   * counted towards it as their stored start stop counting, those below it (a REPLY) wait under its
   * id again, and its own tally (the votes and direct replies naming it) stays for when it counts
   * again. Its expiry entry, links and claims stay: it is shadowed, not gone.
   */
  async demote (post: StoredPost): Promise<void> {
    if (post.kind === 'REPLY') {
      // a reply nothing stored answers (its tally counts its direct replies) has nothing below it: the
      // thread is not read, or every ring reply losing its tag would cost each holder a sweep of it
      if (((await this.tally(post.id))?.replies ?? 0) > 0) {
        for (const reply of await this.descendants(post)) await this.move(reply, post.id, false)
      }
    } else {
      for (const member of await this.waitingUnder(post.id)) {
        if (member.parent !== undefined && !equalBytes(member.parent, post.id)) await this.count(post.id, member, -1)
      }
    }
    await this.drop(post, 'demote')
  }

  /**
   * The replies below the REPLY `post` filed under its thread's top (not under `post` itself): the
   * thread's replies are grouped by parent once, then walked down from `post`, so the cost is linear in
   * the thread whatever order its replies were made in ((created, id) order is no tree order: a chain
   * dated backwards cost one sweep of the thread per reply, D × F for D replies under `post`).
   */
  private async descendants (post: StoredPost): Promise<StoredPost[]> {
    const children = new Map<string, StoredPost[]>()
    for (const reply of await this.waitingUnder(threadRoot(post))) {
      if (reply.parent === undefined) continue
      const parent = toHex(reply.parent)
      const siblings = children.get(parent)
      if (siblings === undefined) children.set(parent, [reply])
      else siblings.push(reply)
    }
    const found: StoredPost[] = []
    const queue = [toHex(post.id)]
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for (const reply of children.get(next) ?? []) {
        found.push(reply)
        queue.push(toHex(reply.id))
      }
      // each parent walked once (a cycle, which ids hashed over their parent rule out, would end too)
      children.delete(next)
    }
    return found
  }

  private async drop (given: StoredPost, mode: 'remove' | 'orphan' | 'evict' | 'demote'): Promise<void> {
    const orphan = mode === 'orphan' || mode === 'demote'
    // the caller read `given` under the write lock; this plan's own changes to it win
    const post = this.records.has(toHex(given.id)) ? await this.record(given.id) : given
    if (post === undefined) return
    const { channel, feed, thread, expiry, waiting } = this.indexes
    const prefix = channelPrefix(post.channel)
    // the tallies first, while the thread start is still known to be stored
    for (const target of await this.contributionTargets(post)) await this.count(target, post, -1)
    this.deleteRecord(post.id)
    // a demoted post stays retained, shadowed; only ring-signed posts are
    if (mode !== 'demote' && post.tag !== undefined) await this.conflicts.forget(post.id, false)
    if (mode === 'evict') {
      this.put(this.indexes.evicted, post.id, timeKey(prefix, post.created, post.id))
      this.put(this.indexes.tombs, timeKey(prefix, post.created, post.id), EMPTY)
      await this.ledger.tomb(prefix, 1)
    } else {
      this.del(channel, timeKey(prefix, post.created, post.id))
      // a demoted post keeps its expiry entry: the sweep finds it shadowed
      if (mode !== 'demote') this.del(expiry, timeKey(EMPTY, post.expires, post.id))
    }
    if (post.kind === 'POST') this.del(feed, timeKey(prefix, post.created, post.id))
    if (post.kind === 'REPLY') this.del(thread, timeKey(threadRoot(post), post.created, post.id))
    if (post.kind === 'VOTE' && post.parent !== undefined) this.del(waiting, parentKey(post.parent, post.id))
    if (mode === 'demote') {
      const tally = await this.tally(post.id)
      if (tally !== undefined && tally.votes <= 0 && tally.replies <= 0) this.setTally(post.id, undefined)
    } else {
      this.setTally(post.id, undefined)
    }
    const arrival = await this.arrival(post.id)
    if (arrival !== undefined) {
      this.del(this.indexes.arrival, timeKey(classKey(prefix, arrival.arrivalClass), arrival.second, post.id))
      this.del(this.indexes.arrivals, post.id)
      await this.ledger.account(prefix, arrival.arrivalClass, post.envelope.byteLength, -1)
    }

    if (post.kind === 'REPLY' && !orphan) {
      const members = await this.waitingUnder(post.id)
      if (members.length > 0) {
        const start = await this.startOf(threadRoot(post), await this.record(threadRoot(post)))
        for (const member of members) await this.move(member, start.id, start.stored)
      }
    }
  }

  /** Drop the expiry entry of `post` (withdrawn: nothing of it is left for a sweep to find). */
  forgetExpiry (post: StoredPost): void {
    this.del(this.indexes.expiry, timeKey(EMPTY, post.expires, post.id))
  }

  /** The channels whose totals this plan changes, with what each holds once it is written. */
  changedChannels (): Map<string, Usage> {
    return this.ledger.changedChannels()
  }

  /** What a channel holds now, as this plan sees it. */
  async channelUsage (channel: string): Promise<Usage> {
    return this.ledger.channel(channelPrefix(channel))
  }

  /** The arrival classes of a channel that hold posts, with what each holds. */
  async classes (channel: string): Promise<ClassUsage[]> {
    return this.ledger.classes(channelPrefix(channel))
  }

  /** A stored post with its tally, as this plan sees them, or undefined when not stored. */
  async lookup (id: Uint8Array): Promise<{ post: StoredPost, tally: Tally | undefined } | undefined> {
    const post = await this.record(id)
    return post === undefined ? undefined : { post, tally: await this.tally(id) }
  }

  /**
   * The stored posts of one arrival class of a channel, with their tallies, the second each arrived in,
   * and whether another address group delivered it too (see {@link share}).
   */
  async classMembers (channel: string, arrivalClass: number): Promise<ClassMember[]> {
    const prefix = channelPrefix(channel)
    const found = (await this.indexes.arrival.iterator(timeRange(classKey(prefix, arrivalClass))).all())
      .map(([key, value]) => ({ ...parseTimeKey(key), shared: value.byteLength > 0 }))
    const seen = new Set(found.map(({ id }) => toHex(id)))
    for (const [hex, added] of this.arrived) {
      const record = this.records.get(hex)
      if (added.arrivalClass === arrivalClass && record != null && record.channel === channel && !seen.has(hex)) found.push({ id: record.id, time: added.second, shared: false })
    }
    const members: ClassMember[] = []
    for (const { id, time, shared } of found) {
      const post = await this.record(id)
      if (post !== undefined) members.push({ post, tally: await this.tally(id), second: time, shared })
    }
    return members
  }

  /**
   * Another address group, of sender bucket `sender`, delivered the stored post `id` too: unless that is
   * the group it was charged to, the post is marked shared, and its group's eviction takes it only after
   * the posts that group alone delivered. Resolves to whether the mark was made now.
   */
  async share (id: Uint8Array, sender: number): Promise<boolean> {
    const arrival = await this.arrival(id)
    const post = await this.record(id)
    if (arrival === undefined || post === undefined || senderOf(arrival.arrivalClass) === sender) return false
    const key = timeKey(classKey(channelPrefix(post.channel), arrival.arrivalClass), arrival.second, id)
    if (((await this.indexes.arrival.get(key))?.byteLength ?? 0) > 0) return false
    this.put(this.indexes.arrival, key, SHARED)
    return true
  }

  /**
   * Drop an expiry entry whose post record is gone: an evicted post's last entries (channel index
   * and eviction mark) go with it; a stray entry just goes.
   */
  async removeExpiryEntry (key: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.del(this.indexes.expiry, key)
    if (await this.conflicts.shadow(id) !== undefined) {
      await this.conflicts.forget(id, true)
      return true
    }
    const channelKey = await this.indexes.evicted.get(id)
    if (channelKey === undefined) return false
    await this.forget(id, channelKey)
    return true
  }

  /**
   * Forget the oldest evicted posts of a channel beyond `keep`, so that what it remembers (and what
   * history sync reconciles) stays within a bound however long a flood goes on. A forgotten post
   * that comes back is judged anew. Resolves to how many were forgotten.
   */
  async forgetEvicted (channel: string, keep: number): Promise<number> {
    const prefix = channelPrefix(channel)
    const excess = (await this.ledger.tombs(prefix)) - keep
    if (excess <= 0) return 0
    const keys = await this.indexes.tombs.keys({ ...timeRange(prefix), limit: excess }).all()
    for (const key of keys) {
      const id = parseTimeKey(key).id
      // the post's expiry entry stays; the sweep drops it as a stray
      await this.forget(id, key)
    }
    return keys.length
  }

  /** Drop what remembers an evicted post: its mark, its channel index entry and its place among the evicted. */
  private async forget (id: Uint8Array, channelKey: Uint8Array): Promise<void> {
    this.del(this.indexes.channel, channelKey)
    this.del(this.indexes.evicted, id)
    this.del(this.indexes.tombs, channelKey)
    await this.ledger.tomb(copyBytes(channelKey, 0, channelKey.byteLength - 8 - ID_BYTES), -1)
  }

  /**
   * Drop a tag expiry entry whose time is up, and the tag with it unless the tag was held again
   * since for a later time (`heldUntil`, from the tag's value; undefined when the tag is gone).
   */
  releaseTag (expiryKey: Uint8Array, scopeAndTag: Uint8Array, until: number, heldUntil: number | undefined): void {
    this.del(this.indexes.tagExpiry, expiryKey)
    if (heldUntil !== undefined && heldUntil <= until) this.del(this.indexes.tags, scopeAndTag)
  }

  /**
   * Hold a link tag for `id` until `held.until`. A tag held again for the same post (re-stored after
   * an eviction) gets a second expiry entry; the earlier one then leaves the tag alone.
   */
  private holdTag (held: HeldTag, id: Uint8Array): void {
    const key = tagKey(held.scope, held.tag)
    this.holders.set(toHex(key), { id, until: held.until })
    this.put(this.indexes.tags, key, heldTagValue(id, held.until))
    this.put(this.indexes.tagExpiry, tagExpiryKey(held.until, key), EMPTY)
  }

  /** The post holding the tag `key` (a {@link tagKey}) and until when, as this plan sees it; its post may be gone. */
  async holder (key: Uint8Array): Promise<{ id: Uint8Array, until: number } | undefined> {
    const hex = toHex(key)
    let held = this.holders.get(hex)
    if (held === undefined) {
      const value = await this.indexes.tags.get(key)
      held = value === undefined ? null : parseHeldTag(value)
      this.holders.set(hex, held)
    }
    return held ?? undefined
  }

  /** Release the tag `key` now: its post lost a conflict. Its expiry entry finds it gone and leaves it. */
  release (key: Uint8Array): void {
    this.holders.set(toHex(key), null)
    this.del(this.indexes.tags, key)
  }

  /**
   * The thread start a reply to `parent` belongs to: walk up the stored replies from `parent` to the
   * first id that is not a stored REPLY. `stored` tells whether that id is a stored POST or VOTE (the
   * thread is complete) or missing (its replies wait under it). Every reply walked past is re-filed
   * under that top, so the next walk from below is short.
   */
  private async startOf (parent: Uint8Array, parentRecord: StoredPost | undefined): Promise<Start> {
    const path: StoredPost[] = []
    let id = parent
    let record = parentRecord
    while (record !== undefined && record.kind === 'REPLY') {
      path.push(record)
      id = threadRoot(record)
      record = await this.record(id)
    }
    const start = { id, stored: record !== undefined }
    for (const reply of path) {
      if (!equalBytes(threadRoot(reply), start.id)) await this.move(reply, start.id, start.stored)
    }
    return start
  }

  /**
   * Re-file `reply` under `root`: record, thread index entry and the root part of its tallies.
   * When `root` is a stored thread start, the replies waiting under `reply` (and under theirs) come too.
   */
  private async move (reply: StoredPost, root: Uint8Array, complete: boolean): Promise<void> {
    const before = await this.contributionTargets(reply)
    const moved = { ...reply, root }
    this.writeRecord(moved)
    this.del(this.indexes.thread, timeKey(threadRoot(reply), reply.created, reply.id))
    this.put(this.indexes.thread, timeKey(root, reply.created, reply.id), u64(reply.expires))
    const after = await this.contributionTargets(moved)
    for (const target of before) if (!after.some(t => equalBytes(t, target))) await this.count(target, reply, -1)
    for (const target of after) if (!before.some(t => equalBytes(t, target))) await this.count(target, moved, 1)
    if (complete) await this.gather(reply.id, root)
  }

  /** Move every reply waiting under `orphanage`, and under those in turn, under the stored thread start `root`. */
  private async gather (orphanage: Uint8Array, root: Uint8Array): Promise<void> {
    const queue = [orphanage]
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for (const member of await this.waitingUnder(next)) {
        await this.move(member, root, false)
        queue.push(member.id)
      }
    }
  }

  /**
   * The replies filed under `post`'s id, less those that answer it from another channel, which are
   * removed here: the check their arrival could not make, with their parent missing.
   */
  private async takeWaiting (post: StoredPost): Promise<StoredPost[]> {
    const members: StoredPost[] = []
    for (const member of await this.waitingUnder(post.id)) {
      if (member.channel !== post.channel && member.parent !== undefined && equalBytes(member.parent, post.id)) {
        await this.remove(member, true)
      } else {
        members.push(member)
      }
    }
    return members
  }

  /**
   * Remove the votes that waited for `post` from another channel or dated before it (the checks their
   * arrival could not make), and forget which votes waited for it.
   */
  private async refuseStrayVotes (post: StoredPost): Promise<void> {
    const keys = await this.indexes.waiting.keys(parentRange(post.id)).all()
    for (const key of keys) {
      this.del(this.indexes.waiting, key)
      const vote = await this.record(copyBytes(key, post.id.byteLength))
      if (vote !== undefined && refusalUnder(post, vote) !== undefined) await this.remove(vote, true)
    }
  }

  /** The stored replies filed under `id` in the thread index, in (created, id) order. */
  private async waitingUnder (id: Uint8Array): Promise<StoredPost[]> {
    const keys = await this.indexes.thread.keys(timeRange(id)).all()
    const members: StoredPost[] = []
    for (const key of keys) {
      const member = await this.record(parseTimeKey(key).id)
      // atomic batches never leave an index entry without its record; skip one as reads do, and
      // skip one this plan has already re-filed elsewhere
      if (member !== undefined && equalBytes(threadRoot(member), id)) members.push(member)
    }
    return members
  }

  /**
   * Ids whose tally a post counts towards: a VOTE's parent; a REPLY's parent and its thread start —
   * the latter only while that start is stored, so a missing one is counted in when it arrives.
   */
  private async contributionTargets (post: StoredPost): Promise<Uint8Array[]> {
    if (post.parent === undefined || post.kind === 'POST') return []
    if (post.kind === 'VOTE') return [post.parent]
    const root = threadRoot(post)
    if (equalBytes(root, post.parent)) return [post.parent]
    const start = await this.record(root)
    return start !== undefined && start.kind !== 'REPLY' ? [post.parent, root] : [post.parent]
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
    this.setTally(target, unused && (await this.record(target)) === undefined ? undefined : next)
  }

  /** The current record of `id` as this plan sees it (written, deleted, or read from the database). */
  private async record (id: Uint8Array): Promise<StoredPost | undefined> {
    const hex = toHex(id)
    let record = this.records.get(hex)
    if (record === undefined) {
      const value = await this.indexes.posts.get(id)
      record = value === undefined ? null : decodePost(id, value)
      this.records.set(hex, record)
    }
    return record ?? undefined
  }

  private writeRecord (post: StoredPost, encoded = encodePost(post)): void {
    this.records.set(toHex(post.id), post)
    this.put(this.indexes.posts, post.id, encoded)
  }

  private deleteRecord (id: Uint8Array): void {
    this.records.set(toHex(id), null)
    this.del(this.indexes.posts, id)
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

  /** When and from whom the stored post `id` arrived, as this plan sees it. */
  async arrival (id: Uint8Array): Promise<Arrival | undefined> {
    const added = this.arrived.get(toHex(id))
    if (added !== undefined) return added
    const value = await this.indexes.arrivals.get(id)
    if (value === undefined) return undefined
    const view = viewOf(value)
    return { arrivalClass: readU64(view, 0), second: readU64(view, 8) }
  }
}

/** Where a thread starts, as far as the stored posts tell. */
interface Start {
  /** the id of the thread's first post, or of its first missing ancestor */
  id: Uint8Array
  /** whether that post is stored (a POST or VOTE): then the thread is complete */
  stored: boolean
}

/**
 * Why `post` may not hang under `parent`: another channel (a reply or vote stays in its parent's), or a VOTE
 * dated more than {@link VOTE_BEFORE_PARENT} before its parent (a vote answers a post its author read, so a
 * ring member cannot sign votes into past hours' slots, ttl a week, that only history sync would carry).
 */
function refusalUnder (parent: StoredPost, post: StoredPost): AddRefusal | undefined {
  if (parent.channel !== post.channel) return 'wrong-channel'
  if (post.kind === 'VOTE' && post.created < parent.created - VOTE_BEFORE_PARENT) return 'backdated'
  return undefined
}

/** The thread a REPLY belongs to: its resolved root, else its parent. */
export function threadRoot (post: StoredPost): Uint8Array {
  return post.root ?? post.parent ?? post.id
}

/**
 * What `post` adds to (`sign` 1) or takes from (-1) its target's tally: a REPLY one reply; a VOTE its
 * vote only when a member cast it (ring-signed over stamped members, so one per member and post). A
 * one-time-signed vote costs nothing but proof of work, so five fresh keys would hide any post: it is
 * stored and synced, and counts for nothing.
 */
function applyContribution (tally: Tally, post: StoredPost, sign: 1 | -1): Tally {
  if (post.kind !== 'VOTE') return { ...tally, replies: tally.replies + sign }
  if (post.tag === undefined) return tally
  return { score: tally.score + sign * post.vote, votes: tally.votes + sign, replies: tally.replies }
}
