import { reader } from 'protons-runtime'
import { Envelope, Post } from './wire/murmur.js'
import { MAX_ENVELOPE_BYTES, MAX_RING_SIZE } from './constants.js'
import { MAX_LINK_TAGS } from './ring.js'
import { ProtocolError } from './errors.js'
import { equalBytes } from './bytes.js'

export { Envelope, Post, OneTimeAuth, RingAuth } from './wire/murmur.js'

/** protons decode limits of an Envelope: every list of a ring at most its largest legal length. */
const ENVELOPE_LIMITS = { limits: { ring: { ring: MAX_RING_SIZE, s: MAX_RING_SIZE, tags: MAX_LINK_TAGS } } }

/**
 * Whether the top-level fields of `bytes` come in strictly increasing field order, each at most once, none
 * above `maxField` (bytes that do not parse are left to the decode): the shape of every canonical encoding, read in microseconds
 * without building a field. A copy stuffed with repeated fields (each a ring at the limits, of which a
 * decode keeps the last) is refused before protons builds every one of them.
 */
function fieldsOnceInOrder (bytes: Uint8Array, maxField: number): boolean {
  try {
    const read = reader(bytes)
    let last = 0
    while (read.pos < read.len) {
      const tag = read.uint32()
      const field = tag >>> 3
      if (field <= last || field > maxField) return false
      last = field
      read.skipType(tag & 7)
    }
    return true
  } catch {
    // bytes that do not parse: the decode says so (ERR_MALFORMED), after at most one of each field
    return true
  }
}

/** Envelope's last field number (`pow`). */
const ENVELOPE_FIELDS = 4

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
  if (!fieldsOnceInOrder(bytes, ENVELOPE_FIELDS)) {
    throw new ProtocolError('ERR_NOT_CANONICAL', 'envelope is not canonically encoded: its fields are not each once, in order')
  }
  return decodeCanonical('envelope', bytes, (b) => Envelope.decode(b, ENVELOPE_LIMITS), (v) => Envelope.encode(v))
}

/**
 * Decodes the canonical bytes of a Post. Throws ERR_MALFORMED or ERR_NOT_CANONICAL.
 *
 * @example
 * ```ts
 * const post = decodePost(envelope.post)
 * ```
 */
export function decodePost (bytes: Uint8Array): Post {
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
