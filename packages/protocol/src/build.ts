import { channelTopic, circleChannel, isCircleChannel } from './channel.js'
import { CREATED_GRANULARITY, DEFAULT_TTL, EPOCH_SECONDS, SALT_BYTES, WEEK_SECONDS } from './constants.js'
import { ProtocolError } from './errors.js'
import { equalBytes, plainBytes } from './bytes.js'
import { encodeEnvelope, encodePost } from './codec.js'
import { checkPostFields } from './fields.js'
import { authBinding, contentDigest, postId, powDigest } from './digest.js'
import { checkPow, minePow, requiredPowBits } from './pow.js'
import type { MinePowOptions, PowProgress } from './pow.js'
import { oneTimeKey, signOneTime } from './one-time.js'
import { ringSignWithRandom } from './ring.js'
import type { RandomSource } from './ring.js'
import { linkTag, ringScopeOf } from './auth.js'
import type { RingLimits } from './auth.js'
import { sealWithRandom } from './circle.js'
import { padPost } from './padding.js'
import { ringSlots, voteSlot } from './slots.js'
import type { RingPeriod, RingSequence } from './slots.js'
import { randomBytes } from './sodium.js'
import { Post } from './wire/murmur.js'
import type { Envelope } from './wire/murmur.js'
import type { PostKind } from './fields.js'

/** Sign with an Ed25519 key used only for this post (or, with a pseudonym seed, for one thread). */
export interface OneTimeAuthOptions {
  kind: 'one-time'
  /**
   * 32-byte Ed25519 seed, or a function of the post's content digest (`contentDigest(topic, post)`, known
   * before signing) that returns one: a thread's first post is signed with its author's pseudonym of that
   * very thread, `(content) => pseudonymSeed(secret, content)`; replies get the same key from
   * `threadPseudonymSeed`. A fresh random key when omitted.
   */
  seed?: Uint8Array | ((content: Uint8Array) => Uint8Array)
}

/** Sign with a bLSAG ring signature over a set of member keys. */
export interface RingAuthOptions extends RingLimits {
  kind: 'ring'
  /** Member public keys, strictly ascending, including the signer's. */
  ring: Uint8Array[]
  /** The signer's author secret key (32-byte scalar). */
  secretKey: Uint8Array
  /**
   * The member's sequence numbers of this POST or REPLY in (channel, epoch) and (channel, week), from which
   * its slots follow through a secret per-member schedule (`ringSlots`): no two posts of one member collide
   * until K per hour or W per week are really used, and the (K+1)-th is refused with a RateLimitError. A
   * function is given the epoch and week of the post's `created` (chosen by the builder, jittered) and is
   * called once, before signing. The caller keeps one counter per (channel, epoch) and per (channel, week)
   * and must persist each increment before it publishes (write-ahead), and never hand a number out twice,
   * not even after an aborted build or a crash: a repeated number repeats a slot, which links the two posts
   * and gets the second refused everywhere. Required unless explicit slots are given (`slot` and
   * `weekSlot` for a POST or REPLY, `slot` for a VOTE). An object is accepted only with an explicit `created`: with the
   * builder's jitter the post may fall in the previous hour or week, whose counters the object does not
   * describe. One author key posting from two devices needs one set of counters. For a VOTE only `epoch`
   * is read, as the vote's sequence number: the votes of its direction this member cast before this one in
   * (channel, week of `created`), from which its budget slot follows (`voteSlot`); the (VOTE_BUDGET+1)-th
   * upvote or (DOWNVOTE_BUDGET+1)-th downvote of a week is refused with a RateLimitError, the same
   * write-ahead rule applies (a repeated number repeats a budget slot: every node keeps only one of the two
   * votes).
   */
  sequence?: RingSequence | ((period: RingPeriod) => RingSequence)
  /**
   * An explicit rate-limit slot of the hour instead of the schedule, 0..K-1 (a VOTE's budget slot of the
   * week: 0..VOTE_BUDGET-1 for an upvote, 0..DOWNVOTE_BUDGET-1 for a downvote): for replaying a recorded post. The caller then owns collisions (two posts with one
   * slot link their author; of two votes in one slot every node keeps one).
   */
  slot?: number
  /** An explicit rate-limit slot of the week, 0..W-1, instead of the schedule; as `slot`. A VOTE's is 0. */
  weekSlot?: number
}

/**
 * Mines a proof of work as {@link minePow} does, with the same arguments and result: the smallest nonce
 * whose hash over `digest` has `bits` leading zero bits, an AbortError when `options.signal` aborts. A
 * node passes one that runs on a worker, so that its own posts' hashing (and the garbage it leaves) is
 * not done in the event loop that sends them.
 */
export type PowMiner = (digest: Uint8Array, bits: number, options: MinePowOptions) => Promise<bigint>

/** What to build. */
export interface BuildEnvelopeOptions {
  /** Channel name: `#name`, `geo:<geohash>` or `circle:<hex>`. */
  channel: string
  /** @default 'POST' */
  kind?: PostKind
  /** 32-byte id of the post replied to or voted on (REPLY, VOTE). */
  parent?: Uint8Array
  /**
   * The thread a ring-signed REPLY names, 32 bytes (`memberThread`: the root's content digest when the
   * signer wrote the root, else the root's id): required
   * for a ring-signed REPLY (its thread pseudonym is scoped to it), refused on any other post.
   */
  thread?: Uint8Array
  /** Text of a POST or REPLY, at most 2048 UTF-8 bytes. @default '' */
  body?: string
  /** +1 or -1 for a VOTE. */
  vote?: 1 | -1
  /**
   * Unix seconds, rounded down to a multiple of CREATED_GRANULARITY (60).
   *
   * @default now minus a uniform 0..59 s, rounded down: it does not time the post
   */
  created?: number
  /**
   * Unix seconds the default `created` is jittered back from and rounded down (a test clock, or a node's
   * own); ignored when `created` is given.
   *
   * @default Date.now() / 1000
   */
  now?: number
  /** Lifetime in seconds, MIN_TTL..MAX_TTL (3600..604800). @default DEFAULT_TTL (86400) */
  ttl?: number
  /** @default { kind: 'one-time' } with a fresh key */
  auth?: OneTimeAuthOptions | RingAuthOptions
  /** 32-byte circle key; required for `circle:` channels, whose posts are sealed. */
  circleKey?: Uint8Array
  /**
   * Base proof-of-work difficulty in leading zero bits; a ring adds its term (`ringPowBits`), a one-time POST
   * or REPLY UNVERIFIED_EXTRA_BITS (`requiredPowBits`). @default DEFAULT_POW_BITS[kind]
   */
  powBits?: number
  /** Cancels proof-of-work mining. */
  signal?: AbortSignal
  /** Progress of proof-of-work mining. */
  onProgress?: (progress: PowProgress) => void
  /**
   * What mines the proof of work (a worker pool's, say); its nonce is checked in one hash, and one that
   * falls short throws a ProtocolError (ERR_POW_TOO_LOW).
   *
   * @default minePow, in this thread
   */
  miner?: PowMiner
}

/** A built envelope, ready to publish. */
export interface BuiltEnvelope {
  /** Canonical envelope bytes. */
  bytes: Uint8Array
  /** The post id (what is signed, bound to the signer; the proof of work is over it and the signature). */
  id: Uint8Array
  /** The post as signed (padded). */
  post: Post
  /** The gossipsub topic it belongs to. */
  topic: string
}

/** A uniform integer in 0..bound-1 from a random source (rejection sampling, no modulo bias). */
function uniform (bound: number, random: RandomSource): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound
  for (;;) {
    const bytes = random(4)
    const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
    if (value < limit) return value % bound
  }
}

/**
 * The slots of a ring post: explicit ones, else from the member's schedule (never a default that collides):
 * a POST or REPLY's hour and week slots (`ringSlots`), a VOTE's budget slot of its direction (`voteSlot`)
 * and week slot 0.
 */
function ringSlotsOf (auth: RingAuthOptions, kind: Post.Kind, topic: string, created: bigint, explicitCreated: boolean, direction: number): { slot: number, weekSlot: number } {
  const vote = kind === Post.Kind.VOTE
  if (auth.slot !== undefined && (vote || auth.weekSlot !== undefined)) return { slot: auth.slot, weekSlot: vote ? auth.weekSlot ?? 0 : auth.weekSlot! }
  if (auth.sequence === undefined) {
    throw new TypeError(`a ring-signed ${kind} needs the member's sequence numbers (auth.sequence) or explicit slots`)
  }
  if (typeof auth.sequence !== 'function' && !explicitCreated) {
    throw new TypeError('auth.sequence as an object needs an explicit created (the jitter may move the post into the previous hour); pass a function of the period instead')
  }
  const period = { epoch: created / BigInt(EPOCH_SECONDS), week: created / BigInt(WEEK_SECONDS) }
  const sequence = typeof auth.sequence === 'function' ? auth.sequence(period) : auth.sequence
  if (vote) return { slot: voteSlot(auth.secretKey, topic, created, sequence.epoch, auth, direction === -1 ? -1 : 1), weekSlot: auth.weekSlot ?? 0 }
  const scheduled = ringSlots(auth.secretKey, topic, created, sequence, auth)
  return { slot: auth.slot ?? scheduled.slot, weekSlot: auth.weekSlot ?? scheduled.weekSlot }
}

/**
 * `created` on the grid. Unless given, `now` minus a uniform jitter of up to a minute, rounded down: it
 * tells neither the second nor the minute of posting, and it is never ahead of the author's clock.
 */
function createdOf (created: number | undefined, now: number, random: RandomSource): bigint {
  const seconds = created ?? Math.floor(now) - uniform(CREATED_GRANULARITY, random)
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new ProtocolError('ERR_BAD_FIELD', 'created must be unix seconds, at most 2^53 - 1')
  return BigInt(seconds - (seconds % CREATED_GRANULARITY))
}

/**
 * {@link buildEnvelope} with an injected source for every random choice (hedging of ring and seal
 * nonces, the salt, the jitter of `created`). Not exported from the package: only the test vectors, which
 * must be reproducible, use it. One-time keys without a seed are always fresh from the CSPRNG.
 */
export async function buildEnvelopeWith (options: BuildEnvelopeOptions, random: RandomSource): Promise<BuiltEnvelope> {
  const kind = Post.Kind[options.kind ?? 'POST']
  const bare: Post = {
    channel: options.channel,
    kind,
    parent: plainBytes(options.parent ?? new Uint8Array(0)),
    body: options.body ?? '',
    vote: options.vote ?? 0,
    created: createdOf(options.created, options.now ?? Date.now() / 1000, random),
    ttl: options.ttl ?? DEFAULT_TTL,
    padding: new Uint8Array(0),
    salt: plainBytes(random(SALT_BYTES)),
    thread: plainBytes(options.thread ?? new Uint8Array(0))
  }
  checkPostFields(bare)
  const post = padPost(bare)
  const topic = channelTopic(post.channel)
  const auth = options.auth ?? { kind: 'one-time' }
  if (auth.kind !== 'ring' && options.thread !== undefined) {
    throw new ProtocolError('ERR_BAD_FIELD', 'a one-time-signed REPLY carries no thread (only a ring signature links a thread)')
  }

  let postBytes = encodePost(post)
  if (isCircleChannel(post.channel)) {
    if (options.circleKey === undefined || circleChannel(options.circleKey) !== post.channel) {
      throw new ProtocolError('ERR_BAD_AUTH', 'a circle post needs the circle key of its channel')
    }
    if (auth.kind !== 'ring') throw new ProtocolError('ERR_BAD_AUTH', 'a circle post must be ring-signed by its members')
    postBytes = sealWithRandom(options.circleKey, topic, postBytes, random)
  }
  const content = contentDigest(topic, postBytes)

  const envelope: Envelope = { post: plainBytes(postBytes), pow: 0n }
  let id: Uint8Array
  if (auth.kind === 'one-time') {
    const key = oneTimeKey(typeof auth.seed === 'function' ? auth.seed(content) : auth.seed)
    id = postId(content, authBinding({ oneTime: key }))
    envelope.oneTime = { publicKey: plainBytes(key.publicKey), signature: plainBytes(signOneTime(id, key.secretKey)) }
  } else {
    const { slot, weekSlot } = ringSlotsOf(auth, kind, topic, post.created, options.created !== undefined, post.vote)
    const scope = ringScopeOf(topic, post, slot, weekSlot, content, auth)
    const tags = scope.scopes.map((s) => linkTag(auth.secretKey, s))
    const ringAuth = { ring: auth.ring.map(plainBytes), c0: new Uint8Array(0), s: [], tags: tags.map(plainBytes), epoch: scope.epoch, slot, weekSlot }
    id = postId(content, authBinding({ ring: ringAuth }))
    const sig = ringSignWithRandom({ message: id, ring: auth.ring, secretKey: auth.secretKey, scopes: scope.scopes }, random)
    if (!sig.tags.every((tag, j) => equalBytes(tag, tags[j]!))) throw new Error('ring signature tags differ from the bound link tags')
    envelope.ring = { ...ringAuth, c0: plainBytes(sig.c0), s: sig.s.map(plainBytes) }
  }
  const bits = requiredPowBits(options.kind ?? 'POST', envelope.ring?.ring.length ?? 0, options.powBits === undefined ? {} : { [options.kind ?? 'POST']: options.powBits })
  // mined last, over the id and the signature: the nonce pays for this one envelope
  const digest = powDigest(id, envelope)
  envelope.pow = await (options.miner ?? minePow)(digest, bits, { signal: options.signal, onProgress: options.onProgress })
  // an injected miner's nonce is checked: the in-thread minePow's is right by construction
  if (options.miner !== undefined && !checkPow(digest, envelope.pow, bits)) throw new ProtocolError('ERR_POW_TOO_LOW', `the miner's nonce does not meet ${bits} bits of proof of work`)
  return { bytes: encodeEnvelope(envelope), id, post, topic }
}

/**
 * Builds, signs and mines a POST, REPLY or VOTE envelope: `created` on the minute grid, the Post padded to
 * its size bucket, the id bound to the signer, ring slots from the member's secret schedule (`ringSlots`).
 * Throws a ProtocolError on input the network would reject (ERR_BAD_CHANNEL, ERR_BODY_TOO_LONG, ERR_BAD_FIELD,
 * ERR_BAD_SCOPE, ERR_BAD_AUTH; ERR_POW_TOO_LOW when an injected `miner` returns a nonce short of the
 * difficulty), a RateLimitError (ERR_RATE_LIMITED) when a ring member has used its K slots of the hour or W
 * of the week in the channel (VOTE_BUDGET votes of the week), and an AbortError when `signal` aborts mining.
 *
 * @example
 * ```ts
 * const { bytes, id } = await buildEnvelope({ channel: '#lobby', body: 'hello', powBits: 16 })
 * // a ring post: the counters of (channel, epoch) and (channel, week) are persisted before publishing
 * await buildEnvelope({ channel: '#lobby', body: 'hi', auth: { kind: 'ring', ring, secretKey, sequence: (p) => counters.take(p) } })
 * // mined on a worker: a pool's minePow has the same signature
 * await buildEnvelope({ channel: '#lobby', body: 'hi', miner: pool.minePow })
 * ```
 */
export async function buildEnvelope (options: BuildEnvelopeOptions): Promise<BuiltEnvelope> {
  return await buildEnvelopeWith(options, randomBytes)
}
