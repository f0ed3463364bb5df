/**
 * The table of posts a stem node holds under embargo, with the rule that keeps a flood from taking it
 * over: relayed posts are counted per sender address group (an IPv4 address, an IPv6 /48: PeerIds are
 * free, addresses are not), and a full table makes room at the expense of the group holding the most.
 */

/** What the table needs of a held post. */
export interface HeldEntry {
  id: string
  /** What a relayed post is charged to: the address group of the peer it came from. Own posts have none and are not counted. */
  group?: string
}

/**
 * Held posts by id. Own posts are not counted against `maxRelayed` (the outbox bounds them).
 *
 * @example
 * ```ts
 * const held = new HeldPosts<Held>(1024)
 * const evicted = held.makeRoom() // with the table full: the oldest post of the group holding the most
 * held.add(post)
 * ```
 */
export class HeldPosts<T extends HeldEntry> {
  private readonly maxRelayed: number
  private readonly posts = new Map<string, T>()
  /** Ids of held relayed posts per sender group, oldest first. */
  private readonly byGroup = new Map<string, Set<string>>()
  private relayed = 0

  constructor (maxRelayed: number) {
    this.maxRelayed = maxRelayed
  }

  /** Number of posts held, own ones included. */
  get size (): number {
    return this.posts.size
  }

  get (id: string): T | undefined {
    return this.posts.get(id)
  }

  has (id: string): boolean {
    return this.posts.has(id)
  }

  values (): IterableIterator<T> {
    return this.posts.values()
  }

  add (post: T): void {
    this.posts.set(post.id, post)
    if (post.group !== undefined) {
      let ids = this.byGroup.get(post.group)
      if (ids === undefined) {
        ids = new Set()
        this.byGroup.set(post.group, ids)
      }
      ids.add(post.id)
      this.relayed++
    }
  }

  /** Stops holding post `id`; the post that was held, if any. */
  remove (id: string): T | undefined {
    const post = this.posts.get(id)
    if (post === undefined) {
      return undefined
    }
    this.posts.delete(id)
    if (post.group !== undefined) {
      const ids = this.byGroup.get(post.group)
      ids?.delete(id)
      if (ids?.size === 0) this.byGroup.delete(post.group)
      this.relayed--
    }
    return post
  }

  /**
   * With the relayed posts at `maxRelayed`, removes and returns the oldest post of the sender group
   * holding the most, so that a flooder evicts its own posts first under however many PeerIds it sends
   * them; otherwise nothing. A group holding one post loses it only once every group holds one: to
   * push out an honest post, a flood needs as many address groups as the table has room.
   */
  makeRoom (): T | undefined {
    if (this.relayed < this.maxRelayed) {
      return undefined
    }
    let fullest: Set<string> | undefined
    for (const ids of this.byGroup.values()) {
      if (fullest === undefined || ids.size > fullest.size) fullest = ids
    }
    const oldest = fullest?.values().next().value
    return oldest === undefined ? undefined : this.remove(oldest)
  }

  clear (): void {
    this.posts.clear()
    this.byGroup.clear()
    this.relayed = 0
  }
}
