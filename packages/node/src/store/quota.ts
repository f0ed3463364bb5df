import { compareBytes, equalBytes } from '@murmur/protocol'
import { senderOf } from './arrival.js'
import type { Tally } from './codec.js'
import type { StoredPost } from './types.js'
import type { ClassUsage, Usage } from './usage.js'
import type { WritePlan } from './write-plan.js'

/** A channel's quotas: most posts and most envelope bytes it may hold. */
export interface ChannelQuota {
  posts: number
  bytes: number
  /** fraction of each quota eviction brings the channel down to */
  lowWater: number
}

/**
 * Bring a channel back within its quota, in the plan of the put that took it over. The eviction rule,
 * reasoned from what a flooder controls:
 *
 * - A flooder controls how many posts it makes (proof of work is cheap to a GPU), their `created`
 *   (anything unexpired, through sync), their votes and replies (more proof of work), but not *who
 *   delivers them to this node* nor *when they arrive*. So posts are accounted by sender (the address
 *   group of the peer that first delivered them, `StoredPost.from`, captured when the connection
 *   opened; the node's own posts that never went into the stem are one sender, and posts from the
 *   network whose deliverer's group is not known another, `UNKNOWN_SENDER`, so a flood charged to nobody
 *   is levelled like any sender and never takes the node's own posts) and by arrival: eviction takes from the sender that delivered
 *   the most, which under a flood from one peer is the flood's, levelling it down to the next sender
 *   before anyone else loses a post.
 * - A flooder does control which honest posts it is the first to deliver: one that relays quickly gets
 *   honest posts charged to it. So within the sender, the posts it alone delivered go first; a post
 *   that a peer this node dialed also delivered (a gossip duplicate, see `Corroboration`) is *shared*
 *   and goes only after them. The post whose put takes the channel over its quota is never evicted
 *   by that put (as the newest arrival it would go first, and never live to be vouched for); as
 *   eviction goes down to `lowWater`, the next round comes a tenth of a quota of puts later (1,000 at
 *   the default), time enough for a vouch that comes within seconds. Only dialed peers vouch: this
 *   node chose them, while a second address of the flooder's own that connects here could vouch for
 *   its whole flood. A dialed peer may still be the flooder's: each dialed group vouches for one
 *   sender's posts only within its budget (`VouchBudget`: no more of them than the median dialed
 *   group duplicates). To have its flood
 *   vouched for, a flooder must inject it into the network ahead of delivering it here, which is the
 *   network-wide flood below.
 * - Then the latest arrivals go first (not the lowest hot score, which a fresh flood would win), so a
 *   flood pushes out its own newest posts, not what arrived before it. Engaged posts
 *   (with replies or a positive score) go last, then ring-signed ones (rate-limited per member, a
 *   flood cannot be made of them). Remaining ties by id. A vote or reply ranks as its stored parent
 *   does (it is that post's engagement), so evicting votes does not strip an honest post of its
 *   protection. Only members' votes score (see `applyContribution`), so one-time votes buy a flooder's
 *   posts no engagement; its own replies do, and buy nothing against other senders.
 * - Evicted posts stay counted as held until they expire (`WritePlan.evict`), so history sync does
 *   not fetch them back, and eviction goes down to `lowWater` so it runs once per many puts.
 *
 * An own post that went into the stem is charged as a post this node relayed there is (to the peer that
 * brought it back, or to the successor it was last sent to when this node fluffs it after all), so that
 * a stem successor flooding this node cannot tell the two apart by which one survives: anonymity before
 * keeping the node's own posts in its store (their author still reads them, see `LocalReads`).
 *
 * What this cannot do: a flood relayed to this node by the same honest peers that deliver honest
 * posts is of their sender, and competes with those posts by arrival (the older stay, the newer go).
 * And a flooder that beats every dialed peer to this node by a round trip on every honest post (so
 * that this node's IDONTWANT, or its own forward, reaches them first and no duplicate comes) leaves
 * those posts unshared, competing with its flood by arrival as before.
 */
export async function enforceQuota (plan: WritePlan, channel: string, quota: ChannelQuota, spare: Uint8Array): Promise<number> {
  const over = (usage: Usage): boolean => usage.posts > quota.posts || usage.bytes > quota.bytes
  let usage = await plan.channelUsage(channel)
  if (!over(usage)) return 0
  const target = { posts: Math.floor(quota.posts * quota.lowWater), bytes: Math.floor(quota.bytes * quota.lowWater) }
  const above = (u: Usage): boolean => u.posts > target.posts || u.bytes > target.bytes
  let evicted = 0
  while (above(usage)) {
    const senders = bySender(await plan.classes(channel))
    const largest = senders[0]
    if (largest === undefined) break
    const second = senders[1]
    const ranked: Array<{ post: StoredPost, rank: Rank }> = []
    for (const arrivalClass of largest.classes) {
      for (const { post, tally, second: arrived, shared } of await plan.classMembers(channel, arrivalClass)) {
        if (equalBytes(post.id, spare)) continue
        // a vote or reply is worth what its stored parent is: it is that post's engagement
        const parent = post.parent === undefined ? undefined : await plan.lookup(post.parent)
        ranked.push({ post, rank: rankOf(parent?.post ?? post, parent === undefined ? tally : parent.tally, arrived, shared) })
      }
    }
    const members = ranked.sort((a, b) => compareRank(a.rank, b.rank) || compareBytes(a.post.id, b.post.id))
    // level the largest sender down to the next one, then look again; at least a fair part of the
    // excess each time, so many senders of one size do not cost a read per eviction
    const chunk = Math.max(1, Math.ceil((usage.posts - target.posts) / senders.length))
    let taken = 0
    for (const { post } of members) {
      if (!above(usage) || (second !== undefined && taken >= chunk && largest.posts - taken <= second.posts)) break
      await plan.evict(post)
      taken++
      usage = await plan.channelUsage(channel)
    }
    if (taken === 0) break
    evicted += taken
  }
  return evicted
}

interface Sender extends Usage {
  /** the sender's arrival classes (one per hour it delivered in) */
  classes: number[]
}

/** The senders of a channel's arrival classes, the one that holds the most first (ties: most bytes, then the higher bucket). */
function bySender (classes: ClassUsage[]): Sender[] {
  const senders = new Map<number, Sender & { bucket: number }>()
  for (const { arrivalClass, posts, bytes } of classes) {
    const bucket = senderOf(arrivalClass)
    const sender = senders.get(bucket) ?? { bucket, posts: 0, bytes: 0, classes: [] }
    sender.posts += posts
    sender.bytes += bytes
    sender.classes.push(arrivalClass)
    senders.set(bucket, sender)
  }
  return [...senders.values()].sort((a, b) => b.posts - a.posts || b.bytes - a.bytes || b.bucket - a.bucket)
}

interface Rank {
  /** another address group delivered it too */
  shared: boolean
  engaged: boolean
  ring: boolean
  /** the second the post arrived in */
  arrived: number
}

/** How much a post is worth keeping: judged on `post` (itself, or the parent it engages with) and when it arrived. */
function rankOf (post: StoredPost, tally: Tally | undefined, arrived: number, shared: boolean): Rank {
  const score = tally?.score ?? 0
  return {
    shared,
    engaged: (tally?.replies ?? 0) > 0 || score > 0,
    ring: post.tag !== undefined,
    arrived
  }
}

/** Eviction order: what the sender alone delivered before shared posts, unengaged before engaged, one-time before ring-signed, the latest arrival first. */
function compareRank (a: Rank, b: Rank): number {
  return Number(a.shared) - Number(b.shared) || Number(a.engaged) - Number(b.engaged) || Number(a.ring) - Number(b.ring) || b.arrived - a.arrived
}
