/**
 * The posts and replies this daemon made for its user (through `POST /v1/posts` and `/v1/replies`),
 * so that `murmur watch --mine` can tell replies and votes on them: `GET /v1/mine` lists their ids.
 * Kept in memory only, for the daemon's run: a list of one's own post ids on disk would tie the user
 * to those posts should the device be taken, and nothing of it is ever sent or asked of a peer.
 */
import { MAX_TTL } from '@murmur/protocol'
import type { JsonRoute } from './routes.js'
import type { Murmur } from '@murmur/node'

/** Most own ids kept per daemon: past it the oldest are forgotten. */
export const MAX_OWN_POSTS = 10_000

/** Own post ids by node → until when (unix seconds) they can be replied to: at most MAX_TTL after they were made. */
const OWN = new WeakMap<Murmur, Map<string, number>>()

/**
 * Records the result of an own post or reply (its `id`) and returns it.
 *
 * @example
 * ```ts
 * return rememberOwn(node, await node.post(channel, text, options))
 * ```
 */
export function rememberOwn<T extends { id: string }> (node: Murmur, result: T): T {
  const own = OWN.get(node) ?? new Map<string, number>()
  OWN.set(node, own)
  own.set(result.id, Math.floor(Date.now() / 1000) + MAX_TTL)
  for (const id of own.keys()) {
    if (own.size <= MAX_OWN_POSTS) break
    own.delete(id)
  }
  return result
}

/** The ids of the node's own posts and replies that may still be answered, oldest first. */
export function ownIds (node: Murmur): string[] {
  const own = OWN.get(node)
  if (own === undefined) return []
  const now = Math.floor(Date.now() / 1000)
  for (const [id, until] of own) {
    if (until <= now) own.delete(id)
  }
  return [...own.keys()]
}

/** `GET /v1/mine`: `{ ids }`, the own posts and replies made through this daemon since it started. */
export const OWN_ROUTES: Record<string, JsonRoute> = {
  'GET /mine': async ({ node }) => ({ ids: ownIds(node) })
}
