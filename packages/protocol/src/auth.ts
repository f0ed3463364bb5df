import { DOWNVOTE_BUDGET, EPOCH_SECONDS, ID_BYTES, POSTS_PER_EPOCH, POSTS_PER_WEEK, VOTE_BUDGET, WEEK_SECONDS } from './constants.js'
import { ProtocolError } from './errors.js'
import { hashToPoint } from './ring.js'
import { downvoteBudgetScope, postScope, threadScope, voteBudgetScope, voteScope, weekScope } from './scope.js'
import { sodium } from './sodium.js'
import { Post } from './wire/murmur.js'

/** The rate-limit slots a ring signature of a post must carry, and the link-tag scopes they give. */
export interface RingScope {
  /** floor(created / 3600). */
  epoch: bigint
  /** 0..K-1 for POST and REPLY; for VOTE the week's budget slot, 0..VOTE_BUDGET-1 (a downvote's 0..DOWNVOTE_BUDGET-1). */
  slot: number
  /** floor(created / 604800): of the week slot for POST and REPLY, of the budget slot for VOTE. */
  week: bigint
  /** 0..W-1 for POST and REPLY, 0 for VOTE. */
  weekSlot: number
  /** Every scope the signature binds, primary first: POST and REPLY [hour, week, thread], VOTE [vote, budget]. */
  scopes: Uint8Array[]
  /**
   * How many of `scopes`, from the first, are limits (a tag seen twice in one of them is a conflict): 2 (POST
   * and REPLY hour and week, the thread scope after them limiting nothing; VOTE post and budget).
   */
  limits: number
}

/** The per-member limits a validator enforces through link tags. */
export interface RingLimits {
  /** K, posts per member per channel per epoch. @default POSTS_PER_EPOCH (10) */
  postsPerEpoch?: number
  /** W, posts per member per channel per week. @default POSTS_PER_WEEK (256) */
  postsPerWeek?: number
  /** Upvotes per member per channel per week (budget slots 0..VOTE_BUDGET-1). @default VOTE_BUDGET (500) */
  votesPerWeek?: number
  /** Downvotes per member per channel per week (downvote budget slots 0..DOWNVOTE_BUDGET-1). @default DOWNVOTE_BUDGET (14) */
  downvotesPerWeek?: number
}

const slotProblem = (name: string, slot: number, limit: number): ProtocolError | undefined =>
  Number.isInteger(slot) && slot >= 0 && slot < limit ? undefined : new ProtocolError('ERR_BAD_SCOPE', `${name} must be 0..${limit - 1}, got ${slot}`)


/**
 * The link-tag scopes of a ring-signed post: POST and REPLY link per (topic, hour of `created`, slot), per
 * (topic, week of `created`, week slot) and per (topic, thread: a POST's own
 * `content`, a REPLY's `thread` field); VOTE per parent and per (topic, week of `created`, budget slot
 * `slot`), an upvote in the vote budget's scope (slot < VOTE_BUDGET), a downvote in the downvote budget's
 * (slot < DOWNVOTE_BUDGET), with week slot 0. Throws ERR_BAD_SCOPE on a slot out of range or a REPLY without a 32-byte `thread`.
 *
 * @example
 * ```ts
 * const { epoch, scopes } = ringScopeOf(topic, post, 3, 117, contentDigest(topic, postBytes))
 * ```
 */
export function ringScopeOf (topic: string, post: Post, slot: number, weekSlot: number, content: Uint8Array, limits: RingLimits = {}): RingScope {
  const epoch = post.created / BigInt(EPOCH_SECONDS)
  const week = post.created / BigInt(WEEK_SECONDS)
  if (post.kind === Post.Kind.VOTE) {
    if (weekSlot !== 0) throw new ProtocolError('ERR_BAD_SCOPE', 'a ring-signed VOTE uses week slot 0')
    const down = post.vote === -1
    const problem = down
      ? slotProblem('downvote budget slot', slot, limits.downvotesPerWeek ?? DOWNVOTE_BUDGET)
      : slotProblem('vote budget slot', slot, limits.votesPerWeek ?? VOTE_BUDGET)
    if (problem !== undefined) throw problem
    const budget = down ? downvoteBudgetScope(topic, week, slot) : voteBudgetScope(topic, week, slot)
    return { epoch, slot, week, weekSlot: 0, scopes: [voteScope(post.parent), budget], limits: 2 }
  }
  const thread = post.kind === Post.Kind.POST ? content : post.thread
  if (thread.byteLength !== ID_BYTES) {
    throw new ProtocolError('ERR_BAD_SCOPE', `a ring-signed ${post.kind} needs a ${ID_BYTES}-byte thread (its root's content digest or id), got ${thread.byteLength} bytes`)
  }
  const problem = slotProblem('slot', slot, limits.postsPerEpoch ?? POSTS_PER_EPOCH) ?? slotProblem('week slot', weekSlot, limits.postsPerWeek ?? POSTS_PER_WEEK)
  if (problem !== undefined) throw problem
  return { epoch, slot, week, weekSlot, scopes: [postScope(topic, epoch, slot), weekScope(topic, week, weekSlot), threadScope(topic, thread)], limits: 2 }
}

/**
 * The link tag `x·Hp(scope)` of a secret key in a scope: what a ring signature by that key in that scope
 * will carry. Known before signing, so the post id can bind it.
 *
 * @example
 * ```ts
 * const tag = linkTag(author.secretKey, voteScope(parent))
 * ```
 */
export function linkTag (secretKey: Uint8Array, scope: Uint8Array): Uint8Array {
  return sodium.crypto_scalarmult_ristretto255(secretKey, hashToPoint(scope))
}
