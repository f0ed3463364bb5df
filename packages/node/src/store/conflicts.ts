import { compareBytes, equalBytes, toHex } from '@murmur/protocol'
import { concat, readU64, viewOf } from './bytes.js'
import { decodePost, encodePost } from './codec.js'
import { CONFLICT_RETAINED, TAG_RETENTION } from './constants.js'
import { claimKey, claimRange, linksValue, parseClaimKey, parseLinks, tagKey, timeKey, u64 } from './keys.js'
import type { Arrival } from './arrival.js'
import type { Index, Indexes } from './indexes.js'
import type { StoredPost } from './types.js'
import type { WritePlan } from './write-plan.js'

/** A link tag of a ring-signed post: its scope and the tag. */
export interface Link {
  scope: Uint8Array
  tag: Uint8Array
}

/** A retained envelope that lost its tag conflict: kept out of every index, ready to count again. */
export interface Shadowed {
  post: StoredPost
  encoded: Uint8Array
  arrival: Arrival
}

/** Where a tagged put ended: counted (`stored`), or shadowed or dropped behind a smaller id (`duplicate-tag`). */
export type Placement = 'stored' | 'duplicate-tag'

const EMPTY = new Uint8Array(0)

/**
 * The conflict records one write plan sees — the links of retained posts, the retained envelopes per
 * tag (claims) and the shadowed envelopes — read once from the database and then kept here with this
 * plan's changes, which go out through `put` and `del` in the plan's batch.
 */
export class ConflictRecords {
  private readonly indexes: Indexes
  private readonly put: (sublevel: Index, key: Uint8Array, value: Uint8Array) => void
  private readonly del: (sublevel: Index, key: Uint8Array) => void
  private readonly linkCache = new Map<string, Link[] | null>()
  private readonly claimCache = new Map<string, Uint8Array[]>()
  private readonly shadowCache = new Map<string, Shadowed | null>()

  constructor (indexes: Indexes, put: (sublevel: Index, key: Uint8Array, value: Uint8Array) => void, del: (sublevel: Index, key: Uint8Array) => void) {
    this.indexes = indexes
    this.put = put
    this.del = del
  }

  /** The links of a retained post, or undefined when it is not retained (untagged, dropped or gone). */
  async links (id: Uint8Array): Promise<Link[] | undefined> {
    const hex = toHex(id)
    let links = this.linkCache.get(hex)
    if (links === undefined) {
      const value = await this.indexes.links.get(id)
      links = value === undefined ? null : parseLinks(value)
      this.linkCache.set(hex, links)
    }
    return links ?? undefined
  }

  /** The retained envelopes carrying the tag `key` (a {@link tagKey}), ascending by id. */
  async claims (key: Uint8Array): Promise<Uint8Array[]> {
    const hex = toHex(key)
    let ids = this.claimCache.get(hex)
    if (ids === undefined) {
      ids = (await this.indexes.claims.keys(claimRange(key)).all()).map(parseClaimKey)
      this.claimCache.set(hex, ids)
    }
    return [...ids]
  }

  /** Retain `id` with these links: its links and a claim on each tag. */
  async retain (id: Uint8Array, links: Link[]): Promise<void> {
    this.linkCache.set(toHex(id), links)
    this.put(this.indexes.links, id, linksValue(links))
    for (const link of links) {
      const key = tagKey(link.scope, link.tag)
      const ids = await this.claims(key)
      ids.push(id)
      this.claimCache.set(toHex(key), ids.sort(compareBytes))
      this.put(this.indexes.claims, claimKey(key, id), EMPTY)
    }
  }

  /** Forget `id`: its links and its claims; `shadowed`: its shadowed envelope too, with the expiry entry that would sweep it. */
  async forget (id: Uint8Array, shadowed: boolean): Promise<void> {
    const links = await this.links(id)
    if (links !== undefined) {
      for (const link of links) {
        const key = tagKey(link.scope, link.tag)
        const ids = (await this.claims(key)).filter(claim => !equalBytes(claim, id))
        this.claimCache.set(toHex(key), ids)
        this.del(this.indexes.claims, claimKey(key, id))
      }
      this.linkCache.set(toHex(id), null)
      this.del(this.indexes.links, id)
    }
    const shadow = shadowed ? await this.shadow(id) : undefined
    if (shadow !== undefined) {
      this.del(this.indexes.expiry, timeKey(EMPTY, shadow.post.expires, id))
      this.unshadow(id)
    }
  }

  /** The shadowed envelope `id`, or undefined. */
  async shadow (id: Uint8Array): Promise<Shadowed | undefined> {
    const hex = toHex(id)
    let shadowed = this.shadowCache.get(hex)
    if (shadowed === undefined) {
      const value = await this.indexes.shadow.get(id)
      shadowed = value === undefined ? null : decodeShadow(id, value)
      this.shadowCache.set(hex, shadowed)
    }
    return shadowed ?? undefined
  }

  /**
   * Shadow a post as it arrived (a REPLY without the root a store resolves when it counts); `expiry` also
   * writes the expiry entry that sweeps it (a demoted post keeps its own).
   */
  shadowPost (given: StoredPost, arrival: Arrival, expiry: boolean): void {
    const post = { ...given }
    delete post.root
    const encoded = encodePost(post)
    this.shadowCache.set(toHex(post.id), { post, encoded, arrival })
    this.put(this.indexes.shadow, post.id, concat([u64(arrival.arrivalClass), u64(arrival.second), encoded]))
    if (expiry) this.put(this.indexes.expiry, timeKey(EMPTY, post.expires, post.id), EMPTY)
  }

  /** Take the shadowed envelope `id` out of the shadow (it counts again, or is dropped). */
  unshadow (id: Uint8Array): void {
    this.shadowCache.set(toHex(id), null)
    this.del(this.indexes.shadow, id)
  }
}

function decodeShadow (id: Uint8Array, value: Uint8Array): Shadowed {
  const view = viewOf(value)
  const encoded = value.subarray(16)
  return { post: decodePost(id, encoded), encoded: new Uint8Array(encoded), arrival: { arrivalClass: readU64(view, 0), second: readU64(view, 8) } }
}

/**
 * Place a ring-signed post among the envelopes that share its link tags, by the rule every node applies
 * (`resolveTagConflicts` of @murmur/protocol): in ascending id order, an envelope counts unless one of
 * its tags is held by a counted envelope with a smaller id. The store retains the losers it has seen
 * (shadowed: in no index, not served) so that when a later, smaller envelope takes a counted one out,
 * the envelopes that lost only to that one count again — which makes the counted set a function of the
 * envelopes seen, whatever their order, even when conflicts chain across tags (A and B share the hour's
 * tag, B and C the week's: A and C count). At most {@link CONFLICT_RETAINED} envelopes are retained per
 * tag, the smallest ids; a tag held by a post gone (expired or evicted) with a smaller id refuses the
 * newcomer outright, as it could never count.
 *
 * Only envelopes whose status changes are re-filed: a counted one taken out is removed as if it had never
 * arrived (`WritePlan.demote`: tallies, indexes, quota and threads follow) and shadowed; a shadowed one
 * that counts again is added as on arrival. Resolves to whether `post` ended counted.
 */
export async function placeTagged (plan: WritePlan, post: StoredPost, encoded: Uint8Array, links: Link[], arrival: Arrival, now: number): Promise<Placement> {
  const { conflicts } = plan
  const keys = links.map(link => tagKey(link.scope, link.tag))
  let blocked = false
  for (const key of keys) {
    const held = await plan.holder(key)
    if (held !== undefined && compareBytes(held.id, post.id) < 0) {
      if (!await isRetained(plan, held.id)) return 'duplicate-tag'
      blocked = true
    }
    const claims = await conflicts.claims(key)
    if (claims.length >= CONFLICT_RETAINED && compareBytes(claims[claims.length - 1]!, post.id) < 0) return 'duplicate-tag'
  }

  // Nothing smaller changes: `post` counts unless a smaller counted envelope holds one of its tags, and
  // what it takes out, and what those held back, is looked at in ascending id order below.
  const pending = new IdQueue()
  await conflicts.retain(post.id, links)
  if (blocked) {
    conflicts.shadowPost(post, arrival, true)
  } else {
    const until = Math.max(post.created, now) + TAG_RETENTION
    const displaced = await Promise.all(keys.map(async key => await plan.holder(key)))
    await plan.add(post, encoded, links.map(link => ({ ...link, until })), arrival)
    for (const held of displaced) if (held !== undefined) pending.add(held.id)
  }
  for (const key of keys) {
    const claims = await conflicts.claims(key)
    // past the bound, the largest ids on the tag go (never `post`: it is smaller than one of them)
    for (const dropped of claims.slice(CONFLICT_RETAINED)) await drop(plan, dropped, pending)
  }

  await settle(plan, pending, now)
  return await plan.lookup(post.id) === undefined ? 'duplicate-tag' : 'stored'
}

/**
 * Look again, smallest id first, at the retained envelopes in `pending` whose tags changed hands: each
 * counts unless a smaller counted envelope holds one of its tags; one whose status changes is re-filed,
 * and the larger envelopes on its tags are looked at in turn.
 */
async function settle (plan: WritePlan, pending: IdQueue, now: number): Promise<void> {
  const { conflicts } = plan
  for (let id = pending.shift(); id !== undefined; id = pending.shift()) {
    const counted = await plan.lookup(id)
    const retained = await conflicts.links(id) ?? primaryLink(counted?.post)
    if (retained === undefined) continue
    const shadowed = counted === undefined ? await conflicts.shadow(id) : undefined
    if (counted === undefined && shadowed === undefined) continue
    const retainedKeys = retained.map(link => tagKey(link.scope, link.tag))
    let blocked = false
    for (const key of retainedKeys) {
      const held = await plan.holder(key)
      if (held !== undefined && compareBytes(held.id, id) < 0) blocked = true
    }
    if (blocked === (counted === undefined)) continue
    if (shadowed !== undefined) {
      conflicts.unshadow(id)
      const until = Math.max(shadowed.post.created, now) + TAG_RETENTION
      const refused = await plan.add(shadowed.post, shadowed.encoded, retained.map(link => ({ ...link, until })), shadowed.arrival)
      // its parent arrived meanwhile in another channel: it would have been refused on arrival
      if (refused !== undefined) await conflicts.forget(id, false)
    } else if (counted !== undefined) {
      await demote(plan, counted.post, retainedKeys)
    }
    for (const key of retainedKeys) {
      for (const claim of await conflicts.claims(key)) if (compareBytes(claim, id) > 0) pending.add(claim)
    }
  }
}

/**
 * Take `id` back as if it had never arrived (see `PostStore.withdraw`): a counted post leaves the count
 * (tallies, indexes, quota and threads follow, as for a post that lost its tag conflict) and releases
 * its link tags, so the envelopes that lost them to it count again; a shadowed one just goes. Its links,
 * claims, shadow and expiry entry go too. Resolves to whether `id` was held (counted or shadowed).
 */
export async function withdraw (plan: WritePlan, id: Uint8Array, now: number): Promise<boolean> {
  const counted = await plan.lookup(id)
  if (counted === undefined && await plan.conflicts.shadow(id) === undefined) return false
  const pending = new IdQueue()
  const links = await plan.conflicts.links(id) ?? primaryLink(counted?.post)
  if (counted !== undefined && links !== undefined) {
    const keys = links.map(link => tagKey(link.scope, link.tag))
    await demote(plan, counted.post, keys)
    for (const key of keys) for (const claim of await plan.conflicts.claims(key)) if (!equalBytes(claim, id)) pending.add(claim)
  } else if (counted !== undefined) {
    // untagged: out of the count as a demoted post is, then its expiry entry (no shadow keeps it)
    await plan.demote(counted.post)
    plan.forgetExpiry(counted.post)
  }
  await plan.conflicts.forget(id, true)
  await settle(plan, pending, now)
  return true
}

/** Whether the tag conflict of a stem hop would keep `id` out: a tag of it is held by a smaller id. */
export async function losesTagConflict (plan: WritePlan, id: Uint8Array, links: Link[]): Promise<boolean> {
  for (const link of links) {
    const held = await plan.holder(tagKey(link.scope, link.tag))
    if (held !== undefined && compareBytes(held.id, id) < 0) return true
  }
  return false
}

/** Whether the post `id` is retained here (counted or shadowed), rather than gone and holding its tags only. */
async function isRetained (plan: WritePlan, id: Uint8Array): Promise<boolean> {
  return await plan.conflicts.links(id) !== undefined || primaryLink((await plan.lookup(id))?.post) !== undefined
}

/** The primary link of a counted post stored before the store kept links (its record keeps that one only). */
function primaryLink (post: StoredPost | undefined): Link[] | undefined {
  return post?.scope === undefined || post.tag === undefined ? undefined : [{ scope: post.scope, tag: post.tag }]
}

/** Take a counted post out of the count: removed as if it never arrived, shadowed, its tags released. */
async function demote (plan: WritePlan, post: StoredPost, keys: Uint8Array[]): Promise<void> {
  const arrival = await plan.arrival(post.id)
  await plan.demote(post)
  if (arrival !== undefined) plan.conflicts.shadowPost(post, arrival, false)
  for (const key of keys) {
    const held = await plan.holder(key)
    if (held !== undefined && equalBytes(held.id, post.id)) plan.release(key)
  }
}

/** Drop a retained envelope past the bound: a counted one leaves the count first, and its tags' other envelopes are looked at again. */
async function drop (plan: WritePlan, id: Uint8Array, pending: IdQueue): Promise<void> {
  const links = await plan.conflicts.links(id)
  const counted = await plan.lookup(id)
  if (counted !== undefined && links !== undefined) {
    const keys = links.map(link => tagKey(link.scope, link.tag))
    await demote(plan, counted.post, keys)
    for (const key of keys) for (const claim of await plan.conflicts.claims(key)) pending.add(claim)
  }
  await plan.conflicts.forget(id, true)
}

/** Ids to look at, smallest first, each once while queued. */
class IdQueue {
  private readonly ids = new Map<string, Uint8Array>()

  add (id: Uint8Array): void {
    this.ids.set(toHex(id), id)
  }

  shift (): Uint8Array | undefined {
    let least: [string, Uint8Array] | undefined
    for (const entry of this.ids) if (least === undefined || entry[0] < least[0]) least = entry
    if (least === undefined) return undefined
    this.ids.delete(least[0])
    return least[1]
  }
}
