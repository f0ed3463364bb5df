import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TAG_RETENTION } from '../src/store/constants.js'
import { BACKENDS, DAY, T0, allKeys, hexIds, idOf, openStore, post, reply, vote } from './store-fixtures.js'
import type { PostStore, StoreDatabase } from '../src/store/index.js'

const WEEK = 7 * DAY

describe.each(BACKENDS)('store rules of issue 12 on $name', (backend) => {
  let db: StoreDatabase
  let store: PostStore
  let close: () => Promise<void>

  beforeEach(async () => { ({ db, store, close } = await openStore(backend)) })
  afterEach(async () => { await close() })

  describe('link tags outlive their posts (Medium 6)', () => {
    const scope = new TextEncoder().encode('murmur/v2/scope/post #lobby epoch 0 slot 3')

    it('a ttl-60 post does not free its ring member\'s slot when it expires and is swept', async () => {
      const tag = idOf(60, 0x60)
      const first = post({ created: T0, expires: T0 + 60, scope, tag })
      expect(await store.put(first, T0)).toBe('stored')
      expect(await store.sweep(T0 + 60)).toBe(1)
      expect(await store.has(first.id)).toBe(false)
      const second = post({ created: T0 + 61, expires: T0 + 61 + DAY, scope, tag })
      expect(await store.put(second, T0 + 61)).toBe('duplicate-tag')
      // held until no post of the scope can still be accepted, then released by a sweep
      await store.sweep(T0 + TAG_RETENTION - 1)
      expect(await store.hasTag(scope, tag)).toBe(true)
      await store.sweep(T0 + TAG_RETENTION)
      expect(await store.hasTag(scope, tag)).toBe(false)
    })

    it('a backdated post holds its tag from its arrival, not from its claimed creation', async () => {
      const tag = idOf(61, 0x61)
      const arrival = T0 + 6 * DAY
      const backdated = post({ created: T0, expires: T0 + WEEK, scope, tag })
      expect(await store.put(backdated, arrival)).toBe('stored')
      await store.sweep(T0 + WEEK)
      await store.sweep(T0 + TAG_RETENTION)
      expect(await store.hasTag(scope, tag)).toBe(true)
      expect(await store.put(post({ created: T0 + TAG_RETENTION, scope, tag }), T0 + TAG_RETENTION)).toBe('duplicate-tag')
      await store.sweep(arrival + TAG_RETENTION)
      expect(await store.hasTag(scope, tag)).toBe(false)
    })

    it('checks and holds every link a post carries', async () => {
      const week = new TextEncoder().encode('murmur/v2/scope/week')
      const links = [{ scope, tag: idOf(1, 0x01) }, { scope: week, tag: idOf(2, 0x02) }]
      const first = post({ scope, tag: idOf(1, 0x01), links })
      expect(await store.put(first, T0)).toBe('stored')
      expect(await store.hasTag(week, idOf(2, 0x02))).toBe(true)
      // a fresh primary tag, but the secondary (say the per-week tag) is already held
      const other = new TextEncoder().encode('murmur/v2/scope/post #lobby epoch 0 slot 4')
      const second = post({ scope: other, tag: idOf(3, 0x03), links: [{ scope: other, tag: idOf(3, 0x03) }, { scope: week, tag: idOf(2, 0x02) }] })
      expect(await store.put(second, T0)).toBe('duplicate-tag')
      expect(await store.hasTag(other, idOf(3, 0x03))).toBe(false)
      // the same post again is a duplicate, not a tag reuse, and what a stem hop asks says the same
      expect(await store.put(first, T0)).toBe('duplicate')
      expect(await store.hasTagConflict(first.id, links)).toBe(false)
      expect(await store.hasTagConflict(second.id, second.links ?? [])).toBe(true)
    })

    it('leaves no key once every tag is released', async () => {
      await store.put(post({ created: T0, expires: T0 + 60, scope, tag: idOf(9, 9) }), T0)
      await store.sweep(T0 + TAG_RETENTION)
      expect(await allKeys(db)).toEqual([])
    })
  })

  describe('replies and votes stay in their parent\'s channel (Low 14)', () => {
    it('refuses a reply or vote in another channel when the parent is stored', async () => {
      const parent = post({ channel: '#A' })
      expect(await store.put(parent, T0)).toBe('stored')
      const strayReply = reply(parent, { channel: '#x' })
      const strayVote = vote(parent, 1, { channel: '#x' })
      expect(await store.put(strayReply, T0)).toBe('wrong-channel')
      expect(await store.put(strayVote, T0)).toBe('wrong-channel')
      expect(await store.has(strayReply.id)).toBe(false)
      expect(await store.has(strayVote.id)).toBe(false)
      expect(await store.get(parent.id, T0)).toMatchObject({ score: 0, replyCount: 0 })
      expect(hexIds(await store.thread(parent.id, T0))).toEqual(hexIds([parent]))
    })

    it('removes replies and votes from another channel that arrived before their parent', async () => {
      const parent = post({ channel: '#A' })
      const stray = reply(parent, { channel: '#x' })
      const underStray = reply(stray, { channel: '#x' })
      const strayVote = vote(parent, 1, { channel: '#x' })
      const honest = reply(parent, { channel: '#A' })
      const honestVote = vote(parent, -1, { channel: '#A' })
      for (const p of [underStray, stray, strayVote, honest, honestVote]) expect(await store.put(p, T0)).toBe('stored')
      expect(await store.put(parent, T0)).toBe('stored')

      expect(await store.has(stray.id)).toBe(false)
      expect(await store.has(strayVote.id)).toBe(false)
      expect(hexIds(await store.thread(parent.id, T0))).toEqual(hexIds([parent, honest]))
      expect(await store.get(parent.id, T0)).toMatchObject({ score: -1, replyCount: 1 })
      // the stray's own reply keeps waiting under the stray's id, as if the stray had never come
      expect((await store.get(underStray.id, T0))?.root).toEqual(stray.id)
    })

    it('removes a stray reply of a reply that arrived before it, in a thread still waiting for its POST', async () => {
      const root = post({ channel: '#A' })
      const middle = reply(root, { channel: '#A' })
      const stray = reply(middle, { channel: '#x' })
      expect(await store.put(stray, T0)).toBe('stored')
      expect(await store.put(middle, T0)).toBe('stored')
      expect(await store.has(stray.id)).toBe(false)
      expect(await store.put(root, T0)).toBe('stored')
      expect(hexIds(await store.thread(root.id, T0))).toEqual(hexIds([root, middle]))
      expect(await store.get(root.id, T0)).toMatchObject({ replyCount: 1 })
      expect(await store.get(middle.id, T0)).toMatchObject({ replyCount: 0 })
    })
  })
})
