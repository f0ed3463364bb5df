/**
 * The user's own reads with pending own posts merged in follow the store's vote rule (issue 13): a
 * pending own vote counts only when it is a member's (tagged, as the store will count it once back),
 * the hot order is the store's (`max(0, score)`), and what is hidden is what the store hid — never a
 * post the store shows, whatever its score.
 */
import { HIDE_AFTER_SECONDS, hideMargin } from '@murmur/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalReads } from '../src/local-reads.js'
import { createPostStore } from '../src/store/index.js'
import { T0, hexIds, memoryDatabase, oneTimeVote, post, vote } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

describe('local reads follow the vote rule', () => {
  let store: PostStore
  let pending: StoredPost[]
  let reads: LocalReads

  beforeEach(() => {
    store = createPostStore({ db: memoryDatabase() })
    pending = []
    reads = new LocalReads({ store, pending: () => pending })
  })
  afterEach(async () => { await store.close() })

  it('counts a pending own vote only when it is a member\'s, as the store will', async () => {
    // get reads at the wall clock
    const now = Math.floor(Date.now() / 1000)
    const target = post({ created: now })
    await store.put(target, now)
    pending.push(oneTimeVote(target, 1, { created: now }))
    expect((await reads.get(target.id))?.score).toBe(0)
    const mine = vote(target, 1, { created: now })
    pending.push(mine)
    expect((await reads.get(target.id))?.score).toBe(1)
    // once back, the store counts it and the read is the same
    pending.splice(0)
    await store.put(mine, now)
    expect((await reads.get(target.id))?.score).toBe(1)
  })

  it('keeps a post the store shows, however downvoted, while an own post is pending', async () => {
    const now = T0 + HIDE_AFTER_SECONDS - 60
    const young = post({ created: T0 })
    await store.put(young, T0)
    // the margin's downvotes, on a post too young to hide: the store shows it
    for (let i = 0; i < hideMargin({ audience: 0 }); i++) await store.put(vote(young, -1), T0)
    expect(hexIds(await store.feed('#lobby', { now }))).toEqual(hexIds([young]))
    const own = post({ created: now })
    pending.push(own)
    expect(hexIds(await reads.feed('#lobby', { now }))).toEqual(hexIds([own, young]))
  })

  it('hides what the store hid, and marks it under includeHidden, while an own post is pending', async () => {
    const now = T0 + HIDE_AFTER_SECONDS
    const buried = post({ created: T0 })
    await store.put(buried, T0)
    for (let i = 0; i < hideMargin({ audience: 0 }); i++) await store.put(vote(buried, -1), T0)
    const own = post({ created: now })
    pending.push(own)
    expect(hexIds(await reads.feed('#lobby', { now }))).toEqual(hexIds([own]))
    const all = await reads.feed('#lobby', { now, includeHidden: true })
    expect(all.map(e => [hexIds([e])[0], e.hidden])).toEqual([[hexIds([own])[0], undefined], [hexIds([buried])[0], true]])
  })

  it('ranks hot as the store does, downvotes counting as zero, while an own post is pending', async () => {
    const now = T0 + 2 * 3600
    const disliked = post({ created: now - 600 })
    const older = post({ created: now - 3600 })
    await store.put(disliked, now)
    await store.put(older, now)
    for (let i = 0; i < 3; i++) await store.put(vote(disliked, -1), now)
    const stored = hexIds(await store.feed('#lobby', { now, sort: 'hot' }))
    expect(stored).toEqual(hexIds([disliked, older]))
    // an own post a day old ranks last and leaves the store's order as it was
    const own = post({ created: now - 86_000, expires: now + 400 })
    pending.push(own)
    expect(hexIds(await reads.feed('#lobby', { now, sort: 'hot' }))).toEqual([...stored, ...hexIds([own])])
  })
})
