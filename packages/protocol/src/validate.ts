import { isCircleTopic, topicOfValidChannel } from './channel.js'
import { DEFAULT_POW_BITS, MAX_CLOCK_SKEW, POSTS_PER_EPOCH } from './constants.js'
import { ProtocolError } from './errors.js'
import type { ErrorCode } from './errors.js'
import { decodeEnvelope, decodePost } from './codec.js'
import { checkPostFields } from './fields.js'
import type { PostKind } from './fields.js'
import { signedDigest } from './digest.js'
import { checkPow } from './pow.js'
import { verifyOneTime } from './one-time.js'
import { ringProblem, verifyOverCheckedRing } from './ring.js'
import { ringScopeOf } from './auth.js'
import { openCirclePost } from './circle.js'
import type { Post, RingAuth } from './wire/murmur.js'

/** What the validator needs to know besides the bytes. */
export interface ValidateOptions {
  /** The gossipsub topic the envelope arrived on. */
  topic: string
  /** Unix seconds. @default Math.floor(Date.now() / 1000) */
  now?: number
  /** Required proof-of-work bits per kind. @default DEFAULT_POW_BITS */
  powBits?: Partial<Record<PostKind, number>>
  /** K, ring-signed posts per member per epoch. @default POSTS_PER_EPOCH (10) */
  postsPerEpoch?: number
  /** Circle key, to open sealed posts of a circle topic. */
  circleKey?: Uint8Array
}

/** How a valid envelope was authenticated. */
export type AuthInfo =
  | { kind: 'one-time', publicKey: Uint8Array }
  | { kind: 'ring', ring: Uint8Array[], tag: Uint8Array, scope: Uint8Array, epoch: bigint, slot: number }

/** A valid envelope. */
export interface ValidEnvelope {
  ok: true
  /** Post id (= signed digest). */
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

function checkRing (ring: RingAuth, topic: string, post: Post, id: Uint8Array, postsPerEpoch: number): AuthInfo {
  const problem = ringProblem(ring.ring)
  if (problem !== undefined) throw new ProtocolError('ERR_BAD_RING', problem)
  if (ring.s.length !== ring.ring.length) throw new ProtocolError('ERR_BAD_RING', `ring has ${ring.ring.length} members but ${ring.s.length} responses`)
  const expected = ringScopeOf(topic, post, ring.slot, postsPerEpoch)
  if (ring.epoch !== expected.epoch) {
    throw new ProtocolError('ERR_BAD_SCOPE', `ring epoch ${ring.epoch} does not match created (expected ${expected.epoch})`)
  }
  if (!verifyOverCheckedRing({ message: id, ring: ring.ring, scopes: [expected.scope], c0: ring.c0, s: ring.s, tags: [ring.tag] })) {
    throw new ProtocolError('ERR_BAD_SIGNATURE', 'ring signature does not verify')
  }
  return { kind: 'ring', ring: ring.ring, tag: ring.tag, scope: expected.scope, epoch: expected.epoch, slot: expected.slot }
}

function validateOrThrow (bytes: Uint8Array, options: ValidateOptions): ValidEnvelope {
  const { topic } = options
  if (typeof topic !== 'string') throw new ProtocolError('ERR_WRONG_TOPIC', 'topic must be a string')
  const envelope = decodeEnvelope(bytes)
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
  // checkPostFields has validated the channel name
  if (topicOfValidChannel(post.channel) !== topic) {
    throw new ProtocolError('ERR_WRONG_TOPIC', `post of channel ${post.channel} arrived on topic ${topic}`)
  }

  const now = BigInt(options.now ?? Math.floor(Date.now() / 1000))
  if (post.created > now + BigInt(MAX_CLOCK_SKEW)) {
    throw new ProtocolError('ERR_TOO_EARLY', `created ${post.created - now} s in the future`)
  }
  if (isExpired(post, now)) {
    throw new ProtocolError('ERR_EXPIRED', `expired ${now - post.created - BigInt(post.ttl)} s ago`)
  }

  const id = signedDigest(topic, envelope.post)
  const bits = options.powBits?.[post.kind] ?? DEFAULT_POW_BITS[post.kind]
  if (!checkPow(id, envelope.pow, bits)) {
    throw new ProtocolError('ERR_POW_TOO_LOW', `proof of work below ${bits} bits`)
  }

  let auth: AuthInfo
  if (envelope.oneTime !== undefined) {
    const { publicKey, signature } = envelope.oneTime
    if (!verifyOneTime(id, publicKey, signature)) throw new ProtocolError('ERR_BAD_SIGNATURE', 'Ed25519 signature does not verify')
    auth = { kind: 'one-time', publicKey }
  } else {
    auth = checkRing(envelope.ring!, topic, post, id, options.postsPerEpoch ?? POSTS_PER_EPOCH)
  }
  return { ok: true, id, post, auth, pow: envelope.pow }
}

/**
 * Runs the full validation pipeline of docs/PROTOCOL.md, cheapest check first: size cap, decode, canonical
 * re-encode, field limits, topic/channel agreement, time window, proof of work, signature. Never throws:
 * every failure is `{ ok: false, code, reason }` with a stable code. Link-tag bookkeeping (a tag seen twice
 * in one scope) is the caller's: it gets `auth.scope` and `auth.tag`.
 *
 * @example
 * ```ts
 * const result = validateEnvelope(bytes, { topic: 'murmur/2/#lobby' })
 * if (result.ok) console.log(result.post.body)
 * else console.log(result.code, ERROR_ACTIONS[result.code])
 * ```
 */
export function validateEnvelope (bytes: Uint8Array, options: ValidateOptions): ValidationResult {
  try {
    return validateOrThrow(bytes, options)
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: err.code, reason: err.message }
    return { ok: false, code: 'ERR_MALFORMED', reason: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * Whether a post has expired at `now` (unix seconds): every node drops it once `now` is past
 * `created + ttl`. The validator refuses such posts with `ERR_EXPIRED`.
 *
 * @example
 * ```ts
 * isExpired(valid.post, BigInt(Math.floor(Date.now() / 1000))) // false while the post may still spread
 * ```
 */
export function isExpired (post: Pick<Post, 'created' | 'ttl'>, now: bigint): boolean {
  return now > post.created + BigInt(post.ttl)
}
