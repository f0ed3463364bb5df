import { describe, expect, it } from 'vitest'
import { compareFeed, isFeedSort, sortFeed } from '../src/feed-order.js'
import type { PostView } from '../src/view.js'

const NOW = 1_800_000_000

/** A hand-built feed post: `n` gives its id, `age` its age in seconds. */
function post (n: number, age: number, score: number): PostView {
  return { id: n.toString(16).padStart(64, '0'), channel: '#lobby', kind: 'POST', body: `post ${n}`, vote: 0, created: NOW - age, expires: NOW - age + 86_400, score, replies: 0, op: true, member: true, root: n.toString(16).padStart(64, '0') }
}

const FEED = [
  post(1, 60, 0), // brand new, no votes
  post(2, 3600, 5), // an hour old, 5
  post(3, 6 * 3600, 40), // six hours old, 40
  post(4, 20 * 3600, 90), // almost a day old, 90
  post(5, 600, -3), // ten minutes old, downvoted
  post(6, 3600, 5) // ties post 2 on everything but its id
]

/** The documented formulas, written out again here. */
const hot = (p: PostView): number => (Math.max(0, p.score) + 1) / ((NOW - p.created) / 3600 + 2) ** 1.5

describe('feed order', () => {
  it('new: newest first, ties to the larger id', () => {
    expect(sortFeed(FEED, 'new', NOW).map((p) => p.id.slice(-1))).toEqual(['1', '5', '6', '2', '3', '4'])
  })

  it('hot: (max(0, score) + 1) / (ageHours + 2) ^ 1.5, highest first', () => {
    const order = sortFeed(FEED, 'hot', NOW)
    const ranks = order.map(hot)
    for (let i = 1; i < ranks.length; i++) expect(ranks[i - 1]).toBeGreaterThanOrEqual(ranks[i]!)
    // the downvoted post ranks as one without votes, below the brand-new one (younger)
    expect(order.map((p) => p.id.slice(-1))).toEqual(['3', '6', '2', '4', '1', '5'])
  })

  it('top: score, highest first, then newest', () => {
    expect(sortFeed(FEED, 'top', NOW).map((p) => p.id.slice(-1))).toEqual(['4', '3', '6', '2', '1', '5'])
  })

  it('leaves its input as it was, and names the sorts', () => {
    const copy = [...FEED]
    sortFeed(FEED, 'top', NOW)
    expect(FEED).toEqual(copy)
    expect(compareFeed('new', NOW)(FEED[0]!, FEED[0]!)).toBe(0)
    expect(['new', 'hot', 'top', 'best', 1].map(isFeedSort)).toEqual([true, true, true, false, false])
  })
})
