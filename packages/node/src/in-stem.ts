/**
 * The node's own posts that are still in their stem. Until a post comes back from the network, only its
 * author holds it outside the stem, so anything that hands posts out (history sync) must skip it — or a
 * peer syncing with us would get it from its author before it reaches gossip.
 */
import { toHex } from '@murmur/protocol'

/**
 * Own posts on their way through the stem, each until it comes back from the network or expires.
 *
 * @example
 * ```ts
 * const inStem = new InStem()
 * inStem.add(id, expires)      // after posting
 * inStem.has(id)               // true: do not serve it through sync
 * inStem.arrived(id)           // it came back through gossip
 * ```
 */
export class InStem {
  private readonly posts = new Map<string, number>()

  /** Records an own post sent into the stem; `expires` in unix seconds. */
  add (id: Uint8Array, expires: number): void {
    const now = Date.now() / 1000
    for (const [key, at] of this.posts) {
      if (at <= now) this.posts.delete(key)
    }
    this.posts.set(toHex(id), expires)
  }

  /** The post came back from the network: it may be handed out now. */
  arrived (id: Uint8Array): void {
    this.posts.delete(toHex(id))
  }

  /** Whether a post is an own post that has not come back yet. */
  has (id: Uint8Array): boolean {
    const key = toHex(id)
    const expires = this.posts.get(key)
    if (expires !== undefined && expires <= Date.now() / 1000) {
      this.posts.delete(key)
      return false
    }
    return expires !== undefined
  }
}
