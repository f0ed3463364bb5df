import { reader } from 'protons-runtime'
import { Envelope, Post } from './wire/murmur.js'
import { MAX_ENVELOPE_BYTES, MAX_RING_SIZE } from './constants.js'
import { MAX_LINK_TAGS } from './ring.js'
import { ProtocolError } from './errors.js'
import type { ErrorCode } from './errors.js'
import { equalBytes } from './bytes.js'

export { Envelope, Post, OneTimeAuth, RingAuth } from './wire/murmur.js'

/** protons decode limits of an Envelope: every list of a ring at most its largest legal length. */
const ENVELOPE_LIMITS = { limits: { ring: { ring: MAX_RING_SIZE, s: MAX_RING_SIZE, tags: MAX_LINK_TAGS } } }

/**
 * The wire shape of a canonical message: per field number, its wire type, how many times it may occur in
 * a row (`max`, @default 1), its exact length when the protocol fixes one (`len`, bytes fields) and its
 * own shape (embedded messages).
 */
export type WireShape = Record<number, { wire: 0 | 2, max?: number, len?: number, shape?: WireShape }>
type Shape = WireShape

const ONE_TIME_SHAPE: Shape = { 1: { wire: 2 }, 2: { wire: 2 } }
// ring, s and tags counted as they are walked: a ring of 8,000 empty members stops at the 65th (ERR_BAD_RING)
const RING_SHAPE: Shape = {
  1: { wire: 2, max: MAX_RING_SIZE },
  2: { wire: 2 },
  3: { wire: 2, max: MAX_RING_SIZE },
  4: { wire: 2, max: MAX_LINK_TAGS },
  5: { wire: 0 },
  6: { wire: 0 },
  7: { wire: 0 }
}
const ENVELOPE_SHAPE: Shape = { 1: { wire: 2 }, 2: { wire: 2, shape: ONE_TIME_SHAPE }, 3: { wire: 2, shape: RING_SHAPE }, 4: { wire: 0 } }
// channel, kind, parent, body, vote, created, ttl, padding, salt, thread: each at most once, none repeated
const POST_SHAPE: Shape = { 1: { wire: 2 }, 2: { wire: 0 }, 3: { wire: 2 }, 4: { wire: 2 }, 5: { wire: 0 }, 6: { wire: 0 }, 7: { wire: 0 }, 8: { wire: 2 }, 9: { wire: 2 }, 10: { wire: 2 } }

/** Why bytes fail their wire shape; `too-many` is a list past its `max`, `malformed` includes a bytes field off its `len`. */
type ShapeProblem = 'not-canonical' | 'malformed' | 'too-many'

/**
 * What keeps `bytes` from having the wire shape of a canonical encoding of `shape`, read without building
 * a field: a field unknown or of another wire type, out of order, or repeated where it may not
 * (`not-canonical`); a list past its `max` (`too-many`, the walk stops at the first entry too many); bytes
 * that do not parse or a bytes field off its fixed `len` (`malformed`); undefined when the shape holds. A
 * copy stuffed with repeated fields (each a ring at the limits, of which a decode keeps the last; a million
 * empty list entries; 8,000 empty ring members) is refused before protons builds any of them, in a walk of
 * at most the sum of the `max`es.
 */
function shapeProblem (bytes: Uint8Array, shape: Shape): ShapeProblem | undefined {
  try {
    const read = reader(bytes)
    let last = 0
    let count = 0
    while (read.pos < read.len) {
      const tag = read.uint32()
      const field = tag >>> 3
      const spec = shape[field]
      if (spec === undefined || (tag & 7) !== spec.wire || field < last) return 'not-canonical'
      count = field === last ? count + 1 : 1
      if (count > (spec.max ?? 1)) return spec.max === undefined ? 'not-canonical' : 'too-many'
      last = field
      if (spec.wire === 0) {
        read.skipType(0)
        continue
      }
      const inner = read.bytes()
      if (spec.len !== undefined && inner.byteLength !== spec.len) return 'malformed'
      const problem = spec.shape === undefined ? undefined : shapeProblem(inner, spec.shape)
      if (problem !== undefined) return problem
    }
    return undefined
  } catch {
    return 'malformed'
  }
}

/**
 * Throws unless `bytes` have the wire shape of a canonical `what`: ERR_MALFORMED, ERR_NOT_CANONICAL, or
 * `tooMany` (@default ERR_MALFORMED, the code protons' own list limits gave) for a list past its `max`.
 * Run before protons decodes attacker bytes, whose repeated fields (of which a decode keeps the last),
 * empty list entries and nested groups cost far more to decode than a genuine message of the same size.
 *
 * @example
 * ```ts
 * checkShape('sync message', bytes, SYNC_MESSAGE_SHAPE)
 * ```
 */
export function checkShape (what: string, bytes: Uint8Array, shape: Shape, tooMany: ErrorCode = 'ERR_MALFORMED'): void {
  const problem = shapeProblem(bytes, shape)
  if (problem === 'malformed') throw new ProtocolError('ERR_MALFORMED', `${what} does not decode, or holds a field of the wrong length`)
  if (problem === 'too-many') throw new ProtocolError(tooMany, `${what} holds a list above its limit`)
  if (problem === 'not-canonical') {
    throw new ProtocolError('ERR_NOT_CANONICAL', `${what} is not canonically encoded: a field is unknown, of another wire type, out of order or repeated`)
  }
}

function decodeCanonical<T> (what: string, bytes: Uint8Array, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array): T {
  let value: T
  try {
    value = decode(bytes)
  } catch (err) {
    if (err instanceof Error && err.name === 'MaxLengthError') {
      throw new ProtocolError('ERR_BAD_RING', `${what} has a ring above ${MAX_RING_SIZE} members or above ${MAX_LINK_TAGS} link tags`)
    }
    throw new ProtocolError('ERR_MALFORMED', `${what} does not decode: ${err instanceof Error ? err.message : String(err)}`)
  }
  let again: Uint8Array
  try {
    again = encode(value)
  } catch {
    throw new ProtocolError('ERR_MALFORMED', `${what} holds values that cannot be encoded`)
  }
  if (!equalBytes(again, bytes)) {
    throw new ProtocolError('ERR_NOT_CANONICAL', `${what} is not canonically encoded`)
  }
  return value
}

/**
 * Decodes an envelope, enforcing the size cap, the ring-size limit and canonical encoding.
 * Throws a ProtocolError (ERR_TOO_LARGE, ERR_MALFORMED, ERR_NOT_CANONICAL, ERR_BAD_RING).
 *
 * @example
 * ```ts
 * const envelope = decodeEnvelope(bytes)
 * ```
 */
export function decodeEnvelope (bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError('ERR_MALFORMED', 'envelope must be a Uint8Array')
  }
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new ProtocolError('ERR_TOO_LARGE', `envelope is ${bytes.byteLength} bytes, at most ${MAX_ENVELOPE_BYTES} allowed`)
  }
  checkShape('envelope', bytes, ENVELOPE_SHAPE, 'ERR_BAD_RING')
  return decodeCanonical('envelope', bytes, (b) => Envelope.decode(b, ENVELOPE_LIMITS), (v) => Envelope.encode(v))
}

/**
 * Decodes the canonical bytes of a Post, its wire shape checked first (each field at most once, in
 * order, of its wire type), so a Post stuffed with repeated fields or nested groups costs no decode.
 * Throws ERR_MALFORMED or ERR_NOT_CANONICAL.
 *
 * @example
 * ```ts
 * const post = decodePost(envelope.post)
 * ```
 */
export function decodePost (bytes: Uint8Array): Post {
  checkShape('post', bytes, POST_SHAPE)
  return decodeCanonical('post', bytes, (b) => Post.decode(b), (v) => Post.encode(v))
}

/**
 * Canonical bytes of a Post.
 *
 * @example
 * ```ts
 * const bytes = encodePost(padPost({ channel: '#lobby', kind: Post.Kind.POST, parent: new Uint8Array(0), body: 'hi', vote: 0, created: 1700000040n, ttl: 3600, padding: new Uint8Array(0), salt: randomBytes(16), thread: new Uint8Array(0) }))
 * ```
 */
export function encodePost (post: Post): Uint8Array {
  return Post.encode(post)
}

/**
 * Canonical bytes of an Envelope.
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope({ post, oneTime: { publicKey, signature }, pow: 42n })
 * ```
 */
export function encodeEnvelope (envelope: Envelope): Uint8Array {
  return Envelope.encode(envelope)
}
