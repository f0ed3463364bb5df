import { copyBytes, fromUtf8, readU64, utf8, viewOf, writeU64 } from './bytes.js'
import { CorruptRecordError } from './errors.js'
import type { StoredPost, StoredPostKind } from './types.js'

/**
 * Binary value format of a stored post (the id is the key, so it is not repeated):
 *
 * ```
 * u8 version (1) | u8 kind | u8 flags | i32 vote | u64 created | u64 expires
 * | bytes channel | bytes body | [bytes parent] | [bytes root] | [bytes authorKey] | [bytes scope] | [bytes tag]
 * | bytes envelope
 * ```
 *
 * All integers are big-endian; `bytes` is a u32 length then the bytes (strings as UTF-8); a field in
 * brackets is present when its bit is set in `flags`. Hand-rolled rather than JSON so the envelope
 * and keys round-trip byte for byte without a base64 detour.
 */
const VERSION = 1
const HEADER_BYTES = 1 + 1 + 1 + 4 + 8 + 8
const KINDS: readonly StoredPostKind[] = ['POST', 'REPLY', 'VOTE']
const OPTIONAL_FIELDS = ['parent', 'root', 'authorKey', 'scope', 'tag'] as const

/** Encode a post (already checked by `assertStoredPost`) as its database value. */
export function encodePost (post: StoredPost): Uint8Array {
  const fields: Uint8Array[] = [utf8(post.channel), utf8(post.body)]
  let flags = 0
  OPTIONAL_FIELDS.forEach((name, bit) => {
    const value = post[name]
    if (value !== undefined) {
      flags |= 1 << bit
      fields.push(value)
    }
  })
  fields.push(post.envelope)

  let length = HEADER_BYTES
  for (const field of fields) length += 4 + field.byteLength
  const out = new Uint8Array(length)
  const view = viewOf(out)
  out[0] = VERSION
  out[1] = KINDS.indexOf(post.kind)
  out[2] = flags
  view.setInt32(3, post.vote)
  writeU64(view, 7, post.created)
  writeU64(view, 15, post.expires)
  let offset = HEADER_BYTES
  for (const field of fields) {
    view.setUint32(offset, field.byteLength)
    out.set(field, offset + 4)
    offset += 4 + field.byteLength
  }
  return out
}

/** Decode a database value written by {@link encodePost}; byte fields are fresh copies. */
export function decodePost (id: Uint8Array, value: Uint8Array): StoredPost {
  const view = viewOf(value)
  let offset = HEADER_BYTES
  const next = (): Uint8Array => {
    if (offset + 4 > value.byteLength) throw corrupt(id, 'truncated field length')
    const length = view.getUint32(offset)
    const end = offset + 4 + length
    if (end > value.byteLength) throw corrupt(id, 'truncated field')
    const field = copyBytes(value, offset + 4, end)
    offset = end
    return field
  }
  const text = (bytes: Uint8Array): string => {
    try {
      return fromUtf8(bytes)
    } catch {
      throw corrupt(id, 'malformed UTF-8')
    }
  }

  const { kind, flags, created, expires } = decodeHeader(id, value)
  const post: StoredPost = {
    id: copyBytes(id),
    channel: '',
    kind,
    body: '',
    vote: view.getInt32(3),
    created,
    expires,
    envelope: new Uint8Array(0)
  }
  post.channel = text(next())
  post.body = text(next())
  OPTIONAL_FIELDS.forEach((name, bit) => {
    if ((flags & (1 << bit)) !== 0) post[name] = next()
  })
  post.envelope = next()
  if (offset !== value.byteLength) throw corrupt(id, 'trailing bytes')
  return post
}

/** What the fixed header of a stored post's value says, read without decoding (or copying) its fields. */
export interface PostHeader {
  kind: StoredPostKind
  /** which optional fields follow (bit i: OPTIONAL_FIELDS[i]) */
  flags: number
  created: number
  expires: number
}

/** Decode the fixed header of a value written by {@link encodePost}. */
export function decodeHeader (id: Uint8Array, value: Uint8Array): PostHeader {
  if (value.byteLength < HEADER_BYTES || value[0] !== VERSION) throw corrupt(id, 'unknown format')
  const kind = KINDS[value[1] ?? -1]
  const flags = value[2] ?? 0
  if (kind === undefined || flags >> OPTIONAL_FIELDS.length !== 0) throw corrupt(id, 'bad header')
  const view = viewOf(value)
  return { kind, flags, created: readU64(view, 7), expires: readU64(view, 15) }
}

/** Live tallies kept per post id: the score and the counts that contribute to it. */
export interface Tally {
  /** sum of live counted votes (members' votes; one-time-signed ones count for nothing) */
  score: number
  /** number of live counted votes: upvotes are `(votes + score) / 2`, downvotes `(votes − score) / 2` */
  votes: number
  /** number of live replies counted towards this post */
  replies: number
}

const TALLY_BYTES = 12

/** Encode a tally as its 12-byte database value. */
export function encodeTally (tally: Tally): Uint8Array {
  const out = new Uint8Array(TALLY_BYTES)
  const view = viewOf(out)
  view.setInt32(0, tally.score)
  view.setInt32(4, tally.votes)
  view.setInt32(8, tally.replies)
  return out
}

/** Decode a tally written by {@link encodeTally}. */
export function decodeTally (id: Uint8Array, value: Uint8Array): Tally {
  if (value.byteLength !== TALLY_BYTES) throw corrupt(id, 'bad tally')
  const view = viewOf(value)
  return { score: view.getInt32(0), votes: view.getInt32(4), replies: view.getInt32(8) }
}

function corrupt (id: Uint8Array, reason: string): CorruptRecordError {
  return new CorruptRecordError(`stored record of ${id.byteLength}-byte id is corrupt: ${reason}`)
}
