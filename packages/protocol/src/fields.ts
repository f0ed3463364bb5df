import { utf8 } from './bytes.js'
import { validateChannel } from './channel.js'
import { CREATED_GRANULARITY, ID_BYTES, MAX_BODY_BYTES, MAX_TTL, MIN_TTL, SALT_BYTES } from './constants.js'
import { ProtocolError } from './errors.js'
import { Post } from './wire/murmur.js'

/** The kind of a post as a plain string. */
export type PostKind = `${Post.Kind}`

const KINDS: ReadonlySet<string> = new Set([Post.Kind.POST, Post.Kind.REPLY, Post.Kind.VOTE])

const bad = (message: string): ProtocolError => new ProtocolError('ERR_BAD_FIELD', message)

/**
 * Checks the field limits of a decoded or to-be-encoded Post (DESIGN §5): channel, kind, parent, body,
 * vote, ttl, created, salt and thread (a REPLY's only, 32 bytes), then created on its grid (a multiple of CREATED_GRANULARITY). Throws a ProtocolError (ERR_BAD_CHANNEL,
 * ERR_BODY_TOO_LONG, ERR_BAD_FIELD or ERR_BAD_CREATED).
 *
 * @example
 * ```ts
 * checkPostFields(decodePost(envelope.post))
 * ```
 */
export function checkPostFields (post: Post): void {
  validateChannel(post.channel)
  if (!KINDS.has(post.kind)) throw bad(`unknown post kind ${String(post.kind)}`)
  if (post.kind === Post.Kind.POST) {
    if (post.parent.byteLength !== 0) throw bad('a POST has no parent')
  } else if (post.parent.byteLength !== ID_BYTES) {
    throw bad(`a ${post.kind} needs a ${ID_BYTES}-byte parent id`)
  }
  const bodyBytes = utf8(post.body).byteLength
  if (bodyBytes > MAX_BODY_BYTES) {
    throw new ProtocolError('ERR_BODY_TOO_LONG', `body is ${bodyBytes} bytes, at most ${MAX_BODY_BYTES} allowed`)
  }
  if (post.kind === Post.Kind.VOTE) {
    if (post.body !== '') throw bad('a VOTE has no body')
    if (post.vote !== 1 && post.vote !== -1) throw bad('a VOTE must be +1 or -1')
  } else if (post.vote !== 0) {
    throw bad(`a ${post.kind} carries no vote`)
  }
  if (!Number.isInteger(post.ttl) || post.ttl < MIN_TTL || post.ttl > MAX_TTL) {
    throw bad(`ttl must be ${MIN_TTL}..${MAX_TTL} seconds, got ${post.ttl}`)
  }
  if (typeof post.created !== 'bigint' || post.created < 0n || post.created > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw bad('created must be unix seconds, at most 2^53 - 1')
  }
  if (post.salt.byteLength !== SALT_BYTES) throw bad(`salt must be ${SALT_BYTES} bytes, got ${post.salt.byteLength}`)
  // whether a REPLY must carry it depends on its auth: ringScopeOf asks it of a ring-signed one
  if (post.thread.byteLength !== 0) {
    if (post.kind !== Post.Kind.REPLY) throw bad(`a ${post.kind} carries no thread`)
    if (post.thread.byteLength !== ID_BYTES) throw bad(`thread must be ${ID_BYTES} bytes, got ${post.thread.byteLength}`)
  }
  if (post.created % BigInt(CREATED_GRANULARITY) !== 0n) {
    throw new ProtocolError('ERR_BAD_CREATED', `created must be a multiple of ${CREATED_GRANULARITY} s (builders round it), got ${post.created}`)
  }
}
