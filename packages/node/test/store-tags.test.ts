/**
 * Conflicts under one link tag (issue 13): two envelopes of one member under one tag — an up- and a
 * downvote on one post, two posts in one slot — end the same in every store whatever order they arrive
 * in: the smaller id counts, and when conflicts chain across tags (a post's hour and week tags) the
 * counted set is `resolveTagConflicts` of every envelope seen. Property tests over random orders.
 */
import fc from 'fast-check'
import { resolveTagConflicts, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { createPostStore } from '../src/store/index.js'
import { CONFLICT_RETAINED } from '../src/store/constants.js'
import { DAY, T0, allEntries, collect, hexIds, idOf, memoryDatabase, post, reply, vote } from './store-fixtures.js'
import type { PostStore, StoreDatabase, StoredPost } from '../src/store/index.js'

const encode = (text: string): Uint8Array => new TextEncoder().encode(text)
/** A pool of scopes: each an hour slot, a week slot or a vote's per-post scope in real envelopes. */
const SCOPES = [encode('scope hour 0 slot 0'), encode('scope hour 0 slot 1'), encode('scope week 0 slot 0'), encode('scope week 0 slot 1'), encode('scope vote')]
/** One member's tag in each scope: a tag is per member and scope, so every conflict is one member's. */
const tagIn = (scope: number): Uint8Array => idOf(1000 + scope, 0x7a)
const link = (scope: number): { scope: Uint8Array, tag: Uint8Array } => ({ scope: SCOPES[scope]!, tag: tagIn(scope) })

/** A ring-signed post of the test member carrying the tags of these scopes (primary first), with a chosen id. */
function tagged (base: StoredPost, id: number, scopes: number[]): StoredPost {
  const links = scopes.map(link)
  const rest = { ...base }
  delete rest.authorKey
  return { ...rest, id: idOf(id, 0x5c), scope: links[0]!.scope, tag: links[0]!.tag, links }
}

/** What a store holds that does not depend on arrival: every entry but tag expiry times and zero tallies. */
async function state (db: StoreDatabase): Promise<string[]> {
  const expiry = Buffer.from('tag-expiry').toString('hex')
  const tallies = Buffer.from('!tallies!').toString('hex')
  return (await allEntries(db)).filter(entry => !entry.includes(expiry) && !(entry.includes(tallies) && entry.endsWith('=' + '0'.repeat(24))))
}

async function fresh (): Promise<{ db: StoreDatabase, store: PostStore }> {
  const db = memoryDatabase()
  return { db, store: createPostStore({ db }) }
}

/** Put `posts` in this order into a fresh store (after `before`), and return its state and the store. */
async function feedInOrder (before: StoredPost[], posts: StoredPost[], now = T0): Promise<{ state: string[], store: PostStore, db: StoreDatabase }> {
  const { db, store } = await fresh()
  for (const p of before) await store.put(p, now)
  for (const p of posts) await store.put(p, now)
  return { state: await state(db), store, db }
}

describe('a conflict under one link tag', () => {
  it('an up- and a downvote of one member on one post: the smaller id counts, in either order', async () => {
    const parent = post()
    const up = tagged(vote(parent, 1), 1, [4])
    const down = tagged(vote(parent, -1), 2, [4])
    const outcomes: Array<Array<string | number | undefined>> = []
    for (const order of [[up, down], [down, up]]) {
      const { store, db } = await fresh()
      await store.put(parent, T0)
      const results = []
      for (const v of order) results.push(await store.put(v, T0))
      outcomes.push([(await store.get(parent.id, T0))?.score, (await store.get(up.id, T0))?.id.length, (await store.get(down.id, T0))?.id.length])
      // the later arrival is counted only when it wins; the loser is retained, not counted, not served
      expect(results).toEqual(order[0] === up ? ['stored', 'duplicate-tag'] : ['stored', 'stored'])
      expect(await store.has(down.id)).toBe(true)
      expect(hexIds(await collect(store.ids('#lobby', T0))).sort()).toEqual(hexIds([parent, up]).sort())
      outcomes.push(await state(db))
      await store.close()
    }
    expect(outcomes[0]).toEqual([1, 32, undefined])
    expect(outcomes[2]).toEqual(outcomes[0])
    expect(outcomes[3]).toEqual(outcomes[1])
  })

  it('a stem hop is told "conflict" only when the held envelope wins', async () => {
    const { store } = await fresh()
    const parent = post()
    await store.put(parent, T0)
    const middle = tagged(vote(parent, 1), 5, [4])
    expect(await store.put(middle, T0)).toBe('stored')
    expect(await store.hasTagConflict(idOf(6, 0x5c), [link(4)])).toBe(true)
    expect(await store.hasTagConflict(idOf(4, 0x5c), [link(4)])).toBe(false)
    expect(await store.hasTagConflict(middle.id, [link(4)])).toBe(false)
    await store.close()
  })

  it('a chain across tags (A–B share the hour, B–C the week): A and C count, in all six orders', async () => {
    const a = tagged(post(), 1, [0, 2])
    const b = tagged(post(), 2, [0, 3])
    const c = tagged(post(), 3, [1, 3])
    const expected = resolveTagConflicts([a, b, c].map(p => ({ id: p.id, tags: p.links!.map(l => l.tag) }))).map(p => toHex(p.id))
    expect(expected).toEqual([toHex(a.id), toHex(c.id)])
    const orders = [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]
    const states: string[][] = []
    for (const order of orders) {
      const { state, store } = await feedInOrder([], order)
      expect(hexIds(await store.feed('#lobby', { now: T0 })).sort()).toEqual(expected.sort())
      states.push(state)
      await store.close()
    }
    for (const s of states) expect(s).toEqual(states[0])
  })

  it('a counted post taken out by a smaller id takes its score, replies and thread with it, and gives them back', async () => {
    const loser = tagged(post(), 9, [0, 2])
    const replyToLoser = reply(loser)
    const deeper = reply(replyToLoser)
    const upvote = tagged(vote(loser, 1), 20, [4])
    const winner = tagged(post(), 8, [0, 3])
    const orders = [[loser, replyToLoser, deeper, upvote, winner], [winner, deeper, replyToLoser, upvote, loser], [replyToLoser, winner, upvote, loser, deeper]]
    const seen: unknown[] = []
    for (const order of orders) {
      const { store } = await feedInOrder([], order)
      expect(hexIds(await store.feed('#lobby', { now: T0 }))).toEqual(hexIds([winner]))
      // the loser's replies wait under its id, as under any post this node does not have
      expect(hexIds(await store.thread(loser.id, T0))).toEqual(hexIds([replyToLoser, deeper]))
      // how waiting replies are filed depends on their order, as for any thread whose start is missing:
      // what reads show does not
      const tallies = await Promise.all(order.map(async p => await store.get(p.id, T0).then(e => e === undefined ? undefined : [e.score, e.replyCount])))
      seen.push({ tallies: order.map((p, i) => [toHex(p.id), tallies[i]]).sort(), ids: hexIds(await collect(store.ids('#lobby', T0))) })
      await store.close()
    }
    for (const s of seen) expect(s).toEqual(seen[0])
  })

  it('keeps at most CONFLICT_RETAINED envelopes per tag, the smallest ids', async () => {
    const { store } = await fresh()
    const many = Array.from({ length: CONFLICT_RETAINED + 3 }, (_, i) => tagged(post(), 100 - i, [0]))
    for (const p of many) await store.put(p, T0)
    const retained = await Promise.all(many.map(async p => await store.has(p.id)))
    expect(retained.filter(Boolean)).toHaveLength(CONFLICT_RETAINED)
    expect(hexIds(await store.feed('#lobby', { now: T0 }))).toEqual(hexIds([many.at(-1)!]))
    // one larger than every retained id is refused outright
    expect(await store.put(tagged(post(), 200, [0]), T0)).toBe('duplicate-tag')
    expect(await store.has(idOf(200, 0x5c))).toBe(false)
    await store.close()
  })

  it('a shadowed envelope is swept when it expires, and leaves nothing behind', async () => {
    const { db, store } = await fresh()
    const a = tagged(post({ expires: T0 + DAY }), 1, [0])
    const b = tagged(post({ expires: T0 + 60 }), 2, [0])
    await store.put(a, T0)
    expect(await store.put(b, T0)).toBe('duplicate-tag')
    expect(await store.sweep(T0 + 60)).toBe(1)
    expect(await store.has(b.id)).toBe(false)
    const shadow = Buffer.from('!shadow!').toString('hex')
    expect((await allEntries(db)).filter(e => e.includes(shadow))).toEqual([])
    await store.close()
  })
})

describe('conflict sets in random orders (property)', () => {
  /** Envelopes of one member: each a POST or a VOTE on a fixed parent, carrying one or two of the pool's tags. */
  const envelope = fc.record({
    id: fc.integer({ min: 1, max: 40 }),
    kind: fc.constantFrom('POST', 'VOTE-UP', 'VOTE-DOWN', 'REPLY'),
    scopes: fc.uniqueArray(fc.integer({ min: 0, max: SCOPES.length - 1 }), { minLength: 1, maxLength: 2 })
  })
  // within the bound the store retains per tag; past it a node keeps the smallest ids it saw (tested above)
  const conflictSet = fc.uniqueArray(envelope, { minLength: 2, maxLength: 8, selector: e => e.id })
    .filter(set => SCOPES.every((_, scope) => set.filter(e => e.scopes.includes(scope)).length <= CONFLICT_RETAINED))

  it('every order of a conflict set ends in the same state, the counted set resolveTagConflicts gives', async () => {
    await fc.assert(fc.asyncProperty(conflictSet, fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (set, seed) => {
      const parent = post({ id: idOf(9999, 0x01) })
      const posts = set.map(e => tagged(
        e.kind === 'POST' ? post() : e.kind === 'REPLY' ? reply(parent) : vote(parent, e.kind === 'VOTE-UP' ? 1 : -1),
        e.id, e.scopes))
      const counted = resolveTagConflicts(posts.map(p => ({ id: p.id, tags: p.links!.map(l => toHex(l.scope) + toHex(l.tag)).map(encode) })))
      const shuffled = shuffle(posts, seed)
      const first = await feedInOrder([parent], posts)
      const second = await feedInOrder([parent], shuffled)
      // the parent arriving last changes nothing either
      const third = await feedInOrder([], [...shuffle(posts, seed + 1), parent])
      expect(second.state).toEqual(first.state)
      expect(third.state).toEqual(first.state)
      const live = await Promise.all(posts.map(async p => await first.store.get(p.id, T0) !== undefined))
      expect(posts.filter((_, i) => live[i]).map(p => toHex(p.id)).sort()).toEqual(counted.map(p => toHex(p.id)).sort())
      const score = counted.reduce((sum, c) => sum + (posts.find(p => toHex(p.id) === toHex(c.id))?.vote ?? 0), 0)
      expect((await first.store.get(parent.id, T0))?.score ?? 0).toBe(score)
      await Promise.all([first.store.close(), second.store.close(), third.store.close()])
    }), { numRuns: 60 })
  })
})

/** A deterministic shuffle (mulberry32). */
function shuffle<T> (items: T[], seed: number): T[] {
  let state = seed >>> 0
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
