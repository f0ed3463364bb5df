import { HIDE_AFTER_SECONDS, hideMargin } from '@murmur/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hotScore } from '../src/store/index.js'
import { TAG_RETENTION } from '../src/store/constants.js'
import { BACKENDS, DAY, T0, allKeys, collect, hexIds, idOf, oneTimeVote, openStore, post, reply, vote } from './store-fixtures.js'
import type { PostStore, StoreDatabase, StoredPost } from '../src/store/index.js'

const HOUR = 3600

describe.each(BACKENDS)('post store on $name', (backend) => {
  let db: StoreDatabase
  let store: PostStore
  let close: () => Promise<void>

  beforeEach(async () => { ({ db, store, close } = await openStore(backend)) })

  afterEach(async () => { await close() })

  async function putAll (posts: StoredPost[], now = T0): Promise<void> {
    for (const p of posts) expect(await store.put(p, now)).toBe('stored')
  }

  describe('put and get', () => {
    it('round-trips every field exactly, including the raw envelope', async () => {
      const root = post({ body: 'héllo 👋 \u0000 wörld', scope: new Uint8Array([1, 2, 3, 0, 255]), tag: idOf(900, 0x22) })
      const r = reply(root, { root: root.id, authorKey: undefined })
      const v = vote(root, -1) // a member's: ring-signed, no authorKey, a link tag
      const once = oneTimeVote(root, 1)
      await putAll([root, r, v, once])

      // only the member's vote counts
      expect(await store.get(root.id, T0)).toEqual({ ...root, score: -1, replyCount: 1 })
      expect(await store.get(r.id, T0)).toEqual({ ...r, authorKey: undefined, score: 0, replyCount: 0 })
      // `links` is not kept in the record: a read gives the primary (scope, tag)
      expect(v.authorKey).toBeUndefined()
      expect(await store.get(v.id, T0)).toEqual({ ...v, links: undefined, score: 0, replyCount: 0 })
      expect(await store.get(once.id, T0)).toEqual({ ...once, score: 0, replyCount: 0 })
      const got = await store.get(root.id, T0)
      expect(got?.envelope).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(got?.envelope ?? []).equals(Buffer.from(root.envelope))).toBe(true)
    })

    it('keeps its own copy of every buffer', async () => {
      const p = post()
      const expected = structuredClone(p)
      const pending = store.put(p, T0)
      p.envelope.fill(0)
      p.id.fill(0)
      expect(await pending).toBe('stored')
      const got = await store.get(expected.id, T0)
      expect(got).toEqual({ ...expected, score: 0, replyCount: 0 })
      got?.envelope.fill(1)
      expect((await store.get(expected.id, T0))?.envelope).toEqual(expected.envelope)
    })

    it('answers undefined and false for unknown ids', async () => {
      expect(await store.get(idOf(12345), T0)).toBeUndefined()
      expect(await store.has(idOf(12345))).toBe(false)
    })

    it('reports a second post with the same id as duplicate and keeps the first', async () => {
      const p = post()
      expect(await store.put(p, T0)).toBe('stored')
      expect(await store.put({ ...p, body: 'changed' }, T0)).toBe('duplicate')
      expect(await store.has(p.id)).toBe(true)
      expect((await store.get(p.id, T0))?.body).toBe(p.body)
    })

    it('reports a reused (scope, tag) as duplicate-tag, but accepts the tag in another scope', async () => {
      const scope = new TextEncoder().encode('murmur/v1/scope/vote-target')
      const tag = idOf(7, 0x77)
      const first = post({ scope, tag })
      expect(await store.hasTag(scope, tag)).toBe(false)
      expect(await store.put(first, T0)).toBe('stored')
      expect(await store.hasTag(scope, tag)).toBe(true)

      const again = post({ scope: scope.slice(), tag: tag.slice() })
      expect(await store.put(again, T0)).toBe('duplicate-tag')
      // the loser (a larger id) is retained, shadowed, so the smaller id wins whatever the order; it is
      // held (sync does not fetch it again) but neither served nor listed
      expect(await store.has(again.id)).toBe(true)
      expect(await store.put(again, T0)).toBe('duplicate')
      expect(await store.get(again.id, T0)).toBeUndefined()
      expect(hexIds(await store.feed('#lobby', { now: T0 }))).toEqual(hexIds([first]))

      const otherScope = post({ scope: new Uint8Array([...scope, 1]), tag })
      expect(await store.put(otherScope, T0)).toBe('stored')
      expect(await store.hasTag(otherScope.scope ?? new Uint8Array(), tag)).toBe(true)
      expect(await store.hasTag(scope, idOf(8, 0x77))).toBe(false)
    })

    it('refuses posts that expired, writing nothing', async () => {
      const before = await allKeys(db)
      expect(await store.put(post({ created: T0 - DAY, expires: T0 }), T0)).toBe('expired')
      expect(await store.put(post({ created: T0 - DAY, expires: T0 - 1 }), T0)).toBe('expired')
      expect(await allKeys(db)).toEqual(before)
      expect(await store.put(post({ created: T0 - DAY, expires: T0 + 1 }), T0)).toBe('stored')
    })
  })

  describe('feed', () => {
    it('sorts new by time, newest first, with a limit, POSTs of the channel only', async () => {
      const posts = [3, 1, 4, 2, 5].map(h => post({ created: T0 + h * HOUR }))
      const elsewhere = post({ channel: '#other', created: T0 + 6 * HOUR })
      const r = reply(posts[0] as StoredPost, { created: T0 + 7 * HOUR })
      const v = vote(posts[0] as StoredPost, 1, { created: T0 + 8 * HOUR })
      await putAll([...posts, elsewhere, r, v], T0 + 9 * HOUR)
      const now = T0 + 9 * HOUR
      const byTime = [...posts].sort((a, b) => b.created - a.created)

      expect(hexIds(await store.feed('#lobby', { now }))).toEqual(hexIds(byTime))
      expect(hexIds(await store.feed('#lobby', { now, sort: 'new', limit: 2 }))).toEqual(hexIds(byTime.slice(0, 2)))
      expect(await store.feed('#lobby', { now, limit: 0 })).toEqual([])
      expect(hexIds(await store.feed('#other', { now }))).toEqual(hexIds([elsewhere]))
      expect(await store.feed('#nobody', { now })).toEqual([])
      const [top] = await store.feed('#lobby', { now, limit: 1 })
      expect(top).toEqual({ ...byTime[0], score: 0, replyCount: 0 })
    })

    it('pages through new with before', async () => {
      const posts = [1, 2, 3, 4, 5].map(h => post({ created: T0 + h * HOUR }))
      await putAll(posts, T0 + 6 * HOUR)
      const now = T0 + 6 * HOUR
      const page1 = await store.feed('#lobby', { now, limit: 2 })
      const page2 = await store.feed('#lobby', { now, limit: 2, before: page1.at(-1)?.created })
      const page3 = await store.feed('#lobby', { now, limit: 2, before: page2.at(-1)?.created })
      expect(hexIds([...page1, ...page2, ...page3])).toEqual(hexIds([...posts].reverse()))
    })

    it('breaks ties in created time by id, stably', async () => {
      const posts = [5, 1, 9, 3].map(n => post({ id: idOf(100_000 + n), created: T0 }))
      await putAll(posts)
      const newest = hexIds(await store.feed('#lobby', { now: T0 }))
      expect(newest).toEqual(hexIds([...posts].sort((a, b) => Buffer.compare(b.id, a.id))))
    })

    it('sorts hot by the documented time-decayed score', async () => {
      const now = T0 + 30 * HOUR
      const old = post({ created: now - 20 * HOUR, expires: now + DAY }) // many votes, but old
      const fresh = post({ created: now - 10 * 60 }) // no votes, brand new
      const rising = post({ created: now - 2 * HOUR }) // a few votes, recent
      const sunk = post({ created: now - 1 * HOUR }) // downvoted
      await putAll([old, fresh, rising, sunk], now)
      for (let i = 0; i < 12; i++) await store.put(vote(old, 1, { created: now - HOUR }), now)
      for (let i = 0; i < 3; i++) await store.put(vote(rising, 1, { created: now - HOUR }), now)
      for (let i = 0; i < 2; i++) await store.put(vote(sunk, -1, { created: now - HOUR }), now)

      const hot = await store.feed('#lobby', { now, sort: 'hot' })
      const expected = [
        { p: old, score: 12 }, { p: fresh, score: 0 }, { p: rising, score: 3 }, { p: sunk, score: -2 }
      ].sort((a, b) => hotScore(Math.max(0, b.score), b.p.created, now) - hotScore(Math.max(0, a.score), a.p.created, now))
      expect(hexIds(hot)).toEqual(hexIds(expected.map(e => e.p)))
      // the formula puts the recent riser first and the old, much upvoted post last, unlike `new`; the rank
      // counts no score below zero (the vote rule's max(0, score)): the downvoted post ranks as an hour-old
      // post without votes, its score still shown as it is
      expect(hexIds(hot)).toEqual(hexIds([rising, fresh, sunk, old]))
      expect(hot.map(e => e.score)).toEqual([3, 0, -2, 12])
      expect(hexIds(await store.feed('#lobby', { now, sort: 'hot', limit: 2 }))).toEqual(hexIds([rising, fresh]))
    })

    it('hides posts members downvoted by the margin once an hour old unless asked, but still serves them by id and in threads', async () => {
      const later = T0 + HIDE_AFTER_SECONDS
      // two posts: no audience yet, so the margin is the floor (Yik Yak's 5)
      const margin = hideMargin({ audience: 0 })
      const kept = post({ created: T0 })
      const buried = post({ created: T0 + 1 })
      const r = reply(buried, { created: T0 + 2 })
      await putAll([kept, buried, r])
      for (let i = 0; i < margin - 1; i++) await store.put(vote(buried, -1), T0)
      expect(hexIds(await store.feed('#lobby', { now: later + 1 }))).toEqual(hexIds([buried, kept]))

      await store.put(vote(buried, -1), T0)
      // young, it is still shown, so its first readers can vote
      expect(hexIds(await store.feed('#lobby', { now: later }))).toEqual(hexIds([buried, kept]))
      const now = later + 1
      expect(hexIds(await store.feed('#lobby', { now }))).toEqual(hexIds([kept]))
      expect(hexIds(await store.feed('#lobby', { now, sort: 'hot' }))).toEqual(hexIds([kept]))
      const all = await store.feed('#lobby', { now, includeHidden: true })
      expect(hexIds(all)).toEqual(hexIds([buried, kept]))
      expect(all.map(e => e.hidden)).toEqual([true, undefined])
      expect(hexIds(await store.feed('#lobby', { now, limit: 1 }))).toEqual(hexIds([kept]))
      expect((await store.get(buried.id, now))?.score).toBe(-margin)
      expect(hexIds(await store.thread(buried.id, now))).toEqual(hexIds([buried, r]))

      await store.put(vote(buried, 1), now)
      expect(hexIds(await store.feed('#lobby', { now }))).toEqual(hexIds([buried, kept]))
    })
  })

  describe('tallies', () => {
    it('sums votes exactly and counts replies', async () => {
      const p = post()
      await putAll([p])
      for (const v of [1, 1, -1, 1, 1, -1, 1] as const) await store.put(vote(p, v), T0)
      await store.put(reply(p), T0)
      await store.put(reply(p), T0)
      expect(await store.get(p.id, T0)).toMatchObject({ score: 3, replyCount: 2 })
    })

    it('counts votes and replies that arrive before their parent', async () => {
      const p = post()
      await store.put(vote(p, 1), T0)
      await store.put(vote(p, 1), T0)
      await store.put(reply(p), T0)
      expect(await store.put(p, T0)).toBe('stored')
      expect(await store.get(p.id, T0)).toMatchObject({ score: 2, replyCount: 1 })
    })

    it('counts every reply of a thread on its root, direct replies on a reply', async () => {
      const root = post()
      const a = reply(root, { root: root.id })
      const b = reply(a, { root: root.id })
      const c = reply(b, { root: root.id })
      const d = reply(a, { root: root.id })
      await putAll([root, a, b, c, d])
      expect((await store.get(root.id, T0))?.replyCount).toBe(4)
      expect((await store.get(a.id, T0))?.replyCount).toBe(2)
      expect((await store.get(b.id, T0))?.replyCount).toBe(1)
      expect((await store.get(c.id, T0))?.replyCount).toBe(0)
      const [entry] = await store.feed('#lobby', { now: T0 })
      expect(entry).toMatchObject({ replyCount: 4, score: 0 })
    })
  })

  describe('thread', () => {
    it('returns the root first, then its replies (nested ones too) by creation time', async () => {
      const root = post({ created: T0 })
      const r3 = reply(root, { root: root.id, created: T0 + 30 })
      const r1 = reply(root, { root: root.id, created: T0 + 10 })
      const nested = reply(r1, { root: root.id, created: T0 + 20 })
      const otherRoot = post({ created: T0 + 5 })
      const other = reply(otherRoot, { created: T0 + 15 })
      const v = vote(root, 1, { created: T0 + 25 })
      await putAll([r3, root, nested, r1, otherRoot, other, v], T0 + 40)
      const thread = await store.thread(root.id, T0 + 40)
      expect(hexIds(thread)).toEqual(hexIds([root, r1, nested, r3]))
      expect(thread[0]).toMatchObject({ score: 1, replyCount: 3 })
      expect(thread[1]).toMatchObject({ replyCount: 1 })
      expect(hexIds(await store.thread(otherRoot.id, T0 + 40))).toEqual(hexIds([otherRoot, other]))
      expect(await store.thread(idOf(55555), T0)).toEqual([])
    })

    it('still lists the replies when the root is not (or no longer) stored', async () => {
      const root = post({ created: T0, expires: T0 + HOUR })
      const r = reply(root, { created: T0 + 10 })
      await putAll([root, r])
      expect(hexIds(await store.thread(root.id, T0 + 2 * HOUR))).toEqual(hexIds([r]))
      expect(await store.has(root.id)).toBe(false)
    })
  })

  describe('ids', () => {
    it('lists unexpired (created, id) of every kind in a channel, ascending', async () => {
      const p1 = post({ created: T0 + 20 })
      const p2 = post({ created: T0 + 10 })
      const r = reply(p1, { created: T0 + 30 })
      const v = vote(p1, 1, { created: T0 + 5 })
      const gone = post({ created: T0 + 1, expires: T0 + 100 })
      const elsewhere = post({ channel: '#other', created: T0 + 15 })
      await putAll([p1, p2, r, v, gone, elsewhere])
      const listed = await collect(store.ids('#lobby', T0 + 200))
      expect(listed.map(e => e.created)).toEqual([T0 + 5, T0 + 10, T0 + 20, T0 + 30])
      expect(hexIds(listed)).toEqual(hexIds([v, p2, p1, r]))
      expect((await collect(store.ids('#lobby', T0 + 50))).length).toBe(5)
    })
  })

  describe('expiry', () => {
    it('never returns an expired post and deletes it on read', async () => {
      const p = post({ created: T0, expires: T0 + HOUR })
      const live = post({ created: T0, expires: T0 + DAY })
      await putAll([p, live])
      expect(await store.get(p.id, T0 + HOUR - 1)).toBeDefined()
      expect(await store.get(p.id, T0 + HOUR)).toBeUndefined()
      expect(await store.has(p.id)).toBe(false)

      const q = post({ created: T0, expires: T0 + HOUR })
      await putAll([q])
      expect(hexIds(await store.feed('#lobby', { now: T0 + HOUR }))).toEqual(hexIds([live]))
      expect(hexIds(await store.feed('#lobby', { now: T0 + HOUR, sort: 'hot' }))).toEqual(hexIds([live]))
      expect(await store.has(q.id)).toBe(false)
    })

    it('drops expired replies from threads on read', async () => {
      const root = post()
      const short = reply(root, { created: T0 + 1, expires: T0 + 60 })
      const long = reply(root, { created: T0 + 2 })
      await putAll([root, short, long])
      expect(hexIds(await store.thread(root.id, T0 + 60))).toEqual(hexIds([root, long]))
      expect(await store.has(short.id)).toBe(false)
      expect((await store.get(root.id, T0 + 60))?.replyCount).toBe(1)
    })

    it('sweeps expired posts with their index entries, tags and votes', async () => {
      const scope = new Uint8Array([9, 9, 9])
      const tag = idOf(1, 0x33)
      const target = post({ created: T0 })
      const tagged = post({ created: T0, expires: T0 + HOUR, scope, tag })
      const up = vote(target, 1, { expires: T0 + HOUR })
      const down = vote(target, -1, { expires: T0 + 2 * HOUR })
      const keep = vote(target, 1)
      const shortReply = reply(target, { expires: T0 + HOUR })
      await putAll([target, tagged, up, down, keep, shortReply])
      expect(await store.get(target.id, T0)).toMatchObject({ score: 1, replyCount: 1 })

      expect(await store.sweep(T0 + HOUR - 1)).toBe(0)
      expect(await store.sweep(T0 + HOUR)).toBe(3)
      expect(await store.has(tagged.id)).toBe(false)
      expect(await store.has(up.id)).toBe(false)
      // the tag outlives its post
      expect(await store.hasTag(scope, tag)).toBe(true)
      expect(await store.get(target.id, T0 + HOUR)).toMatchObject({ score: 0, replyCount: 0 })
      expect(await collect(store.ids('#lobby', T0 + HOUR))).toHaveLength(3)

      expect(await store.sweep(T0 + 2 * HOUR)).toBe(1)
      expect(await store.get(target.id, T0 + 2 * HOUR)).toMatchObject({ score: 1 })
      expect(await store.sweep(T0 + 2 * HOUR)).toBe(0)

      // the tag is not free again when its post is gone, only once no post of its scope could still be accepted
      expect(await store.put(post({ created: T0 + HOUR, scope, tag }), T0 + HOUR)).toBe('duplicate-tag')
      expect(await store.sweep(T0 + TAG_RETENTION - 1)).toBe(2)
      expect(await store.hasTag(scope, tag)).toBe(true)
      await store.sweep(T0 + TAG_RETENTION)
      expect(await store.hasTag(scope, tag)).toBe(false)
      const later = T0 + TAG_RETENTION
      expect(await store.put(post({ created: later, scope, tag }), later)).toBe('stored')
    })

    it('leaves no key behind once everything expired, whatever order things expire in', async () => {
      const scope = new Uint8Array([1])
      const root = post({ created: T0, expires: T0 + 100 }) // parent goes first
      const replies = [reply(root, { root: root.id, expires: T0 + 300 }), reply(root, { expires: T0 + 50 })]
      const nested = reply(replies[0] as StoredPost, { root: root.id, expires: T0 + 200 })
      const votes = [vote(root, 1, { expires: T0 + 150 }), vote(root, -1, { expires: T0 + 400, scope, tag: idOf(2, 3) })]
      const orphanParent = post()
      const orphans = [vote(orphanParent, 1, { expires: T0 + 10 }), reply(orphanParent, { expires: T0 + 20 })]
      await putAll([root, ...replies, nested, ...votes, ...orphans])
      expect((await allKeys(db)).length).toBeGreaterThan(0)

      let swept = 0
      for (const t of [10, 20, 50, 100, 150, 200, 300, 400]) swept += await store.sweep(T0 + t)
      expect(swept).toBe(8)
      // only the held tags of the three (members') votes are left, until their time is up
      const held = await allKeys(db)
      expect(held).toHaveLength(6)
      expect(held.every(key => key.startsWith('!store!!tags!') || key.startsWith('!store!!tag-expiry!'))).toBe(true)
      expect(await store.sweep(T0 + TAG_RETENTION)).toBe(0)
      expect(await allKeys(db)).toEqual([])
    })

    it('sweeps more than one batch worth of posts', async () => {
      const posts = Array.from({ length: 200 }, (_, i) => post({ created: T0 + i, expires: T0 + 1000 + i }))
      const target = post({ created: T0 })
      await putAll([target, ...posts.map(p => ({ ...p }))])
      for (const p of posts.slice(0, 150)) await store.put(vote(target, 1, { expires: p.expires }), T0)
      expect((await store.get(target.id, T0))?.score).toBe(150)
      expect(await store.sweep(T0 + 1000 + 149)).toBe(300)
      expect((await store.get(target.id, T0 + 1000 + 149))?.score).toBe(0)
      expect(await store.feed('#lobby', { now: T0 + 1000 + 149, limit: 1000 })).toHaveLength(51)
    })
  })
})
