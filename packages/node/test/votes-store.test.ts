/**
 * The vote rule in the store (issue 13, "Votes that a minority cannot abuse"): only members' votes
 * (ring-signed, one tag per member and post) count; one-time-signed votes are stored and count for
 * nothing; feeds hide by `voteVerdict` — a margin over the channel's audience, on posts at least an hour
 * old — instead of a fixed −5, and the hot rank uses the verdict's rank.
 */
import { HIDE_AFTER_SECONDS, MIN_HIDE_MARGIN, hideMargin } from '@murmur/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPostStore } from '../src/store/index.js'
import { toPostView } from '../src/view.js'
import { T0, hexIds, memoryDatabase, oneTimeVote, post, vote } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

/** A vote by a fresh member (ring-signed, its link tag in the post's vote scope), cast at `created`. */
function memberVote (parent: StoredPost, value: 1 | -1, created = T0): StoredPost {
  return vote(parent, value, { created, expires: created + 86_400 })
}

describe('the vote rule in the store', () => {
  let store: PostStore
  const LATER = T0 + HIDE_AFTER_SECONDS

  beforeEach(() => { store = createPostStore({ db: memoryDatabase() }) })
  afterEach(async () => { await store.close() })

  it('five one-time-key downvotes are stored and synced, and move nothing', async () => {
    const target = post()
    await store.put(target, T0)
    const spam = Array.from({ length: 5 }, () => oneTimeVote(target, -1))
    for (const v of spam) expect(await store.put(v, T0)).toBe('stored')
    expect((await store.get(target.id, LATER))?.score).toBe(0)
    expect(hexIds(await store.feed('#lobby', { now: LATER }))).toEqual(hexIds([target]))
    const synced = []
    for await (const item of store.ids('#lobby', LATER)) synced.push(item)
    expect(synced).toHaveLength(6)
  })

  it('members\' downvotes hide a post by the margin once it is an hour old, not before', async () => {
    const target = post()
    const other = post()
    await store.put(target, T0)
    await store.put(other, T0)
    for (let i = 0; i < MIN_HIDE_MARGIN; i++) await store.put(memberVote(target, -1), T0)
    expect((await store.get(target.id, T0))?.score).toBe(-MIN_HIDE_MARGIN)
    // young: shown, so its first readers can vote
    expect(hexIds(await store.feed('#lobby', { now: LATER - 1 }))).toContain(hexIds([target])[0])
    expect(hexIds(await store.feed('#lobby', { now: LATER }))).toEqual(hexIds([other]))
    const all = await store.feed('#lobby', { now: LATER, includeHidden: true })
    expect(all.map(e => [hexIds([e])[0], e.hidden === true]).sort()).toEqual([[hexIds([target])[0], true], [hexIds([other])[0], false]].sort())
    // what the UIs receive says so too, and a visible post carries no mark
    expect(all.map((entry) => toPostView(entry)).map(view => [view.id, view.hidden]).sort()).toEqual([[hexIds([target])[0], true], [hexIds([other])[0], undefined]].sort())
  })

  it('the margin grows with the channel\'s audience: five downvotes no longer hide in a busy channel', async () => {
    const busy = Array.from({ length: 5 }, () => post())
    const target = post()
    for (const p of [...busy, target]) await store.put(p, T0)
    for (const p of busy) for (let i = 0; i < 12; i++) await store.put(memberVote(p, 1), T0)
    // the audience is the fifth largest vote total of the day's posts: 12, whatever the target gets
    const margin = hideMargin({ audience: 12 })
    expect(margin).toBeGreaterThan(MIN_HIDE_MARGIN)
    for (let i = 0; i < margin - 1; i++) await store.put(memberVote(target, -1), T0)
    expect((await store.feed('#lobby', { now: LATER })).map(e => e.hidden)).not.toContain(true)
    expect(hexIds(await store.feed('#lobby', { now: LATER, limit: 100 }))).toContain(hexIds([target])[0])
    await store.put(memberVote(target, -1), T0)
    expect(hexIds(await store.feed('#lobby', { now: LATER, limit: 100 }))).not.toContain(hexIds([target])[0])
  })

  it('the hot rank counts no score below zero: downvotes sink no post under a fresh one without votes', async () => {
    const plain = post({ created: T0 })
    const disliked = post({ created: T0 })
    await store.put(disliked, T0)
    await store.put(plain, T0)
    for (let i = 0; i < 3; i++) await store.put(memberVote(disliked, -1), T0)
    // same age, same rank 0: the tie goes by id, as if nobody had voted
    const hot = await store.feed('#lobby', { now: T0 + 60, sort: 'hot' })
    expect(hexIds(hot)).toEqual(hexIds([disliked, plain]))
    const upvoted = post({ created: T0 })
    await store.put(upvoted, T0)
    await store.put(memberVote(upvoted, 1), T0)
    expect(hexIds((await store.feed('#lobby', { now: T0 + 60, sort: 'hot' })).slice(0, 1))).toEqual(hexIds([upvoted]))
  })

  it('a member\'s vote stops counting when it expires, and a one-time vote never did', async () => {
    const target = post({ created: T0 - 86_000, expires: T0 + 86_400 })
    await store.put(target, T0)
    await store.put(memberVote(target, 1, T0 - 86_000), T0)
    await store.put(oneTimeVote(target, 1), T0)
    expect((await store.get(target.id, T0))?.score).toBe(1)
    await store.sweep(T0 + 400)
    expect((await store.get(target.id, T0 + 400))?.score).toBe(0)
  })
})
