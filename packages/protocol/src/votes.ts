import { compareBytes, equalBytes, toHex } from './bytes.js'

/**
 * The smallest margin of downvotes over upvotes that hides a post, whatever the channel: Yik Yak's "−5
 * removes a post", kept for quiet channels (with the shipped {@link MARGIN_OFFSET} the margin never falls
 * this low in a channel anyone votes in; the floor holds for any rule a caller passes).
 *
 * @default 5
 */
export const MIN_HIDE_MARGIN = 5

/**
 * Share of the channel's audience (see {@link channelAudience}) in the margin by which downvotes must
 * outnumber upvotes to hide a post. Some honest posts never get an upvote, so a minority that waits for
 * such posts faces the margin alone: the margin must exceed the minority's identities, which grow with
 * the channel like its audience. Lower hides more abuse and lets a smaller minority hide honest posts;
 * bench/votes-sim.ts measures both sides (`max(5, ceil(0.75 × audience))`, the rule before the offset, let
 * 5 sybils hide 11 % of honest posts in a 100-member channel and hid a third of abuse in a 400-member one).
 *
 * @default 0.45
 */
export const AUDIENCE_SHARE = 0.45

/**
 * Net downvotes added to the audience's share in the margin: besides the minority's identities, which grow
 * with the channel, the margin must cover the honest downvotes any post may draw (one or two), which do
 * not, and the audience's fluctuation, largest in small channels. Five keeps Yik Yak's "−5" where nobody
 * votes.
 *
 * @default 5
 */
export const MARGIN_OFFSET = 5

/**
 * Age before which no post is hidden, in seconds. Without it a minority downvoting every post at once
 * hides each before any reader has seen it, and a hidden post gets no upvotes and adds nothing to the
 * audience, so the channel never recovers (measured: everything hidden); an hour lets the first readers
 * vote. One epoch.
 *
 * @default 3600
 */
export const HIDE_AFTER_SECONDS = 3600

/**
 * Which order statistic of recent posts' vote totals is the audience: the AUDIENCE_RANK-th largest.
 * Not a mean or a median, which a member could lower by posting many posts nobody votes on; not the
 * maximum, which one post decides.
 *
 * @default 5
 */
export const AUDIENCE_RANK = 5

/** How far back the audience looks: posts created in the last day (the default ttl). @default 86400 */
export const AUDIENCE_WINDOW_SECONDS = 86_400

/** The counted votes of one post: ring-signed by stamped members, one per member (tag), conflicts resolved. */
export interface VoteTally {
  /** Counted upvotes (non-negative integer). */
  up: number
  /** Counted downvotes (non-negative integer). */
  down: number
}

/** What a node observes of the channel a post is in, beyond the post's own votes. */
export interface ChannelVotes {
  /**
   * The channel's audience: the {@link AUDIENCE_RANK}-th largest number of counted votes on a post of the
   * channel created in the last {@link AUDIENCE_WINDOW_SECONDS}, 0 when there are fewer such posts
   * (see {@link channelAudience}).
   */
  audience: number
}

/** A post's counted votes and its age. */
export interface PostVotes extends VoteTally {
  /** Seconds since the post's `created` (negative, from a fast clock, counts as 0). */
  age: number
}

/** Parameters of the hide rule; the defaults are the shipped rule. */
export interface VoteRule {
  /** @default MIN_HIDE_MARGIN (5) */
  minMargin?: number
  /** @default AUDIENCE_SHARE (0.45) */
  audienceShare?: number
  /** @default MARGIN_OFFSET (5) */
  marginOffset?: number
  /** @default HIDE_AFTER_SECONDS (3600) */
  hideAfter?: number
}

/** How a post stands by its votes: what a feed shows, ranks and hides. */
export interface VoteVerdict {
  /** Upvotes minus downvotes: the score every UI shows. */
  score: number
  /** Downvotes over upvotes needed to hide this post in this channel now. */
  margin: number
  /** Whether feeds hide the post: `down − up ≥ margin` once it is {@link HIDE_AFTER_SECONDS} old. */
  hidden: boolean
  /**
   * The score the hot rank uses: `max(0, score)`. Downvotes cancel upvotes but push no post below a fresh
   * post without votes; removing a post is the hide rule's job, which a minority cannot reach.
   */
  rank: number
}

function count (value: unknown, label: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`expected ${label} to be a non-negative integer, got ${String(value)}`)
  }
  return value
}

function share (value: number, label: string): number {
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new RangeError(`expected ${label} in [0, 1), got ${String(value)}`)
  }
  return value
}

/**
 * The margin of downvotes over upvotes that hides a post:
 * `max(minMargin, marginOffset + ceil(audienceShare × audience))`. It grows with the channel's engaged
 * readership, so about the same share of a channel's members is needed to hide a post in a small channel
 * and in a large one, and it never depends on the order votes arrived in.
 *
 * @example
 * ```ts
 * hideMargin({ audience: 20 }) // max(5, 5 + ceil(0.45 × 20)) = 14
 * ```
 */
export function hideMargin (channel: ChannelVotes, rule: VoteRule = {}): number {
  const audience = count(channel.audience, 'audience')
  const minMargin = count(rule.minMargin ?? MIN_HIDE_MARGIN, 'minMargin')
  const audienceShare = share(rule.audienceShare ?? AUDIENCE_SHARE, 'audienceShare')
  const offset = count(rule.marginOffset ?? MARGIN_OFFSET, 'marginOffset')
  // at least one: a post without downvotes is never hidden, whatever the parameters
  return Math.max(1, minMargin, offset + Math.ceil(audienceShare * audience))
}

/**
 * Score, hide decision and hot-rank input of a post from its counted votes, its age and its channel:
 * hidden when it is at least {@link HIDE_AFTER_SECONDS} old and downvotes outnumber upvotes by
 * {@link hideMargin}.
 *
 * @example
 * ```ts
 * import { voteVerdict } from '@murmur/protocol'
 *
 * voteVerdict({ up: 2, down: 12, age: 7200 }, { audience: 20 }) // { score: -10, margin: 14, hidden: false, rank: 0 }
 * voteVerdict({ up: 1, down: 17, age: 7200 }, { audience: 20 }).hidden // true
 * voteVerdict({ up: 1, down: 17, age: 600 }, { audience: 20 }).hidden // false: too young
 * ```
 */
export function voteVerdict (post: PostVotes, channel: ChannelVotes, rule: VoteRule = {}): VoteVerdict {
  const score = count(post.up, 'up') - count(post.down, 'down')
  if (typeof post.age !== 'number' || Number.isNaN(post.age)) throw new RangeError(`expected age in seconds, got ${String(post.age)}`)
  const hideAfter = count(rule.hideAfter ?? HIDE_AFTER_SECONDS, 'hideAfter')
  const margin = hideMargin(channel, rule)
  return { score, margin, hidden: post.age >= hideAfter && -score >= margin, rank: Math.max(0, score) }
}

/**
 * The audience of a channel from the vote totals (`up + down`) of its posts created in the last
 * {@link AUDIENCE_WINDOW_SECONDS}: the `rank`-th largest, 0 when there are fewer posts. Adding posts
 * never lowers it and one member changes it by at most one vote per post.
 *
 * @example
 * ```ts
 * channelAudience([3, 40, 7, 12, 25, 9, 18]) // 9, the fifth largest
 * ```
 */
export function channelAudience (totals: Iterable<number>, rank: number = AUDIENCE_RANK): number {
  if (!Number.isSafeInteger(rank) || rank < 1) throw new RangeError(`expected rank ≥ 1, got ${String(rank)}`)
  // the `rank` largest seen so far, ascending: a store streams a channel's tallies once
  const top: number[] = []
  for (const total of totals) {
    count(total, 'vote total')
    if (top.length === rank && total <= top[0]!) continue
    const at = top.findIndex(t => t > total)
    top.splice(at === -1 ? top.length : at, 0, total)
    if (top.length > rank) top.shift()
  }
  return top.length === rank ? top[0]! : 0
}

/**
 * The envelope every node keeps of two valid ones under one link tag (an up- and a downvote of one member,
 * two votes in one budget slot): the smaller id, compared as bytes. Whatever order they arrive in, by
 * gossip or by sync, every node keeps the same one.
 *
 * @example
 * ```ts
 * const kept = keptEnvelope(stored.id, incoming.id) // equalBytes(kept, incoming.id): replace the stored vote
 * ```
 */
export function keptEnvelope (a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) <= 0 ? a : b
}

/** A counted vote: its envelope id, the link tags its ring signature binds, and its direction. */
export interface TaggedVote {
  id: Uint8Array
  /** Link tags (32 bytes each): one per scope (`voteScope(parent)`, the budget scope). */
  tags: Uint8Array[]
  vote: 1 | -1
}

/**
 * The envelopes that count among votes whose link tags may collide: in ascending id order, each is kept
 * unless one of its tags belongs to an envelope already kept. For two envelopes under one tag this is
 * {@link keptEnvelope}; for chains (A and B share the per-post tag, B and C a budget tag) it is the one
 * answer every node reaches from the same set, whatever order it learned them in. A node that keeps the
 * losers it has seen can therefore recompute the same set after sync brings a smaller id; one that drops
 * them may count otherwise than its peers until sync brings them back.
 *
 * @example
 * ```ts
 * const counted = resolveTagConflicts(votesOnParent)
 * ```
 */
export function resolveTagConflicts<T extends Pick<TaggedVote, 'id' | 'tags'>> (envelopes: Iterable<T>): T[] {
  const sorted = [...envelopes].sort((a, b) => compareBytes(a.id, b.id))
  const taken = new Set<string>()
  const kept: T[] = []
  for (let i = 0; i < sorted.length; i++) {
    const envelope = sorted[i]!
    // the same envelope twice (by gossip and by sync) is one vote
    if (i > 0 && equalBytes(sorted[i - 1]!.id, envelope.id)) continue
    const tags = envelope.tags.map(toHex)
    if (tags.some(tag => taken.has(tag))) continue
    for (const tag of tags) taken.add(tag)
    kept.push(envelope)
  }
  return kept
}

/**
 * The tally of a post's counted votes, after {@link resolveTagConflicts}: the same whatever order the votes
 * are given in.
 *
 * @example
 * ```ts
 * const verdict = voteVerdict({ ...tallyVotes(votesOnParent), age: now - parent.created }, { audience })
 * ```
 */
export function tallyVotes (votes: Iterable<TaggedVote>): VoteTally {
  const all = [...votes]
  const bad = all.find(({ vote }) => vote !== 1 && vote !== -1)
  if (bad !== undefined) throw new RangeError(`expected a vote of 1 or -1, got ${String(bad.vote)}`)
  const tally = { up: 0, down: 0 }
  for (const { vote } of resolveTagConflicts(all)) {
    if (vote === 1) tally.up++
    else tally.down++
  }
  return tally
}
