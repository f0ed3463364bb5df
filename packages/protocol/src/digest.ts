import { u32be, u64be, utf8 } from './bytes.js'
import { MAX_ENVELOPE_BYTES } from './constants.js'
import { DOMAIN, sha256 } from './hash.js'
import { rethrowNotReady } from './sodium.js'
import { decodeEnvelope } from './codec.js'
import type { Envelope } from './codec.js'

const ZERO = new Uint8Array([0])
const ONE_TIME = new Uint8Array([0])
const RING = new Uint8Array([1])

/**
 * The content digest `c = SHA-256("murmur/v2/content" || topic || 0x00 || post)` of `Envelope.post`
 * exactly as sent (sealed bytes for circles). It says what was posted, not who signed it: two envelopes
 * with the same content signed by different keys are different posts (see {@link postId}).
 *
 * @example
 * ```ts
 * const c = contentDigest('murmur/2/#lobby', envelope.post)
 * ```
 */
export function contentDigest (topic: string, post: Uint8Array): Uint8Array {
  return sha256(DOMAIN.content, utf8(topic), ZERO, post)
}

/**
 * What binds a post id to its signer. One-time: `SHA-256("murmur/v2/auth" || 0x00 || public_key)`.
 * Ring: `SHA-256("murmur/v2/auth" || 0x01 || SHA-256(P_0 || … || P_{n-1}) || u64be(epoch) || u32be(slot)
 * || u32be(week_slot) || u32be(k) || I_1 || … || I_k)`: the member set, every link tag and the rate-limit
 * slots, so another member (or another ring) signing the same content makes another post.
 *
 * @example
 * ```ts
 * const binding = authBinding({ oneTime: { publicKey, signature } })
 * ```
 */
export function authBinding (auth: { oneTime?: { publicKey: Uint8Array }, ring?: { ring: Uint8Array[], tags: Uint8Array[], epoch: bigint, slot: number, weekSlot: number } }): Uint8Array {
  if (auth.oneTime !== undefined) return sha256(DOMAIN.auth, ONE_TIME, auth.oneTime.publicKey)
  if (auth.ring === undefined) throw new TypeError('expected a one-time or ring authentication')
  const { ring, tags, epoch, slot, weekSlot } = auth.ring
  return sha256(DOMAIN.auth, RING, sha256(...ring), u64be(epoch), u32be(slot), u32be(weekSlot), u32be(tags.length), ...tags)
}

/**
 * The post id `m = SHA-256("murmur/v2/id" || c || binding)`: what is signed and what replies and votes
 * name as their parent. A copy of a post re-signed by another key has another id (and, through
 * {@link powDigest}, needs its own proof of work).
 *
 * @example
 * ```ts
 * const id = postId(contentDigest(topic, envelope.post), authBinding(envelope))
 * ```
 */
export function postId (content: Uint8Array, binding: Uint8Array): Uint8Array {
  return sha256(DOMAIN.id, content, binding)
}

/**
 * What the proof of work is over: `w = SHA-256("murmur/v2/pow-input" || m || SHA-256(signature))`, the
 * signature being the one-time Ed25519 signature (64 bytes) or the ring's `c0 || s_0 || … || s_{n-1}`.
 * The id binds every other field of the envelope, so a nonce pays for one envelope: a flipped response
 * byte or a re-signature (fresh ring randomness) needs new work, and an envelope that is not what was
 * mined fails the proof of work in one hash, before any curve operation. Ed25519 is deterministic, so a
 * one-time post has exactly one envelope.
 *
 * @example
 * ```ts
 * checkPow(powDigest(id, envelope), envelope.pow, 16)
 * ```
 */
export function powDigest (id: Uint8Array, auth: { oneTime?: { signature: Uint8Array }, ring?: { c0: Uint8Array, s: Uint8Array[] } }): Uint8Array {
  if (auth.oneTime !== undefined) return sha256(DOMAIN.powInput, id, sha256(auth.oneTime.signature))
  if (auth.ring === undefined) throw new TypeError('expected a one-time or ring authentication')
  return sha256(DOMAIN.powInput, id, sha256(auth.ring.c0, ...auth.ring.s))
}

/**
 * The post id of raw envelope bytes, computed without verifying anything (three hashes), or undefined
 * when the bytes are not an envelope with exactly one authentication. Never throws. For a cheap
 * "already stored?" check before validation. `decoded`: what decodeEnvelope returned for these very
 * bytes, when the caller decoded them already (never an envelope of other bytes).
 *
 * @example
 * ```ts
 * const id = postIdOf(topic, data)
 * if (id !== undefined && await store.has(id)) return 'ignore'
 * ```
 */
export function postIdOf (topic: string, data: Uint8Array, decoded?: Envelope): Uint8Array | undefined {
  if (!(data instanceof Uint8Array) || data.byteLength > MAX_ENVELOPE_BYTES || typeof topic !== 'string') return undefined
  try {
    // canonical bytes only, as the validator reads them: a copy with junk fields in front of the genuine ones
    // (of which a plain decode keeps the last) or any other form has no post id, so no shortcut keyed by the
    // id (stored, held, refused) takes it, and it is refused and its sender penalised like any junk
    const envelope = decoded ?? decodeEnvelope(data)
    if ((envelope.oneTime === undefined) === (envelope.ring === undefined)) return undefined
    return postId(contentDigest(topic, envelope.post), authBinding(envelope))
  } catch (err) {
    rethrowNotReady(err)
    return undefined
  }
}

/**
 * The post id of raw message data ({@link postIdOf}), or `SHA-256("murmur/v2/data" || data)` when it is
 * not an envelope (a directory announcement, a circle frame; or junk the validator then rejects). Never
 * throws. Keys what is about one post whatever its wrapper: the stem's routing table, the store.
 * Gossipsub keys on {@link gossipMessageId} instead. The domain keeps the two kinds of id apart: a plain
 * SHA-256 of the data let any peer make data whose id is a post's (the bytes `"murmur/v2/id" || c || b`
 * hash to the post id `m`), and so take that post's place wherever ids are kept.
 *
 * @example
 * ```ts
 * const id = toHex(messageId(topic, frame.envelope))
 * ```
 */
export function messageId (topic: string, data: Uint8Array): Uint8Array {
  return postIdOf(topic, data) ?? sha256(DOMAIN.data, data instanceof Uint8Array ? data : new Uint8Array(0))
}

/**
 * The gossipsub message id: `SHA-256("murmur/v2/msg" || topic || 0x00 || data)`, over the whole
 * envelope. A broken copy of a post has another message id than the genuine one, so it cannot shadow it
 * in gossipsub's seen-cache; and since the proof of work covers the signature ({@link powDigest}), every
 * distinct envelope that passes it cost its maker a full proof of work: message ids cannot be multiplied
 * for free, and caching refusals by these ids is sound. A copy re-signed and re-mined by its own author
 * is a new message to gossip and a duplicate (same post id) to the store. Never throws.
 *
 * @example
 * ```ts
 * gossipsub({ msgIdFn: (msg) => gossipMessageId(msg.topic, msg.data) })
 * ```
 */
export function gossipMessageId (topic: string, data: Uint8Array): Uint8Array {
  return sha256(DOMAIN.msg, utf8(String(topic)), ZERO, data instanceof Uint8Array ? data : new Uint8Array(0))
}
