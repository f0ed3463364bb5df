import { HOT_AGE_OFFSET_HOURS, HOT_GRAVITY } from './constants.js'

/**
 * The `hot` feed rank of a post:
 *
 * ```
 * hot = (score + 1) / (ageHours + 2) ^ 1.5      ageHours = max(0, now - created) / 3600
 * ```
 *
 * The Hacker News shape, tuned for posts that live a day rather than weeks: the `+ 1` lets a fresh
 * post with no votes rank above an old one with none, the `+ 2` hours keeps brand-new posts from
 * dividing by nearly zero, and gravity 1.5 (HN uses 1.8) means that to tie a brand-new post a post
 * one hour old needs `score + 1` about 1.8 times as large, and a post a day old (the default TTL)
 * about 47 times — so Hot is dominated by what was popular in the last hour or two, like Yik Yak's
 * Hot, without making day-old posts unreachable. Feeds pass the vote rule's rank, `max(0, score)`
 * (`voteVerdict` of @murmur/protocol), so downvotes sink no post below a fresh one without votes; taking
 * a post out is the hide rule's job. Clock skew never makes a post younger than zero.
 *
 * @example
 * ```ts
 * import { hotScore } from '@murmur/node/internal'
 *
 * hotScore(10, 1_700_000_000, 1_700_003_600) // (10 + 1) / 3 ** 1.5 ≈ 2.117
 * ```
 */
export function hotScore (score: number, created: number, now: number): number {
  const ageHours = Math.max(0, now - created) / 3600
  return (score + 1) / (ageHours + HOT_AGE_OFFSET_HOURS) ** HOT_GRAVITY
}
