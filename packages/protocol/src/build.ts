import { channelTopic, circleChannel, isCircleChannel } from './channel.js'
import { CREATED_GRANULARITY, DEFAULT_TTL, POSTS_PER_EPOCH, POSTS_PER_WEEK, SALT_BYTES } from './constants.js'
import { ProtocolError } from './errors.js'
import { equalBytes, plainBytes } from './bytes.js'
import { encodeEnvelope, encodePost } from './codec.js'
import { checkPostFields } from './fields.js'
import { authBinding, contentDigest, postId, powDigest } from './digest.js'
import { minePow, requiredPowBits } from './pow.js'
import type { PowProgress } from './pow.js'
import { oneTimeKey, signOneTime } from './one-time.js'
import { ringSignWithRandom } from './ring.js'
import type { RandomSource } from './ring.js'
import { linkTag, ringScopeOf } from './auth.js'
import type { RingLimits } from './auth.js'
import { sealWithRandom } from './circle.js'
import { padPost } from './padding.js'
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
   * Rate-limit slot of a POST or REPLY in its hour, 0..K-1 (VOTE always uses 0).
   *
   * @default a random slot not in `usedSlots`
   */
  slot?: number
  /** Slots of this hour this member has already used in this channel; the random pick avoids them. */
  usedSlots?: Iterable<number>
  /**
   * Rate-limit slot of a POST or REPLY in its week, 0..W-1 (VOTE always uses 0).
   *
   * @default a random week slot not in `usedWeekSlots`
   */
  weekSlot?: number
  /** Week slots this member has already used in this channel; the random pick avoids them. */
  usedWeekSlots?: Iterable<number>
}

/** What to build. */
export interface BuildEnvelopeOptions {
  /** Channel name: `#name`, `geo:<geohash>` or `circle:<hex>`. */
  channel: string
  /** @default 'POST' */
  kind?: PostKind
  /** 32-byte id of the post replied to or voted on (REPLY, VOTE). */
  parent?: Uint8Array
  /** Text of a POST or REPLY, at most 2048 UTF-8 bytes. @default '' */
  body?: string
  /** +1 or -1 for a VOTE. */
  vote?: 1 | -1
  /**
   * Unix seconds, rounded down to a multiple of CREATED_GRANULARITY (60).
   *
   * @default now minus a uniform 0..59 s (at most a tenth of `ttl`), rounded down: it does not time the post
   */
  created?: number
  /** Lifetime in seconds, 60..604800. @default DEFAULT_TTL (86400) */
  ttl?: number
  /** @default { kind: 'one-time' } with a fresh key */
  auth?: OneTimeAuthOptions | RingAuthOptions
  /** 32-byte circle key; required for `circle:` channels, whose posts are sealed. */
  circleKey?: Uint8Array
  /** Base proof-of-work difficulty in leading zero bits; a ring adds its term (`ringPowBits`). @default DEFAULT_POW_BITS[kind] */
  powBits?: number
  /** Cancels proof-of-work mining. */
  signal?: AbortSignal
  /** Progress of proof-of-work mining. */
  onProgress?: (progress: PowProgress) => void
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

/** A slot of 0..limit-1 chosen at random among those not used, so a post's slot does not count its author's posts. */
function pickSlot (name: string, limit: number, used: Iterable<number> | undefined, random: RandomSource): number {
  const taken = new Set(used ?? [])
  const free: number[] = []
  for (let slot = 0; slot < limit; slot++) if (!taken.has(slot)) free.push(slot)
  if (free.length === 0) throw new ProtocolError('ERR_BAD_SCOPE', `every ${name} is used: this member has reached the rate limit`)
  return free[uniform(free.length, random)]!
}

/**
 * `created` on the grid. Unless given, now minus a uniform jitter of up to a minute (a tenth of the ttl for
 * short-lived posts, so that rounding never eats a post's life), rounded down: it tells neither the
 * second nor the minute of posting, and it is never ahead of the author's clock.
 */
function createdOf (created: number | undefined, ttl: number, random: RandomSource): bigint {
  const jitter = Number.isInteger(ttl) && ttl >= 10 ? Math.min(CREATED_GRANULARITY, Math.floor(ttl / 10)) : 1
  const seconds = created ?? Math.floor(Date.now() / 1000) - uniform(jitter, random)
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new ProtocolError('ERR_BAD_FIELD', 'created must be unix seconds, at most 2^53 - 1')
  return BigInt(seconds - (seconds % CREATED_GRANULARITY))
}

/**
 * {@link buildEnvelope} with an injected source for every random choice (hedging of ring and seal
 * nonces, slots, the jitter of `created`). Not exported from the package: only the test vectors, which
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
    created: createdOf(options.created, options.ttl ?? DEFAULT_TTL, random),
    ttl: options.ttl ?? DEFAULT_TTL,
    padding: new Uint8Array(0),
    salt: plainBytes(random(SALT_BYTES))
  }
  checkPostFields(bare)
  const post = padPost(bare)
  const topic = channelTopic(post.channel)
  const auth = options.auth ?? { kind: 'one-time' }

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
    const vote = kind === Post.Kind.VOTE
    const slot = vote ? 0 : auth.slot ?? pickSlot('slot of this hour', auth.postsPerEpoch ?? POSTS_PER_EPOCH, auth.usedSlots, random)
    const weekSlot = vote ? 0 : auth.weekSlot ?? pickSlot('slot of this week', auth.postsPerWeek ?? POSTS_PER_WEEK, auth.usedWeekSlots, random)
    const scope = ringScopeOf(topic, post, slot, weekSlot, auth)
    const tags = scope.scopes.map((s) => linkTag(auth.secretKey, s))
    const ringAuth = { ring: auth.ring.map(plainBytes), c0: new Uint8Array(0), s: [], tags: tags.map(plainBytes), epoch: scope.epoch, slot, weekSlot }
    id = postId(content, authBinding({ ring: ringAuth }))
    const sig = ringSignWithRandom({ message: id, ring: auth.ring, secretKey: auth.secretKey, scopes: scope.scopes }, random)
    if (!sig.tags.every((tag, j) => equalBytes(tag, tags[j]!))) throw new Error('ring signature tags differ from the bound link tags')
    envelope.ring = { ...ringAuth, c0: plainBytes(sig.c0), s: sig.s.map(plainBytes) }
  }
  const bits = requiredPowBits(options.kind ?? 'POST', envelope.ring?.ring.length ?? 0, options.powBits === undefined ? {} : { [options.kind ?? 'POST']: options.powBits })
  // mined last, over the id and the signature: the nonce pays for this one envelope
  envelope.pow = await minePow(powDigest(id, envelope), bits, { signal: options.signal, onProgress: options.onProgress })
  return { bytes: encodeEnvelope(envelope), id, post, topic }
}

/**
 * Builds, signs and mines a POST, REPLY or VOTE envelope: `created` on the minute grid, the Post padded to
 * its size bucket, the id bound to the signer, ring slots picked at random among the free ones. Throws a
 * ProtocolError on input the network would reject (ERR_BAD_CHANNEL, ERR_BODY_TOO_LONG, ERR_BAD_FIELD,
 * ERR_BAD_SCOPE, ERR_BAD_AUTH) and an AbortError when `signal` aborts mining.
 *
 * @example
 * ```ts
 * const { bytes, id } = await buildEnvelope({ channel: '#lobby', body: 'hello', powBits: 16 })
 * ```
 */
export async function buildEnvelope (options: BuildEnvelopeOptions): Promise<BuiltEnvelope> {
  return await buildEnvelopeWith(options, randomBytes)
}
