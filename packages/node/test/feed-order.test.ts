import { describe, expect, it } from 'vitest'
import { compareFeed, isFeedSort, shownFeed, sortFeed, sortedFeed } from '../src/feed-order.js'
import { emptyFilters } from '../src/filters.js'
import { toPostView } from '../src/view.js'
import { BACKENDS, DAY, openStore, post as storedPost, vote } from './store-fixtures.js'
import type { FeedRead } from '../src/feed-order.js'
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

  it('a hand-built store in each order, as the formulas say', async () => {
    const { store, close } = await openStore(BACKENDS[0]!)
    try {
      const HOUR = 3600
      const now = NOW
      const made = [
        { p: storedPost({ created: now - 20 * HOUR, expires: now + DAY }), score: 12 },
        { p: storedPost({ created: now - 10 * 60 }), score: 0 },
        { p: storedPost({ created: now - 2 * HOUR }), score: 3 },
        { p: storedPost({ created: now - HOUR }), score: -2 }
      ]
      for (const { p } of made) await store.put(p, now)
      for (const { p, score } of made) {
        for (let i = 0; i < Math.abs(score); i++) await store.put(vote(p, score > 0 ? 1 : -1, { created: now - HOUR }), now)
      }
      const read: FeedRead = async (options) => (await store.feed('#lobby', { ...options, now })).map((entry) => toPostView(entry))
      const byFormula = (rank: (m: typeof made[number]) => number): string[] =>
        [...made].sort((a, b) => rank(b) - rank(a) || b.p.created - a.p.created).map((m) => Buffer.from(m.p.id).toString('hex'))
      const ids = async (sort: 'new' | 'hot' | 'top'): Promise<string[]> => (await sortedFeed(read, sort)).map((v) => v.id)
      expect(await ids('new')).toEqual(byFormula((m) => m.p.created))
      expect(await ids('hot')).toEqual(byFormula((m) => (Math.max(0, m.score) + 1) / ((now - m.p.created) / HOUR + 2) ** 1.5))
      expect(await ids('top')).toEqual(byFormula((m) => m.score))
      // the store's own hot order and this module's agree on the same posts
      expect(sortFeed(await read({ sort: 'new' }), 'hot', now).map((v) => v.id)).toEqual(await ids('hot'))
      expect((await sortedFeed(read, 'top', 2)).map((v) => v.score)).toEqual([12, 3])
    } finally {
      await close()
    }
  })

  it('a reader\'s filters apply before the limit: a store whose newest 50 posts are muted shows the older ones', async () => {
    const { store, close } = await openStore(BACKENDS[0]!)
    try {
      // 60 posts a minute apart, the newest 50 muted by thread, the older 10 voted on so that every order differs
      const made = Array.from({ length: 60 }, (_, i) => storedPost({ created: NOW - 60 * (i + 1) }))
      for (const p of made) await store.put(p, NOW)
      for (const [i, p] of made.slice(50).entries()) {
        for (let v = 0; v < i; v++) await store.put(vote(p, 1, { created: NOW - 60 }), NOW)
      }
      const read: FeedRead = async (options) => (await store.feed('#lobby', { ...options, now: NOW })).map((entry) => toPostView(entry))
      const hex = (p: { id: Uint8Array }): string => Buffer.from(p.id).toString('hex')
      const filters = { ...emptyFilters(), threads: made.slice(0, 50).map(hex) }
      const older = (await read({ sort: 'new', limit: 100 })).filter((v) => !filters.threads.includes(v.id))
      expect(older).toHaveLength(10)
      // the page before: the node's 50 newest, then the filters, left nothing to show
      expect((await sortedFeed(read, 'new', 50)).filter((v) => !filters.threads.includes(v.id))).toEqual([])
      for (const sort of ['new', 'hot', 'top'] as const) {
        const { posts, hidden } = await shownFeed(read, { sort, limit: 50, filters, now: NOW })
        expect(posts.map((v) => v.id), sort).toEqual(sortFeed(older, sort, NOW).map((v) => v.id))
        expect(hidden, sort).toBe(50)
        expect((await shownFeed(read, { sort, limit: 3, filters, now: NOW })).posts.map((v) => v.id), sort).toEqual(sortFeed(older, sort, NOW).slice(0, 3).map((v) => v.id))
      }
      // no filters: the node's own order, nothing hidden
      expect(await shownFeed(read, { sort: 'hot', limit: 5 })).toEqual({ posts: await sortedFeed(read, 'hot', 5), hidden: 0 })
    } finally {
      await close()
    }
  })
})
