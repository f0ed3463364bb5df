import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPostStore } from '../src/store/index.js'
import { TAG_RETENTION } from '../src/store/constants.js'
import { BACKENDS, DAY, FaultyLevel, T0, allEntries, allKeys, countReads, hexIds, memoryDb, openStore, post, reply, vote } from './store-fixtures.js'
import type { PostStore, StoreDatabase, StoredPost } from '../src/store/index.js'

type Name = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'V'
type Thread = Record<Name, StoredPost>

const NAMES: Name[] = ['A', 'B', 'C', 'D', 'E', 'F', 'V']
/** Parents before children: the order in which nothing is ever an orphan. */
const IN_ORDER: Name[] = NAMES

/**
 * The POST A, the chain A ← B ← C ← D, the sibling branch B ← E ← F and a vote on C, with created
 * times that interleave the branches (thread order B, E, C, F, D). `expires` may set each post's expiry.
 */
function buildThread (expires: Partial<Record<Name, number>> = {}): Thread {
  const at = (name: Name, created: number): Partial<StoredPost> => ({ created, expires: expires[name] ?? created + DAY })
  const A = post(at('A', T0))
  const B = reply(A, at('B', T0 + 10))
  const C = reply(B, at('C', T0 + 20))
  const D = reply(C, at('D', T0 + 40))
  const E = reply(B, at('E', T0 + 15))
  const F = reply(E, at('F', T0 + 30))
  const V = vote(C, 1, at('V', T0 + 50))
  return { A, B, C, D, E, F, V }
}

async function putInOrder (store: PostStore, t: Thread, order: Name[]): Promise<void> {
  for (const name of order) expect(await store.put(t[name], T0), name).toBe('stored')
}

/** The whole thread is filed under A, every count is right, and no reply holds a thread of its own. */
async function expectWholeThread (store: PostStore, t: Thread): Promise<void> {
  const thread = await store.thread(t.A.id, T0)
  expect(hexIds(thread)).toEqual(hexIds([t.A, t.B, t.E, t.C, t.F, t.D]))
  for (const entry of thread.slice(1)) expect(Buffer.from(entry.root ?? [])).toEqual(Buffer.from(t.A.id))
  expect(thread.map(e => e.replyCount)).toEqual([5, 2, 1, 1, 0, 0])
  expect(thread.map(e => e.score)).toEqual([0, 0, 0, 1, 0, 0])
  for (const name of ['B', 'C', 'D', 'E', 'F'] as const) {
    expect(hexIds(await store.thread(t[name].id, T0))).toEqual(hexIds([t[name]]))
  }
}

describe.each(BACKENDS)('threads on $name', (backend) => {
  let db: StoreDatabase
  let store: PostStore
  let close: () => Promise<void>

  beforeEach(async () => { ({ db, store, close } = await openStore(backend)) })

  afterEach(async () => { await close() })

  it('keeps a reply under its missing parent, then files it in the thread once the parent arrives', async () => {
    const t = buildThread()
    await putInOrder(store, t, ['C', 'D', 'A'])
    expect((await store.get(t.C.id, T0))?.root).toEqual(t.B.id)
    expect((await store.get(t.D.id, T0))?.root).toEqual(t.B.id)
    expect(hexIds(await store.thread(t.A.id, T0))).toEqual(hexIds([t.A]))
    expect(hexIds(await store.thread(t.B.id, T0))).toEqual(hexIds([t.C, t.D]))

    await putInOrder(store, t, ['B'])
    expect(hexIds(await store.thread(t.A.id, T0))).toEqual(hexIds([t.A, t.B, t.C, t.D]))
    expect((await store.get(t.C.id, T0))?.root).toEqual(t.A.id)
    expect((await store.get(t.D.id, T0))?.root).toEqual(t.A.id)
    expect(await store.thread(t.B.id, T0)).toMatchObject([{ replyCount: 1 }])
    expect(await store.get(t.A.id, T0)).toMatchObject({ replyCount: 3 })
  })

  it.each([
    ['leaves first', ['D', 'C', 'B', 'A', 'F', 'E', 'V']],
    ['the POST in the middle', ['C', 'A', 'D', 'B', 'V', 'F', 'E']],
    ['the POST last', ['F', 'D', 'V', 'B', 'C', 'E', 'A']],
    ['parents first', IN_ORDER]
  ] as Array<[string, Name[]]>)('files the whole thread under its POST when %s', async (_, order) => {
    const t = buildThread()
    await putInOrder(store, t, order)
    await expectWholeThread(store, t)
  })

  it('does not trust a root given with the reply', async () => {
    const t = buildThread()
    await putInOrder(store, t, ['A', 'B'])
    // what a caller that looked the parent up before B was stored would pass
    expect(await store.put({ ...t.C, root: t.B.id }, T0)).toBe('stored')
    expect((await store.get(t.C.id, T0))?.root).toEqual(t.A.id)
    expect(hexIds(await store.thread(t.A.id, T0))).toEqual(hexIds([t.A, t.B, t.C]))
  })

  it('keeps a reply to a vote apart under the vote, whichever arrives first', async () => {
    const t = buildThread()
    const early = reply(t.V, { created: T0 + 60 })
    await putInOrder(store, t, ['A', 'B', 'C'])
    expect(await store.put(early, T0)).toBe('stored')
    expect(await store.put(t.V, T0)).toBe('stored')
    const late = reply(t.V, { created: T0 + 70 })
    expect(await store.put(late, T0)).toBe('stored')
    expect(hexIds(await store.thread(t.V.id, T0))).toEqual(hexIds([t.V, early, late]))
    expect(hexIds(await store.thread(t.A.id, T0))).toEqual(hexIds([t.A, t.B, t.C]))
  })

  it.each([
    ['the parent before its replies', { B: T0 + 100, A: T0 + 200, C: T0 + 300, D: T0 + 400 }],
    ['the POST first', { A: T0 + 100, D: T0 + 200, B: T0 + 300, C: T0 + 400 }],
    ['the leaves first', { D: T0 + 100, C: T0 + 200, B: T0 + 300, A: T0 + 400 }]
  ] as Array<[string, Partial<Record<Name, number>>]>)('sweeps a re-filed chain to nothing, %s', async (_, expires) => {
    const t = buildThread(expires)
    await putInOrder(store, t, ['D', 'C', 'B', 'A'])
    const times = Object.entries(expires).sort(([, a], [, b]) => a - b)
    const alive = new Set<string>(['A', 'B', 'C', 'D'])
    for (const [name, time] of times) {
      expect(await store.sweep(time)).toBe(1)
      alive.delete(name)
      const replies = ['B', 'C', 'D'].filter(n => alive.has(n))
      const expected = [...(alive.has('A') ? [t.A] : []), ...replies.map(n => t[n as Name])]
      expect(hexIds(await store.thread(t.A.id, time))).toEqual(hexIds(expected))
      if (alive.has('A')) expect((await store.get(t.A.id, time))?.replyCount).toBe(replies.length)
    }
    expect(await allKeys(db)).toEqual([])
  })
})

describe('thread filing in any arrival order', () => {
  const offset = fc.integer({ min: 100, max: 10_000 })
  const expiries = fc.uniqueArray(offset, { minLength: NAMES.length, maxLength: NAMES.length })
  const orders = fc.shuffledSubarray(NAMES, { minLength: NAMES.length })

  it('ends with the same thread and the same database as in order, through every sweep', async () => {
    await fc.assert(fc.asyncProperty(orders, expiries, async (order, offsets) => {
      const expires = Object.fromEntries(NAMES.map((name, i) => [name, T0 + (offsets[i] ?? 0)]))
      const t = buildThread(expires)
      const reference = memoryDb()
      const shuffled = memoryDb()
      const stores = [createPostStore({ db: reference }), createPostStore({ db: shuffled })] as const
      try {
        await putInOrder(stores[0], t, IN_ORDER)
        await putInOrder(stores[1], t, order)
        await expectWholeThread(stores[1], t)
        expect(await allEntries(shuffled)).toEqual(await allEntries(reference))

        for (const offset of [...offsets].sort((a, b) => a - b)) {
          const swept = await Promise.all(stores.map(async s => s.sweep(T0 + offset)))
          expect(swept).toEqual([1, 1])
          expect(await allEntries(shuffled)).toEqual(await allEntries(reference))
        }
        // the member's vote V holds its tag until TAG_RETENTION past its time; then nothing is left
        expect(await Promise.all(stores.map(async s => s.sweep(t.V.created + TAG_RETENTION)))).toEqual([0, 0])
        expect(await allKeys(shuffled)).toEqual([])
        expect(await allKeys(reference)).toEqual([])
      } finally {
        await Promise.all(stores.map(async s => s.close()))
      }
    }), { numRuns: 300 })
  }, 120_000)
})

describe('re-filing durability and cost', () => {
  const stores: PostStore[] = []
  afterEach(async () => {
    await Promise.all(stores.splice(0).map(async s => s.close()))
  })

  it('re-files in the batch of the post itself, and leaves everything as it was when that batch fails', async () => {
    const db = new FaultyLevel()
    const store = createPostStore({ db })
    stores.push(store)
    const t = buildThread()
    await putInOrder(store, t, ['A', 'D', 'C', 'E', 'F'])
    const before = await allEntries(db)
    const writes = db.writes.length

    db.failures = 1
    await expect(store.put(t.B, T0)).rejects.toThrow('simulated disk failure')
    expect(await allEntries(db)).toEqual(before)
    expect(await store.has(t.B.id)).toBe(false)
    expect(hexIds(await store.thread(t.B.id, T0))).toEqual(hexIds([t.E, t.C, t.F, t.D]))

    expect(await store.put(t.B, T0)).toBe('stored')
    await putInOrder(store, t, ['V'])
    await expectWholeThread(store, t)
    // the failed and the successful put of B each were one batch: B's own 4 entries, its arrival
    // entry and class, the channel's usage (total and class) and the root's tally, and 3 writes per
    // re-filed reply (record, old and new thread entry); then V, a member's vote, in one batch of 12
    // (as in store-durability)
    expect(db.writes.slice(writes)).toEqual(['batch:21', 'batch:21', 'batch:12'])
  })

  it('reads only the replies filed under the new post, not the rest of the store', async () => {
    const db = memoryDb()
    const store = createPostStore({ db })
    stores.push(store)
    const others = Array.from({ length: 50 }, () => post())
    await Promise.all(others.map(async p => store.put(p, T0)))
    for (const p of others) for (let i = 0; i < 10; i++) await store.put(reply(p, { created: T0 + i }), T0)
    const t = buildThread()
    await putInOrder(store, t, ['A', 'C', 'D', 'E', 'F', 'V'])

    const reads = countReads(db)
    expect(await store.put(t.B, T0)).toBe('stored')
    expect(reads.entries).toBe(4)
    // B and its parent, the 4 orphans' records, the tallies of A and B, and the channel's usage
    expect(reads.lookups).toBeLessThanOrEqual(2 + 4 + 2 + 2)
    await expectWholeThread(store, t)
  })
})
