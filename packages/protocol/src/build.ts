import { channelTopic, circleChannel, isCircleChannel } from './channel.js'
import { DEFAULT_POW_BITS, DEFAULT_TTL } from './constants.js'
import { ProtocolError } from './errors.js'
import { plainBytes } from './bytes.js'
import { encodeEnvelope, encodePost } from './codec.js'
import { checkPostFields } from './fields.js'
import { signedDigest } from './digest.js'
import { minePow } from './pow.js'
import type { PowProgress } from './pow.js'
import { oneTimeKey, signOneTime } from './one-time.js'
import { ringSign } from './ring.js'
import type { RandomSource } from './ring.js'
import { ringScopeOf } from './auth.js'
import { sealCirclePost } from './circle.js'
import { Post } from './wire/murmur.js'
import type { Envelope } from './wire/murmur.js'
import type { PostKind } from './fields.js'

/** Sign with an Ed25519 key used only for this post (or, with a pseudonym seed, for one thread). */
export interface OneTimeAuthOptions {
  kind: 'one-time'
  /**
   * 32-byte Ed25519 seed, or a function of the post id that returns one: a thread's first post is
   * signed with its author's pseudonym of that very thread, `(id) => pseudonymSeed(secret, id)`.
   * A fresh random key when omitted.
   */
  seed?: Uint8Array | ((id: Uint8Array) => Uint8Array)
}

/** Sign with a bLSAG ring signature over a set of member keys. */
export interface RingAuthOptions {
  kind: 'ring'
  /** Member public keys, strictly ascending, including the signer's. */
  ring: Uint8Array[]
  /** The signer's author secret key (32-byte scalar). */
  secretKey: Uint8Array
  /**
   * Rate-limit slot of a POST or REPLY in its epoch, 0..K-1 (VOTE always uses 0).
   *
   * @default 0
   */
  slot?: number
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
  /** Unix seconds. @default now */
  created?: number
  /** Lifetime in seconds, 60..604800. @default DEFAULT_TTL (86400) */
  ttl?: number
  /** @default { kind: 'one-time' } with a fresh key */
  auth?: OneTimeAuthOptions | RingAuthOptions
  /** 32-byte circle key; required for `circle:` channels, whose posts are sealed. */
  circleKey?: Uint8Array
  /** Proof-of-work difficulty in leading zero bits. @default DEFAULT_POW_BITS[kind] */
  powBits?: number
  /** Cancels proof-of-work mining. */
  signal?: AbortSignal
  /** Progress of proof-of-work mining. */
  onProgress?: (progress: PowProgress) => void
  /** Randomness for ring signatures and sealing; only for reproducible test vectors. */
  random?: RandomSource
}

/** A built envelope, ready to publish. */
export interface BuiltEnvelope {
  /** Canonical envelope bytes. */
  bytes: Uint8Array
  /** The post id (= signed digest). */
  id: Uint8Array
  /** The post as signed. */
  post: Post
  /** The gossipsub topic it belongs to. */
  topic: string
}

/**
 * Builds, signs and mines a POST, REPLY or VOTE envelope. Throws a ProtocolError on input the network
 * would reject (ERR_BAD_CHANNEL, ERR_BODY_TOO_LONG, ERR_BAD_FIELD, ERR_BAD_SCOPE, ERR_BAD_AUTH) and an
 * AbortError when `signal` aborts mining.
 *
 * @example
 * ```ts
 * const { bytes, id } = await buildEnvelope({ channel: '#lobby', body: 'hello', powBits: 16 })
 * ```
 */
export async function buildEnvelope (options: BuildEnvelopeOptions): Promise<BuiltEnvelope> {
  const kind = Post.Kind[options.kind ?? 'POST']
  const post: Post = {
    channel: options.channel,
    kind,
    parent: plainBytes(options.parent ?? new Uint8Array(0)),
    body: options.body ?? '',
    vote: options.vote ?? 0,
    created: BigInt(options.created ?? Math.floor(Date.now() / 1000)),
    ttl: options.ttl ?? DEFAULT_TTL
  }
  checkPostFields(post)
  const topic = channelTopic(post.channel)
  const auth = options.auth ?? { kind: 'one-time' }

  let postBytes = encodePost(post)
  if (isCircleChannel(post.channel)) {
    if (options.circleKey === undefined || circleChannel(options.circleKey) !== post.channel) {
      throw new ProtocolError('ERR_BAD_AUTH', 'a circle post needs the circle key of its channel')
    }
    if (auth.kind !== 'ring') throw new ProtocolError('ERR_BAD_AUTH', 'a circle post must be ring-signed by its members')
    postBytes = sealCirclePost(options.circleKey, topic, postBytes, options.random)
  }
  const id = signedDigest(topic, postBytes)

  const envelope: Envelope = { post: plainBytes(postBytes), pow: 0n }
  if (auth.kind === 'one-time') {
    const key = oneTimeKey(typeof auth.seed === 'function' ? auth.seed(id) : auth.seed)
    envelope.oneTime = { publicKey: plainBytes(key.publicKey), signature: plainBytes(signOneTime(id, key.secretKey)) }
  } else {
    const { epoch, slot, scope } = ringScopeOf(topic, post, kind === Post.Kind.VOTE ? 0 : auth.slot ?? 0)
    const sig = ringSign({ message: id, ring: auth.ring, secretKey: auth.secretKey, scope, random: options.random })
    envelope.ring = { ring: auth.ring.map(plainBytes), c0: plainBytes(sig.c0), s: sig.s.map(plainBytes), tag: plainBytes(sig.tag), epoch, slot }
  }
  envelope.pow = await minePow(id, options.powBits ?? DEFAULT_POW_BITS[kind], { signal: options.signal, onProgress: options.onProgress })
  return { bytes: encodeEnvelope(envelope), id, post, topic }
}
