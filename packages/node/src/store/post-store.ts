import { defaultLogger } from '@libp2p/logger'
import { AUDIENCE_WINDOW_SECONDS, channelAudience, compareBytes, toHex, voteVerdict } from '@murmur/protocol'
import { copyBytes, readU64, viewOf } from './bytes.js'
import { decodeHeader, decodePost, decodeTally, encodePost } from './codec.js'
import { CHANNEL_BYTES_QUOTA, CHANNEL_POSTS_QUOTA, DEFAULT_FEED_LIMIT, FEED_READ_CHUNK, HOT_CANDIDATES, ID_PREFIX_MATCHES, QUOTA_LOW_WATER, SWEEP_BATCH_SIZE, TAG_RETENTION } from './constants.js'
import { InvalidPostError } from './errors.js'
import { hotScore } from './hot.js'
import { enforceQuota } from './quota.js'
import { UNKNOWN_SENDER, arrivalOf, senderBucket } from './arrival.js'
import type { ChannelQuota } from './quota.js'
import { openIndexes } from './indexes.js'
import { channelPrefix, idPrefixRange, parseHeldTag, parseTagExpiryKey, parseTimeKey, tagKey, timeKey, timeRange, u64 } from './keys.js'
import { assertId, assertStoredPost, assertText, assertTime } from './validate.js'
import { WritePlan } from './write-plan.js'
import { losesTagConflict, placeTagged, withdraw } from './conflicts.js'
import { ChannelTotals } from './usage.js'
import type { Link } from './conflicts.js'
import type { StoreDatabase } from './database.js'
import type { Index, Indexes } from './indexes.js'
import type { HeldTag } from './write-plan.js'
import type { FeedOptions, PostEntry, PostStore, PostStoreInit, PutResult, StoreUsage, StoredPost } from './types.js'
import type { Logger } from '@libp2p/interface'

const NO_TALLIES: Readonly<Tallies> = { score: 0, votes: 0, replyCount: 0 }

/** The tallies of a post as a {@link PostEntry} shows them, and how many counted votes make its score. */
interface Tallies {
  score: number
  votes: number
  replyCount: number
}

/** A live entry of a time index (channel, feed, thread) with the tallies of its post. */
interface Candidate extends Tallies {
  created: number
  id: Uint8Array
}

/** A feed candidate judged by the vote rule: whether it is hidden, and the score the hot rank uses. */
interface Verdicted extends Candidate {
  hidden: boolean
  rank: number
}

/**
 * The vote rule of a channel's posts at `now` (`voteVerdict` of @murmur/protocol): hidden when members'
 * downvotes outnumber their upvotes by the channel's margin, which grows with its audience
 * (`channelAudience` of the recent posts' vote `totals`); ranked by the verdict's `rank`.
 */
function judgeBy (totals: number[], now: number): (c: Candidate) => Verdicted {
  const channel = { audience: channelAudience(totals) }
  return (c) => {
    const verdict = voteVerdict({ up: (c.votes + c.score) / 2, down: (c.votes - c.score) / 2, age: now - c.created }, channel)
    return { ...c, hidden: verdict.hidden, rank: verdict.rank }
  }
}

/** A stored post with its tallies as a {@link PostEntry}. */
function entryOf (post: StoredPost, tallies: Tallies): PostEntry {
  return { ...post, score: tallies.score, replyCount: tallies.replyCount }
}

/** The current time in unix seconds. */
function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}

/** {@link PostStore} over the sublevels of one abstract-level database. */
export class LevelPostStore implements PostStore {
  private readonly db: StoreDatabase
  private readonly indexes: Indexes
  private readonly quota: ChannelQuota
  private readonly hotCandidates: number
  private readonly log: Logger
  /** What each channel holds, kept from each commit once first read. */
  private readonly totals: ChannelTotals
  /** Tail of the write queue: every write runs after the previous one settles. */
  private writes: Promise<void> = Promise.resolve()

  constructor (init: PostStoreInit) {
    this.db = init.db
    this.indexes = openIndexes(init.db)
    this.totals = new ChannelTotals(this.indexes.usage)
    this.quota = { posts: init.channelPosts ?? CHANNEL_POSTS_QUOTA, bytes: init.channelBytes ?? CHANNEL_BYTES_QUOTA, lowWater: QUOTA_LOW_WATER }
    this.hotCandidates = init.hotCandidates ?? HOT_CANDIDATES
    this.log = (init.logger ?? defaultLogger()).forComponent('murmur:store')
  }

  async put (post: StoredPost, now: number = nowSeconds()): Promise<PutResult> {
    assertStoredPost(post)
    assertTime(now, 'now')
    // Copy before queueing, so a caller reusing its buffers while the write waits its turn cannot
    // change what gets stored.
    const encoded = encodePost(post)
    const own = decodePost(post.id, encoded)
    const until = Math.max(own.created, now) + TAG_RETENTION
    const tags: HeldTag[] = (post.links ?? (own.scope !== undefined && own.tag !== undefined ? [{ scope: own.scope, tag: own.tag }] : []))
      .map(link => ({ scope: copyBytes(link.scope), tag: copyBytes(link.tag), until }))
    return this.exclusive(async () => {
      if (own.expires <= now) return 'expired'
      if (await this.holds(own.id, tags.length > 0)) return 'duplicate'
      const plan = new WritePlan(this.indexes)
      const arrival = arrivalOf(post.from, now)
      const refused = await plan.refusal(own)
      if (refused !== undefined) return refused
      if (tags.length > 0) {
        if (await placeTagged(plan, own, encoded, uniqueLinks(tags), arrival, now) === 'duplicate-tag') {
          // shadowed (retained to count again if what beat it goes) or dropped: nothing to evict for it
          await this.commit(plan)
          return 'duplicate-tag'
        }
      } else {
        await plan.add(own, encoded, [], arrival)
      }
      const evicted = await enforceQuota(plan, own.channel, this.quota, own.id)
      // as many evicted posts remembered as the channel may hold live ones
      if (evicted > 0) await plan.forgetEvicted(own.channel, this.quota.posts)
      await this.commit(plan)
      if (evicted > 0) this.log('channel over quota: evicted %d posts', evicted)
      return 'stored'
    })
  }

  async corroborate (id: Uint8Array, from: string): Promise<boolean> {
    assertId(id, 'id')
    assertText(from, 'from')
    if (from === UNKNOWN_SENDER) return false
    return this.exclusive(async () => {
      const plan = new WritePlan(this.indexes)
      if (!await plan.share(id, senderBucket(from))) return false
      await this.commit(plan)
      return true
    })
  }

  async get (id: Uint8Array, now: number = nowSeconds()): Promise<PostEntry | undefined> {
    assertId(id, 'id')
    assertTime(now, 'now')
    const value = await this.indexes.posts.get(id)
    if (value === undefined) return undefined
    const post = decodePost(id, value)
    if (post.expires <= now) {
      await this.expire([id], now)
      return undefined
    }
    const [tallies] = await this.tallies([id])
    return entryOf(post, tallies ?? NO_TALLIES)
  }

  async has (id: Uint8Array): Promise<boolean> {
    assertId(id, 'id')
    return this.holds(id)
  }

  /**
   * Whether the post is stored, or was evicted by the quota, or (`tagged`: only a ring-signed post can be)
   * is shadowed by a tag conflict, and has not expired yet.
   */
  private async holds (id: Uint8Array, tagged = true): Promise<boolean> {
    return await this.indexes.posts.has(id) || await this.indexes.evicted.has(id) || (tagged && await this.indexes.shadow.has(id))
  }

  async hasTag (scope: Uint8Array, tag: Uint8Array): Promise<boolean> {
    assertId(tag, 'tag')
    if (!(scope instanceof Uint8Array)) throw new InvalidPostError('expected scope as a Uint8Array')
    return this.indexes.tags.has(tagKey(scope, tag))
  }

  async hasTagConflict (id: Uint8Array, links: Array<{ scope: Uint8Array, tag: Uint8Array }>): Promise<boolean> {
    assertId(id, 'id')
    for (const link of links) {
      assertId(link?.tag, 'tag')
      if (!(link.scope instanceof Uint8Array)) throw new InvalidPostError('expected scope as a Uint8Array')
    }
    return losesTagConflict(new WritePlan(this.indexes), id, links)
  }

  async feed (channel: string, opts: FeedOptions = {}): Promise<PostEntry[]> {
    assertText(channel, 'channel')
    const now = opts.now ?? nowSeconds()
    const limit = opts.limit ?? DEFAULT_FEED_LIMIT
    const sort = opts.sort ?? 'new'
    const includeHidden = opts.includeHidden ?? false
    assertTime(now, 'now')
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidPostError(`expected limit as a non-negative integer, got ${limit}`)
    if (sort !== 'new' && sort !== 'hot') throw new InvalidPostError(`expected sort 'new' or 'hot', got ${String(sort)}`)
    if (opts.before !== undefined) assertTime(opts.before, 'before')
    if (limit === 0) return []

    const prefix = channelPrefix(channel)
    const range = timeRange(prefix, opts.before)
    const expired: Uint8Array[] = []
    let chosen: Verdicted[] = []
    if (sort === 'new') {
      // Newest first, stopping as soon as enough visible posts are found.
      const judge = judgeBy(await this.recentTotals(prefix, now, expired), now)
      for await (const chunk of this.candidates(this.indexes.feed, { ...range, reverse: true }, now, expired)) {
        chosen.push(...chunk.map(judge).filter(c => includeHidden || !c.hidden))
        if (chosen.length >= limit) break
      }
    } else {
      // The newest hotCandidates posts are ranked, reading only their tallies; the posts
      // themselves are loaded for the winners alone. A read never grows with the channel.
      const read: Candidate[] = []
      for await (const chunk of this.candidates(this.indexes.feed, { ...range, reverse: true, limit: this.hotCandidates }, now, expired)) read.push(...chunk)
      // the same newest posts give the audience, unless paging back (`before`) left the recent ones out
      const totals = opts.before === undefined ? read.filter(c => c.created >= now - AUDIENCE_WINDOW_SECONDS).map(c => c.votes) : await this.recentTotals(prefix, now, expired)
      chosen = read.map(judgeBy(totals, now)).filter(c => includeHidden || !c.hidden)
      chosen = chosen
        .map(c => ({ c, hot: hotScore(c.rank, c.created, now) }))
        .sort((a, b) => b.hot - a.hot || b.c.created - a.c.created || compareBytes(b.c.id, a.c.id))
        .map(({ c }) => c)
    }
    chosen = chosen.slice(0, limit)
    if (expired.length > 0) await this.expire(expired, now)
    const entries = await this.load(chosen, now)
    const hidden = new Set(chosen.filter(c => c.hidden).map(c => toHex(c.id)))
    return hidden.size === 0 ? entries : entries.map(entry => hidden.has(toHex(entry.id)) ? { ...entry, hidden: true } : entry)
  }

  /**
   * The counted vote totals of a channel's POSTs created in the last `AUDIENCE_WINDOW_SECONDS`, the
   * newest `hotCandidates` of them (a read that never grows with the channel): what its audience is
   * measured on.
   */
  private async recentTotals (prefix: Uint8Array, now: number, expired: Uint8Array[]): Promise<number[]> {
    const totals: number[] = []
    const recent = { gte: timeKey(prefix, Math.max(0, now - AUDIENCE_WINDOW_SECONDS), new Uint8Array(32)), lte: timeRange(prefix).lte, reverse: true, limit: this.hotCandidates }
    for await (const chunk of this.candidates(this.indexes.feed, recent, now, expired)) totals.push(...chunk.map(c => c.votes))
    return totals
  }

  async thread (rootId: Uint8Array, now: number = nowSeconds()): Promise<PostEntry[]> {
    assertId(rootId, 'rootId')
    assertTime(now, 'now')
    const root = await this.get(rootId, now)
    const expired: Uint8Array[] = []
    let replies: Candidate[] = []
    // A stored thread start has every reply of its thread filed directly under it. Under a missing
    // id (or a reply) replies may wait nested, under the replies they answer: walk those too.
    const nested = root === undefined || root.kind === 'REPLY'
    const queue = [rootId]
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for await (const chunk of this.candidates(this.indexes.thread, timeRange(next), now, expired)) {
        replies.push(...chunk)
        if (nested) queue.push(...chunk.map(c => c.id))
      }
    }
    if (nested) replies = replies.sort((a, b) => a.created - b.created || compareBytes(a.id, b.id))
    if (expired.length > 0) await this.expire(expired, now)
    const entries = await this.load(replies, now)
    return root === undefined ? entries : [root, ...entries]
  }

  async idsWithPrefix (prefix: string, opts: { limit?: number, now?: number } = {}): Promise<Uint8Array[]> {
    if (typeof prefix !== 'string' || !/^[0-9a-f]{1,64}$/.test(prefix)) throw new InvalidPostError('expected an id prefix of 1 to 64 lower-case hex digits')
    const limit = opts.limit ?? ID_PREFIX_MATCHES
    const now = opts.now ?? nowSeconds()
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidPostError(`expected limit as a non-negative integer, got ${limit}`)
    assertTime(now, 'now')
    const found: Uint8Array[] = []
    if (limit === 0) return found
    // votes share the range: at most a few ids start with a typed prefix of 4 or more digits
    for await (const [id, value] of this.indexes.posts.iterator(idPrefixRange(prefix))) {
      const header = decodeHeader(id, value)
      if (header.kind !== 'VOTE' && header.expires > now) found.push(copyBytes(id))
      if (found.length >= limit) break
    }
    return found
  }

  async * ids (channel: string, now: number = nowSeconds()): AsyncGenerator<{ created: number, id: Uint8Array }> {
    assertText(channel, 'channel')
    assertTime(now, 'now')
    for await (const [key, value] of this.indexes.channel.iterator(timeRange(channelPrefix(channel)))) {
      if (readU64(viewOf(value), 0) <= now) continue
      const { time, id } = parseTimeKey(key)
      yield { created: time, id }
    }
  }

  async sweep (now: number = nowSeconds()): Promise<number> {
    assertTime(now, 'now')
    let removed = 0
    // One bounded batch per turn of the write queue, so puts interleave with a long sweep.
    for (;;) {
      const step = await this.exclusive(async () => {
        const keys = await this.indexes.expiry.keys({ ...timeRange(new Uint8Array(0), now + 1), limit: SWEEP_BATCH_SIZE }).all()
        if (keys.length === 0) return undefined
        const plan = new WritePlan(this.indexes)
        const ids = keys.map(key => parseTimeKey(key).id)
        const values = await this.indexes.posts.getMany(ids)
        let posts = 0
        for (const [i, key] of keys.entries()) {
          const value = values[i]
          const id = ids[i]
          if (value === undefined || id === undefined) {
            if (id !== undefined && await plan.removeExpiryEntry(key, id)) posts++
          } else {
            await plan.remove(decodePost(id, value))
            posts++
          }
        }
        await this.commit(plan)
        return posts
      })
      if (step === undefined) break
      removed += step
    }
    const released = await this.releaseTags(now)
    if (removed > 0 || released > 0) this.log('swept %d expired posts, released %d tags', removed, released)
    return removed
  }

  /** Release the link tags whose hold ended by `now`, one bounded batch per turn of the write queue. */
  private async releaseTags (now: number): Promise<number> {
    let released = 0
    for (;;) {
      const step = await this.exclusive(async () => {
        const keys = await this.indexes.tagExpiry.keys({ lt: u64(now + 1), limit: SWEEP_BATCH_SIZE }).all()
        if (keys.length === 0) return undefined
        const due = keys.map(parseTagExpiryKey)
        const values = await this.indexes.tags.getMany(due.map(d => d.tag))
        const plan = new WritePlan(this.indexes)
        for (const [i, key] of keys.entries()) {
          const value = values[i]
          const entry = due[i]
          if (entry !== undefined) plan.releaseTag(key, entry.tag, entry.until, value === undefined ? undefined : parseHeldTag(value).until)
        }
        await this.commit(plan)
        return keys.length
      })
      if (step === undefined) return released
      released += step
    }
  }

  async usage (): Promise<Map<string, StoreUsage>> {
    // read once under the write lock, so that no write lands between the read and the first update
    if (!this.totals.loaded) await this.exclusive(async () => { await this.totals.load() })
    return this.totals.snapshot()
  }

  async withdraw (id: Uint8Array, now: number = nowSeconds()): Promise<boolean> {
    assertId(id, 'id')
    assertTime(now, 'now')
    return this.exclusive(async () => {
      const plan = new WritePlan(this.indexes)
      if (!await withdraw(plan, id, now)) return false
      await this.commit(plan)
      return true
    })
  }

  async close (): Promise<void> {
    await this.writes
    await this.db.close()
  }

  /** Write a plan in one atomic batch, then keep the totals of the channels it changed. */
  private async commit (plan: WritePlan): Promise<void> {
    await this.db.batch(plan.operations())
    this.totals.update(plan.changedChannels())
  }

  /** Run `write` after every earlier write has settled; the queue survives a failed write. */
  private async exclusive<T> (write: () => Promise<T>): Promise<T> {
    const result = this.writes.then(write)
    this.writes = result.then(() => undefined, () => undefined)
    return result
  }

  /** Delete those of `ids` that are still stored and expired at `now` (reads find them lazily). */
  private async expire (ids: Uint8Array[], now: number): Promise<void> {
    const removed = await this.exclusive(async () => {
      const values = await this.indexes.posts.getMany(ids)
      const plan = new WritePlan(this.indexes)
      let count = 0
      for (const [i, value] of values.entries()) {
        const id = ids[i]
        if (value === undefined || id === undefined) continue
        const post = decodePost(id, value)
        if (post.expires > now) continue
        await plan.remove(post)
        count++
      }
      if (count > 0) await this.commit(plan)
      return count
    })
    if (removed > 0) this.log('expired %d posts on read', removed)
  }

  /**
   * Walk a time index in chunks, yielding its live entries with their tallies; entries expired at
   * `now` are skipped and their ids pushed to `expired`.
   */
  private async * candidates (
    index: Index,
    range: ReturnType<typeof timeRange> & { reverse?: boolean, limit?: number },
    now: number,
    expired: Uint8Array[]
  ): AsyncGenerator<Candidate[]> {
    const iterator = index.iterator(range)
    try {
      for (;;) {
        const entries = await iterator.nextv(FEED_READ_CHUNK)
        if (entries.length === 0) return
        const live: Array<{ created: number, id: Uint8Array }> = []
        for (const [key, value] of entries) {
          const { time, id } = parseTimeKey(key)
          if (readU64(viewOf(value), 0) <= now) expired.push(id)
          else live.push({ created: time, id })
        }
        const tallies = await this.tallies(live.map(l => l.id))
        yield live.map((l, i) => ({ ...l, ...tallies[i] ?? NO_TALLIES }))
      }
    } finally {
      await iterator.close()
    }
  }

  /** Load the posts of `candidates` in order, dropping any that expired or vanished meanwhile. */
  private async load (candidates: Candidate[], now: number): Promise<PostEntry[]> {
    const values = await this.indexes.posts.getMany(candidates.map(c => c.id))
    const entries: PostEntry[] = []
    const expired: Uint8Array[] = []
    for (const [i, candidate] of candidates.entries()) {
      const value = values[i]
      if (value === undefined) continue
      const post = decodePost(candidate.id, value)
      if (post.expires <= now) expired.push(post.id)
      else entries.push(entryOf(post, candidate))
    }
    if (expired.length > 0) await this.expire(expired, now)
    return entries
  }

  /** The current tallies of `ids`, in order (zero for a post nobody voted on or replied to). */
  private async tallies (ids: Uint8Array[]): Promise<Tallies[]> {
    const values = await this.indexes.tallies.getMany(ids)
    return ids.map((id, i) => {
      const value = values[i]
      if (value === undefined) return NO_TALLIES
      const tally = decodeTally(id, value)
      return { score: tally.score, votes: tally.votes, replyCount: tally.replies }
    })
  }
}

/** The links of a post, each tag once (a tag named twice is one claim). */
function uniqueLinks (links: Link[]): Link[] {
  const seen = new Set<string>()
  return links.filter(link => {
    const key = toHex(tagKey(link.scope, link.tag))
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
