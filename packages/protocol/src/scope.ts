import { concatBytes, isBytes, u32be, u64be, utf8 } from './bytes.js'
import { ID_BYTES } from './constants.js'
import { DOMAIN } from './hash.js'

/**
 * Link-tag scope of a ring-signed POST or REPLY:
 * `"murmur/v2/scope/post" || u32be(len(topic)) || topic || u64be(epoch) || u32be(slot)`.
 *
 * @example
 * ```ts
 * const scope = postScope('murmur/2/#lobby', Math.floor(created / 3600), 0)
 * ```
 */
export function postScope (topic: string, epoch: bigint | number, slot: number): Uint8Array {
  const t = utf8(topic)
  return concatBytes([DOMAIN.postScope, u32be(t.byteLength), t, u64be(epoch), u32be(slot)])
}

/**
 * Second link-tag scope of a ring-signed POST or REPLY, one per member, channel and week:
 * `"murmur/v2/scope/week" || u32be(len(topic)) || topic || u64be(week) || u32be(weekSlot)`. It caps a
 * member at W posts per channel per week whatever epochs they claim, so backdated posts that arrive by
 * history sync cannot add up either.
 *
 * @example
 * ```ts
 * const scope = weekScope('murmur/2/#lobby', Math.floor(created / 604800), 17)
 * ```
 */
export function weekScope (topic: string, week: bigint | number, weekSlot: number): Uint8Array {
  const t = utf8(topic)
  return concatBytes([DOMAIN.weekScope, u32be(t.byteLength), t, u64be(week), u32be(weekSlot)])
}

/**
 * Link-tag scope of a ring-signed VOTE: `"murmur/v2/scope/vote" || parent`.
 *
 * @example
 * ```ts
 * const scope = voteScope(parentId)
 * ```
 */
export function voteScope (parent: Uint8Array): Uint8Array {
  if (!isBytes(parent, ID_BYTES)) {
    throw new TypeError('expected a 32-byte parent id')
  }
  return concatBytes([DOMAIN.voteScope, parent])
}

/**
 * Second link-tag scope of a ring-signed VOTE, one per member, channel, week and budget slot:
 * `"murmur/v2/scope/vote-budget" || u32be(len(topic)) || topic || u64be(week) || u32be(slot)`, with
 * `slot < VOTE_BUDGET`. It caps a member at VOTE_BUDGET votes per channel per week, whatever posts they are
 * on and whatever hours their votes claim (backdated votes arriving by sync draw on the same week's budget).
 *
 * @example
 * ```ts
 * const scope = voteBudgetScope('murmur/2/#lobby', Math.floor(created / 604800), 7)
 * ```
 */
export function voteBudgetScope (topic: string, week: bigint | number, slot: number): Uint8Array {
  const t = utf8(topic)
  return concatBytes([DOMAIN.voteBudgetScope, u32be(t.byteLength), t, u64be(week), u32be(slot)])
}

/**
 * Second link-tag scope of a ring-signed downvote (VOTE −1) in place of {@link voteBudgetScope}, one per
 * member, channel, week and downvote slot:
 * `"murmur/v2/scope/downvote-budget" || u32be(len(topic)) || topic || u64be(week) || u32be(slot)`, with
 * `slot < DOWNVOTE_BUDGET`. It caps a member at DOWNVOTE_BUDGET downvotes per channel per week, apart from
 * its upvotes: a sybil identity strikes few posts a week, an honest member rarely downvotes more.
 *
 * @example
 * ```ts
 * const scope = downvoteBudgetScope('murmur/2/#lobby', Math.floor(created / 604800), 3)
 * ```
 */
export function downvoteBudgetScope (topic: string, week: bigint | number, slot: number): Uint8Array {
  const t = utf8(topic)
  return concatBytes([DOMAIN.downvoteBudgetScope, u32be(t.byteLength), t, u64be(week), u32be(slot)])
}

/**
 * Third link-tag scope of a ring-signed POST or REPLY, one per channel and thread:
 * `"murmur/v2/scope/thread" || u32be(len(topic)) || topic || threadDigest`, where `threadDigest` is the
 * thread value: a POST's own content digest, a REPLY's `thread` field (memberThread: the root's content
 * digest for its author, the root's id for anyone else). Its tag is the same for
 * every post of one member in one thread and unlinkable across threads: the member's thread pseudonym.
 * It limits nothing.
 *
 * @example
 * ```ts
 * const scope = threadScope('murmur/2/#lobby', contentDigest(topic, rootEnvelope.post))
 * ```
 */
export function threadScope (topic: string, threadDigest: Uint8Array): Uint8Array {
  if (!isBytes(threadDigest, ID_BYTES)) {
    throw new TypeError('expected a 32-byte thread digest')
  }
  const t = utf8(topic)
  return concatBytes([DOMAIN.threadScope, u32be(t.byteLength), t, threadDigest])
}
