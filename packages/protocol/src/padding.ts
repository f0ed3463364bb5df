import { POST_SIZE_BUCKETS } from './constants.js'
import { ProtocolError } from './errors.js'
import { Post } from './wire/murmur.js'

/** Bytes of the varint length prefix of a `length`-byte field. */
const varintBytes = (length: number): number => length < 0x80 ? 1 : length < 0x4000 ? 2 : 3

/** Encoded size of the padding field holding `length` zero bytes (absent when 0: proto3 default). */
const paddingFieldBytes = (length: number): number => length === 0 ? 0 : 1 + varintBytes(length) + length

/**
 * How many zero bytes of padding a Post whose encoding without padding is `unpadded` bytes carries:
 * the encoding is brought to exactly the smallest bucket of POST_SIZE_BUCKETS it can reach (a gap of 1, 2
 * or 130 bytes cannot be filled by one protobuf field, so such a post takes the next bucket). Above the
 * largest bucket, none.
 *
 * @example
 * ```ts
 * paddingLength(200) // 53: 200 + 1 (tag) + 1 (length) + 53 = 256
 * ```
 */
export function paddingLength (unpadded: number): number {
  for (const bucket of POST_SIZE_BUCKETS) {
    const gap = bucket - unpadded
    if (gap === 0) return 0
    if (gap < 3) continue
    for (let length = gap - 2; length >= gap - 4 && length > 0; length--) {
      if (paddingFieldBytes(length) === gap) return length
    }
  }
  return 0
}

/**
 * The same Post with its canonical padding (any padding it had is replaced).
 *
 * @example
 * ```ts
 * encodePost(padPost(post)).byteLength // 256, 512, 1024 or 2560
 * ```
 */
export function padPost (post: Post): Post {
  const bare = { ...post, padding: new Uint8Array(0) }
  return { ...bare, padding: new Uint8Array(paddingLength(Post.encode(bare).byteLength)) }
}

/**
 * Checks that a decoded Post whose canonical encoding is `encodedBytes` long carries exactly its
 * canonical padding, all zero. Throws ProtocolError ERR_BAD_PADDING.
 *
 * @example
 * ```ts
 * checkPadding(post, postBytes.byteLength)
 * ```
 */
export function checkPadding (post: Post, encodedBytes: number): void {
  const padding = post.padding
  const expected = paddingLength(encodedBytes - paddingFieldBytes(padding.byteLength))
  if (padding.byteLength !== expected) {
    throw new ProtocolError('ERR_BAD_PADDING', `post carries ${padding.byteLength} bytes of padding, ${expected} expected`)
  }
  if (padding.some((byte) => byte !== 0)) throw new ProtocolError('ERR_BAD_PADDING', 'padding bytes must be zero')
}
