import { compareBytes } from '@murmur/protocol'
import { hotScore } from './hot.js'
import type { Tally } from './codec.js'
import type { StoredPost } from './types.js'
import type { Usage } from './usage.js'
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
 *   (anything unexpired, through sync), their votes and replies (more proof of work), but not *when
 *   they reach this node*. So posts compete only within their arrival class (the hour they arrived):
 *   eviction takes from the class that holds the most posts, which under a flood is the flood's own.
 *   Posts that arrived in other hours are not touched until the flood's class is no bigger than
 *   theirs, so a flood can at most level the classes, never empty the channel of older posts.
 * - Within the class, engaged posts (with replies or a positive score) go last, then ring-signed
 *   posts (rate-limited per member, a flood cannot be made of them), and among equals the lowest hot
 *   score first: the oldest `created` and most disliked, so backdating a flood only gets it evicted
 *   sooner. Remaining ties by id. A vote or reply ranks as its stored parent does (it is that
 *   post's engagement), so evicting votes does not strip an honest post of its protection. One-time
 *   votes cost little proof of work, so within its own hour a flooder can buy its posts the same
 *   protection; across hours that buys nothing.
 * - Evicted posts stay counted as held until they expire (`WritePlan.evict`), so history sync does
 *   not fetch them back, and eviction goes down to `lowWater` so it runs once per many puts.
 *
 * Honest posts that arrive in the same hour as a flood compete with it on these terms; the rule
 * cannot tell an unengaged honest post from a flood post, and says so.
 */
export async function enforceQuota (plan: WritePlan, channel: string, quota: ChannelQuota, now: number): Promise<number> {
  const over = (usage: Usage): boolean => usage.posts > quota.posts || usage.bytes > quota.bytes
  let usage = await plan.channelUsage(channel)
  if (!over(usage)) return 0
  const target = { posts: Math.floor(quota.posts * quota.lowWater), bytes: Math.floor(quota.bytes * quota.lowWater) }
  const above = (u: Usage): boolean => u.posts > target.posts || u.bytes > target.bytes
  let evicted = 0
  while (above(usage)) {
    const classes = await plan.classes(channel)
    const largest = classes.sort((a, b) => b.posts - a.posts || b.bytes - a.bytes || b.arrivalClass - a.arrivalClass)[0]
    if (largest === undefined) break
    const second = classes[1]
    const ranked: Array<{ post: StoredPost, rank: Rank }> = []
    for (const { post, tally } of await plan.classMembers(channel, largest.arrivalClass)) {
      // a vote or reply is worth what its stored parent is: it is that post's engagement
      const parent = post.parent === undefined ? undefined : await plan.lookup(post.parent)
      ranked.push({ post, rank: rankOf(parent?.post ?? post, parent === undefined ? tally : parent.tally, post.created, now) })
    }
    const members = ranked.sort((a, b) => compareRank(a.rank, b.rank) || compareBytes(a.post.id, b.post.id))
    // level the largest class down to the next one, then look again; at least a fair part of the
    // excess each time, so many classes of one size do not cost a class read per eviction
    const chunk = Math.max(1, Math.ceil((usage.posts - target.posts) / classes.length))
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

interface Rank {
  engaged: boolean
  ring: boolean
  hot: number
}

/** How much a post is worth keeping: judged on `post` (itself, or the parent it engages with) and its own `created`. */
function rankOf (post: StoredPost, tally: Tally | undefined, created: number, now: number): Rank {
  const score = tally?.score ?? 0
  return {
    engaged: (tally?.replies ?? 0) > 0 || score > 0,
    ring: post.tag !== undefined,
    hot: hotScore(score, created, now)
  }
}

/** Eviction order: unengaged before engaged, one-time before ring-signed, lower hot first. */
function compareRank (a: Rank, b: Rank): number {
  return Number(a.engaged) - Number(b.engaged) || Number(a.ring) - Number(b.ring) || a.hot - b.hot
}
