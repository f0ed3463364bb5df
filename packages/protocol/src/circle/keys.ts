import { circleChannel, topicOfValidChannel } from '../channel.js'
import { concatBytes, isBytes, toHex, u32be, utf8 } from '../bytes.js'
import { TOPIC_PREFIX } from '../constants.js'
import { randomBytes, sodium } from '../sodium.js'

/** Byte length of a circle secret. */
export const CIRCLE_SECRET_BYTES = 32
/** Highest generation a circle can rotate to (u32 on the wire). */
export const MAX_CIRCLE_GENERATION = 0xffff_ffff
/** Prefix of every circle gossip topic of circle format 1: `murmur/2/circle1/<32 hex>`. */
export const CIRCLE_TOPIC_PREFIX = `${TOPIC_PREFIX}circle1/`

/** Everything a member derives from a circle secret and its generation; see {@link deriveCircleKeys}. */
export interface CircleKeys {
  /** The generation (0 at creation, +1 at each rotation) these keys belong to. */
  generation: number
  /** The owner's ring key: part of every derivation, so an invite naming another owner opens another (empty) circle. */
  owner: Uint8Array
  /** XChaCha20-Poly1305 key of the outer frame (what relays carry). */
  sealKey: Uint8Array
  /**
   * The circle's topic string, `murmur/2/circle1/` + 32 hex digits, unrelated to any name or key: the
   * associated data of its frames' seal (a frame opens only as this circle's). Frames travel on the shared
   * CIRCLE_SHARED_TOPIC; a node that chose to gossip a circle on a topic of its own would use this one.
   */
  topic: string
  /**
   * Key of the protocol v2 envelope inside the frame (its `circleKey`): the inner envelope's channel is
   * `circleChannel(postKey)` and its topic the scope of every link tag, so tags are per circle and generation.
   */
  postKey: Uint8Array
  /** The inner envelope's channel, `circle:<32 hex>` (never seen outside the frame). */
  channel: string
  /** The inner envelope's topic, `murmur/2/circle/<32 hex>`: the topic of its digests and link-tag scopes. */
  innerTopic: string
  /** Key of roster digests (keyed BLAKE2b): members compare rosters without a public hash of member keys. */
  rosterKey: Uint8Array
}

const LABEL = (label: string): Uint8Array => utf8(`murmur/v2/circle/${label}`)
const SEAL = LABEL('seal')
const POST = LABEL('post')
const TOPIC = LABEL('topic')
const ROSTER = LABEL('roster')

/** `BLAKE2b-len(key = secret, "murmur/v2/circle/<label>" || u32be(generation) || owner)`. */
function derive (secret: Uint8Array, label: Uint8Array, generation: number, owner: Uint8Array, length = 32): Uint8Array {
  return sodium.crypto_generichash(length, concatBytes([label, u32be(generation), owner]), secret)
}

function checkSecret (secret: Uint8Array, generation: number, owner: Uint8Array): void {
  if (!isBytes(secret, CIRCLE_SECRET_BYTES)) throw new TypeError(`expected a ${CIRCLE_SECRET_BYTES}-byte circle secret`)
  if (!isBytes(owner, 32)) throw new TypeError('expected the owner\'s 32-byte ring key')
  if (!Number.isInteger(generation) || generation < 0 || generation > MAX_CIRCLE_GENERATION) {
    throw new RangeError(`expected a circle generation in 0..${MAX_CIRCLE_GENERATION}, got ${generation}`)
  }
}

/**
 * A fresh circle secret: 32 bytes from libsodium's CSPRNG (at creation and at every rotation, never
 * derived from the previous one, so a removed member who kept the old secret learns nothing of the new).
 *
 * @example
 * ```ts
 * const keys = deriveCircleKeys(generateCircleSecret(), 0, me.ring.publicKey)
 * ```
 */
export function generateCircleSecret (): Uint8Array {
  return randomBytes(CIRCLE_SECRET_BYTES)
}

/**
 * The keys and topic of a circle generation. Every value is a keyed BLAKE2b of the secret under its own
 * domain string (`murmur/v2/circle/seal|post|topic|roster`), the generation and the owner's ring key, so
 * they are independent of each other, the topic reveals nothing of the keys (an outsider cannot map a
 * topic to a circle's name, nor two generations' topics to one circle), and every member agrees on the
 * owner: an invite that names another owner derives another circle, where nothing is posted, instead of
 * one where a false owner's rotations are followed. Throws a TypeError or RangeError on bad input.
 *
 * @example
 * ```ts
 * const keys = deriveCircleKeys(invite.secret, invite.generation, invite.owner)
 * keys.topic // 'murmur/2/circle1/9c0f…' (32 hex digits)
 * ```
 */
export function deriveCircleKeys (secret: Uint8Array, generation: number, owner: Uint8Array): CircleKeys {
  checkSecret(secret, generation, owner)
  const postKey = derive(secret, POST, generation, owner)
  const channel = circleChannel(postKey)
  return {
    generation,
    owner: owner.slice(),
    sealKey: derive(secret, SEAL, generation, owner),
    topic: `${CIRCLE_TOPIC_PREFIX}${toHex(derive(secret, TOPIC, generation, owner, 16))}`,
    postKey,
    channel,
    innerTopic: topicOfValidChannel(channel),
    rosterKey: derive(secret, ROSTER, generation, owner)
  }
}

/**
 * Whether a gossip topic is a circle topic of circle format 1 (its messages are circle frames).
 *
 * @example
 * ```ts
 * isCircleFrameTopic(keys.topic) // true
 * ```
 */
export function isCircleFrameTopic (topic: string): boolean {
  return typeof topic === 'string' && topic.startsWith(CIRCLE_TOPIC_PREFIX) && /^[0-9a-f]{32}$/.test(topic.slice(CIRCLE_TOPIC_PREFIX.length))
}
