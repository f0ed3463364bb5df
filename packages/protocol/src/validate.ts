import { isCircleTopic, topicOfValidChannel } from './channel.js'
import { ID_BYTES } from './constants.js'
import { ProtocolError } from './errors.js'
import type { ErrorCode } from './errors.js'
import { decodeEnvelope, decodePost } from './codec.js'
import { checkPostFields } from './fields.js'
import type { PostKind } from './fields.js'
import { authBinding, contentDigest, postId, powDigest } from './digest.js'
import { leadingZeroBits, powFloorBits, powHash, requiredPowBits } from './pow.js'
import { verifyOneTime } from './one-time.js'
import { ringProblem, verifyOverCheckedRing } from './ring.js'
import { ringScopeOf } from './auth.js'
import type { RingLimits, RingScope } from './auth.js'
import { openCirclePost } from './circle.js'
import { checkPadding } from './padding.js'
import { rethrowNotReady } from './sodium.js'
import { epochDistance, inEpochWindow, timeRefusal } from './time-window.js'
import type { Envelope, Post, RingAuth } from './wire/murmur.js'

/** What the validator needs to know besides the bytes. */
export interface ValidateOptions extends RingLimits {
  /** The gossipsub topic the envelope arrived on. */
  topic: string
  /** Unix seconds. @default Math.floor(Date.now() / 1000) */
  now?: number
  /**
   * Base proof-of-work bits per kind; a ring adds its term (`ringPowBits`), a one-time POST or REPLY
   * UNVERIFIED_EXTRA_BITS (`requiredPowBits`). @default DEFAULT_POW_BITS
   */
  powBits?: Partial<Record<PostKind, number>>
  /**
   * Base bits per kind below which a proof of work is refused as unpaid (ERR_POW_TOO_LOW, Reject); one at
   * or above the floor but below `powBits` breaks only this node's stricter policy (ERR_POW_POLICY,
   * Ignore): an honest relay with a lower setting forwards such posts in good faith. Never above `powBits`.
   *
   * @default powFloorBits(powBits): the protocol's DEFAULT_POW_BITS, or `powBits` where lower
   */
  powFloor?: Partial<Record<PostKind, number>>
  /** Circle key, to open sealed posts of a circle topic. */
  circleKey?: Uint8Array
  /**
   * When set, a ring-signed envelope (a VOTE's epoch is its budget's) whose epoch is more than this many
   * epochs away from now's is refused with ERR_STALE_EPOCH (Ignore). Gossip and the stem pass 1; history
   * sync, which carries older posts on purpose, does not (the weekly link tag caps posts; votes, see
   * docs/PROTOCOL.md §5).
   *
   * @default undefined (any epoch the time window allows)
   */
  epochWindow?: number
}

/** One link of a ring signature: a scope and the signer's tag in it. */
export interface RingLink {
  scope: Uint8Array
  tag: Uint8Array
}

/** How a valid envelope was authenticated. */
export type AuthInfo =
  | { kind: 'one-time', publicKey: Uint8Array }
  | {
    kind: 'ring'
    ring: Uint8Array[]
    /** The primary tag (the hour's for POST and REPLY, the vote's for VOTE) = links[0].tag. */
    tag: Uint8Array
    /** The primary scope = links[0].scope. */
    scope: Uint8Array
    /** Every limit link, primary first: POST and REPLY [hour, week], VOTE [vote, budget]. A store keeps them all. */
    links: RingLink[]
    /**
     * POST and REPLY: the link of the thread scope (threadScope), not a limit and not in `links`: its tag is
     * the signer's pseudonym in the thread, the same for each of its posts there, unlinkable to other threads.
     */
    thread?: RingLink
    epoch: bigint
    slot: number
    weekSlot: number
  }

/** A valid envelope. */
export interface ValidEnvelope {
  ok: true
  /** Post id (bound to the signer). */
  id: Uint8Array
  post: Post
  auth: AuthInfo
  /** The proof-of-work nonce it carried. */
  pow: bigint
}

/** A rejected envelope with a stable code (see ERROR_ACTIONS) and a human-readable reason. */
export interface InvalidEnvelope {
  ok: false
  code: ErrorCode
  reason: string
}

/** Result of {@link validateEnvelope}. */
export type ValidationResult = ValidEnvelope | InvalidEnvelope

/**
 * The ring's counts, slots and scopes: what costs no point decoding, checked before the proof of work.
 * The members' points are decoded only after it (ringProblem), so an envelope without proof of work
 * costs a verifier hashes, not curve operations.
 */
function ringScopes (ring: RingAuth, topic: string, post: Post, content: Uint8Array, options: ValidateOptions, now: bigint): RingScope {
  if (ring.ring.length < 1) throw new ProtocolError('ERR_BAD_RING', 'ring must have at least one member')
  if (ring.s.length !== ring.ring.length) throw new ProtocolError('ERR_BAD_RING', `ring has ${ring.ring.length} members but ${ring.s.length} responses`)
  // the id, the signed context and the proof-of-work digest hash these lists without lengths: were sizes
  // free, bytes moved between neighbours would keep the id and the proof of work in new envelopes
  if (![ring.c0, ...ring.ring, ...ring.s, ...ring.tags].every((element) => element.byteLength === ID_BYTES)) {
    throw new ProtocolError('ERR_BAD_RING', `ring members, c0, responses and link tags must each be ${ID_BYTES} bytes`)
  }
  const expected = ringScopeOf(topic, post, ring.slot, ring.weekSlot, content, options)
  if (ring.epoch !== expected.epoch) {
    throw new ProtocolError('ERR_BAD_SCOPE', `ring epoch ${ring.epoch} does not match created (expected ${expected.epoch})`)
  }
  if (ring.tags.length !== expected.scopes.length) {
    throw new ProtocolError('ERR_BAD_SCOPE', `a ring-signed ${post.kind} carries ${expected.scopes.length} link tags, got ${ring.tags.length}`)
  }
  if (options.epochWindow !== undefined && !inEpochWindow(ring.epoch, now, options.epochWindow)) {
    throw new ProtocolError('ERR_STALE_EPOCH', `ring epoch ${ring.epoch} is ${epochDistance(ring.epoch, now)} epochs from now's (${options.epochWindow} accepted here)`)
  }
  return expected
}

/** What the checks before any curve operation established of an envelope. */
interface Prechecked {
  envelope: Envelope
  post: Post
  /** The ring's scopes, primary first (ring-signed envelopes only). */
  scopes?: RingScope
  id: Uint8Array
}

/**
 * Every check of {@link validateEnvelope} before the curve operations: bytes, fields, time, ring counts, proof
 * of work. `decoded`: decodeEnvelope's result for these very bytes, when the caller has it.
 */
function precheckOrThrow (bytes: Uint8Array, options: ValidateOptions, decoded?: Envelope): Prechecked {
  const { topic } = options
  if (typeof topic !== 'string') throw new ProtocolError('ERR_WRONG_TOPIC', 'topic must be a string')
  const envelope = decoded ?? decodeEnvelope(bytes)
  if ((envelope.oneTime === undefined) === (envelope.ring === undefined)) {
    throw new ProtocolError('ERR_BAD_AUTH', 'exactly one of one_time and ring must be set')
  }

  let postBytes: Uint8Array = envelope.post
  if (isCircleTopic(topic)) {
    if (envelope.ring === undefined) throw new ProtocolError('ERR_BAD_AUTH', 'circle posts must be ring-signed')
    if (options.circleKey === undefined) throw new ProtocolError('ERR_SEALED', 'sealed circle post and no circle key')
    postBytes = openCirclePost(options.circleKey, topic, postBytes)
  }
  const post = decodePost(postBytes)
  checkPostFields(post)
  checkPadding(post, postBytes.byteLength)
  // checkPostFields has validated the channel name
  if (topicOfValidChannel(post.channel) !== topic) {
    throw new ProtocolError('ERR_WRONG_TOPIC', `post of channel ${post.channel} arrived on topic ${topic}`)
  }

  const now = BigInt(options.now ?? Math.floor(Date.now() / 1000))
  // the window every path accepts (time-window.ts); what a node passes on is narrower (forwardableAt)
  const late = timeRefusal(post, now)
  if (late === 'ERR_TOO_EARLY') throw new ProtocolError(late, `created ${post.created - now} s in the future`)
  if (late === 'ERR_EXPIRED') throw new ProtocolError(late, `expired ${now - post.created - BigInt(post.ttl)} s ago`)
  if (envelope.oneTime !== undefined && post.thread.byteLength !== 0) {
    throw new ProtocolError('ERR_BAD_FIELD', 'a one-time-signed REPLY carries no thread (only a ring signature links a thread)')
  }
  const content = contentDigest(topic, envelope.post)
  const scopes = envelope.ring === undefined ? undefined : ringScopes(envelope.ring, topic, post, content, options, now)

  const id = postId(content, authBinding(envelope))
  const ringSize = envelope.ring?.ring.length ?? 0
  const bits = requiredPowBits(post.kind, ringSize, options.powBits)
  const paid = leadingZeroBits(powHash(powDigest(id, envelope), envelope.pow))
  if (paid < bits) {
    const floor = Math.min(bits, requiredPowBits(post.kind, ringSize, options.powFloor ?? powFloorBits(options.powBits)))
    if (paid < floor) throw new ProtocolError('ERR_POW_TOO_LOW', `proof of work below ${floor} bits`)
    throw new ProtocolError('ERR_POW_POLICY', `proof of work of ${paid} bits, below the ${bits} required here`)
  }
  return { envelope, post, scopes, id }
}

function validateOrThrow (bytes: Uint8Array, options: ValidateOptions, decoded?: Envelope): ValidEnvelope {
  const { envelope, post, scopes, id } = precheckOrThrow(bytes, options, decoded)
  let auth: AuthInfo
  if (envelope.oneTime !== undefined) {
    const { publicKey, signature } = envelope.oneTime
    if (!verifyOneTime(id, publicKey, signature)) throw new ProtocolError('ERR_BAD_SIGNATURE', 'Ed25519 signature does not verify')
    auth = { kind: 'one-time', publicKey }
  } else {
    const ring = envelope.ring!
    const problem = ringProblem(ring.ring)
    if (problem !== undefined) throw new ProtocolError('ERR_BAD_RING', problem)
    if (!verifyOverCheckedRing({ message: id, ring: ring.ring, scopes: scopes!.scopes, c0: ring.c0, s: ring.s, tags: ring.tags })) {
      throw new ProtocolError('ERR_BAD_SIGNATURE', 'ring signature does not verify')
    }
    const all = scopes!.scopes.map((scope, j) => ({ scope, tag: ring.tags[j]! }))
    const links = all.slice(0, scopes!.limits)
    auth = { kind: 'ring', ring: ring.ring, tag: links[0]!.tag, scope: links[0]!.scope, links, epoch: ring.epoch, slot: ring.slot, weekSlot: ring.weekSlot }
    if (all.length > links.length) auth.thread = all[links.length]
  }
  return { ok: true, id, post, auth, pow: envelope.pow }
}

/**
 * Runs the full validation pipeline of docs/PROTOCOL.md, cheapest check first: size cap, decode, canonical
 * re-encode, field limits, padding, topic/channel agreement, time window, ring counts, slots and epoch,
 * proof of work (over the id and the signature, with its ring term or the unverified extra; below the floor Reject, below only a
 * stricter local setting Ignore), ring members, signature. Never throws: every failure is `{ ok: false, code, reason }`
 * with a stable code. Link-tag bookkeeping (a tag seen twice in one scope) is the caller's: it gets
 * `auth.links` (every limit scope and tag; `auth.scope`/`auth.tag` are the first), and `auth.thread`, the
 * signer's thread pseudonym, which limits nothing. `decoded`: what {@link decodeEnvelope} returned for these
 * very bytes, when the caller decoded them already (a node decodes each message once for all its checks);
 * never an envelope decoded from other bytes, as the verdict is taken for these bytes'.
 *
 * @example
 * ```ts
 * const result = validateEnvelope(bytes, { topic: 'murmur/2/#lobby' })
 * if (result.ok) console.log(result.post.body)
 * else console.log(result.code, ERROR_ACTIONS[result.code])
 * ```
 */
export function validateEnvelope (bytes: Uint8Array, options: ValidateOptions, decoded?: Envelope): ValidationResult {
  return judged(() => validateOrThrow(bytes, options, decoded))
}

/** Result of {@link precheckEnvelope}: the envelope passed every check before the signature's (`id`: its post id), or why not. */
export type PrecheckResult = { ok: true, id: Uint8Array } | InvalidEnvelope

/**
 * The checks of {@link validateEnvelope} that cost no curve operation — size, decode, canonical form, fields,
 * padding, topic, time window, ring counts, slots and epoch, proof of work — by the same code, with the same
 * codes. A verification pool runs it on the caller's thread before queueing a job: an envelope that did not
 * pay its proof of work (or is out of its time window) never takes a worker's turn. `ok` is no verdict:
 * only validateEnvelope's signature check makes an envelope valid. `decoded`: as in validateEnvelope.
 *
 * @example
 * ```ts
 * const cheap = precheckEnvelope(bytes, { topic: 'murmur/2/#lobby' })
 * if (!cheap.ok) console.log(cheap.code) // no signature checked
 * ```
 */
export function precheckEnvelope (bytes: Uint8Array, options: ValidateOptions, decoded?: Envelope): PrecheckResult {
  return judged(() => ({ ok: true as const, id: precheckOrThrow(bytes, options, decoded).id }))
}

/** A check's result, or its failure as an {@link InvalidEnvelope} with a stable code. */
function judged<T> (check: () => T): T | InvalidEnvelope {
  try {
    return check()
  } catch (err) {
    rethrowNotReady(err)
    if (err instanceof ProtocolError) return { ok: false, code: err.code, reason: err.message }
    return { ok: false, code: 'ERR_MALFORMED', reason: err instanceof Error ? err.message : String(err) }
  }
}
