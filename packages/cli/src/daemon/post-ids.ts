/**
 * The daemon's side of id prefixes: which posts and replies it holds start with a prefix. It looks
 * through what the node's public reads show, the newest PREFIX_SCAN_POSTS posts of every joined
 * channel and the replies of those that have some: what `murmur feed` and `murmur thread` could print.
 */
import { MAX_PREFIX_MATCHES, PREFIX_SCAN_POSTS } from '../constants.js'
import { idsWithPrefix } from '../post-id.js'
import type { Murmur } from '@murmur/node'

/**
 * At most `limit` ids of the posts and replies `node` shows that start with `prefix` (lower-case hex).
 *
 * @example
 * ```ts
 * await postIdsWithPrefix(node, '9a9e') // ['9a9e01…']
 * ```
 */
export async function postIdsWithPrefix (node: Murmur, prefix: string, limit = MAX_PREFIX_MATCHES): Promise<string[]> {
  const found = new Set<string>()
  for (const channel of node.channels()) {
    const posts = await node.feed(channel, { limit: PREFIX_SCAN_POSTS })
    for (const id of idsWithPrefix(prefix, posts.map((post) => post.id))) found.add(id)
    for (const post of posts) {
      if (found.size >= limit) return [...found].slice(0, limit)
      if (post.replies === 0) continue
      const replies = await node.thread(post.id)
      for (const id of idsWithPrefix(prefix, replies.map((reply) => reply.id))) found.add(id)
    }
  }
  return [...found].slice(0, limit)
}
