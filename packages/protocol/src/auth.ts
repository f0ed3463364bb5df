import { EPOCH_SECONDS, POSTS_PER_EPOCH } from './constants.js'
import { ProtocolError } from './errors.js'
import { postScope, voteScope } from './scope.js'
import { Post } from './wire/murmur.js'

/** The (epoch, slot) a ring signature of this post must carry, and its scope. */
export interface RingScope {
  epoch: bigint
  slot: number
  scope: Uint8Array
}

/**
 * The link-tag scope of a ring-signed post: POST and REPLY link per (topic, epoch of `created`, slot),
 * VOTE per parent with epoch 0 and slot 0. Throws ERR_BAD_SCOPE on a slot outside 0..K-1.
 *
 * @example
 * ```ts
 * const { epoch, slot, scope } = ringScopeOf(topic, post, 3)
 * ```
 */
export function ringScopeOf (topic: string, post: Post, slot: number, postsPerEpoch = POSTS_PER_EPOCH): RingScope {
  if (post.kind === Post.Kind.VOTE) {
    if (slot !== 0) throw new ProtocolError('ERR_BAD_SCOPE', 'a ring-signed VOTE uses slot 0')
    return { epoch: 0n, slot: 0, scope: voteScope(post.parent) }
  }
  if (!Number.isInteger(slot) || slot < 0 || slot >= postsPerEpoch) {
    throw new ProtocolError('ERR_BAD_SCOPE', `slot must be 0..${postsPerEpoch - 1}, got ${slot}`)
  }
  const epoch = post.created / BigInt(EPOCH_SECONDS)
  return { epoch, slot, scope: postScope(topic, epoch, slot) }
}
