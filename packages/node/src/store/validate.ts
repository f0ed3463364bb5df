import { isWellFormed } from './bytes.js'
import { ID_BYTES } from '@murmur/protocol'
import { InvalidPostError } from './errors.js'
import type { StoredPost } from './types.js'

/** Throw an {@link InvalidPostError} unless `value` is a 32-byte id. */
export function assertId (value: unknown, label: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.byteLength !== ID_BYTES) {
    const got = value instanceof Uint8Array ? `${value.byteLength} bytes` : typeof value
    throw new InvalidPostError(`expected ${label} of ${ID_BYTES} bytes, got ${got}`)
  }
}

/** Throw an {@link InvalidPostError} unless `value` is a non-negative safe integer (unix seconds). */
export function assertTime (value: unknown, label: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidPostError(`expected ${label} as non-negative integer unix seconds, got ${String(value)}`)
  }
}

/** Throw an {@link InvalidPostError} unless `value` is a string that survives UTF-8 unchanged. */
export function assertText (value: unknown, label: string): asserts value is string {
  if (typeof value !== 'string' || !isWellFormed(value)) {
    throw new InvalidPostError(`expected ${label} as a well-formed string`)
  }
}

function assertBytes (value: unknown, label: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidPostError(`expected ${label} as a Uint8Array, got ${typeof value}`)
  }
}

/**
 * Check that a post keeps the store's contract, so that what is written can always be read back
 * and indexed: the fields the kind needs are there, the ones it must not have are absent.
 */
export function assertStoredPost (post: StoredPost): void {
  assertId(post.id, 'id')
  assertText(post.channel, 'channel')
  if (post.from !== undefined) assertText(post.from, 'from')
  assertText(post.body, 'body')
  assertTime(post.created, 'created')
  assertTime(post.expires, 'expires')
  if (post.expires < post.created) {
    throw new InvalidPostError(`expected expires >= created, got ${post.expires} < ${post.created}`)
  }
  assertBytes(post.envelope, 'envelope')
  if (post.authorKey !== undefined) assertBytes(post.authorKey, 'authorKey')

  switch (post.kind) {
    case 'POST':
      if (post.parent !== undefined) throw new InvalidPostError('expected no parent on a POST')
      break
    case 'REPLY':
    case 'VOTE':
      assertId(post.parent, `parent of a ${post.kind}`)
      break
    default:
      throw new InvalidPostError(`expected kind POST, REPLY or VOTE, got ${String(post.kind)}`)
  }
  if (post.kind === 'REPLY') {
    if (post.root !== undefined) assertId(post.root, 'root of a REPLY')
  } else if (post.root !== undefined) {
    throw new InvalidPostError(`expected no root on a ${post.kind}`)
  }
  const voteOk = post.kind === 'VOTE' ? post.vote === 1 || post.vote === -1 : post.vote === 0
  if (!voteOk) {
    throw new InvalidPostError(`expected vote ${post.kind === 'VOTE' ? '+1 or -1' : '0'} on a ${post.kind}, got ${String(post.vote)}`)
  }

  if ((post.scope === undefined) !== (post.tag === undefined)) {
    throw new InvalidPostError('expected scope and tag together or neither')
  }
  if (post.scope !== undefined) assertBytes(post.scope, 'scope')
  if (post.tag !== undefined) assertId(post.tag, 'tag')
  if (post.links !== undefined) {
    if (!Array.isArray(post.links) || post.scope === undefined || post.tag === undefined) {
      throw new InvalidPostError('expected links as an array, with the primary scope and tag')
    }
    for (const link of post.links) {
      assertBytes(link?.scope, 'scope of a link')
      assertId(link.tag, 'tag of a link')
    }
  }
}
