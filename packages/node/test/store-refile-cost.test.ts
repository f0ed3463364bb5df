/**
 * Issue 12, final read H1: a tag conflict must not re-file a thread in quadratic time. A member posts a
 * ring-signed REPLY P, then a chain of D cheap replies under it (C1 under P, C2 under C1, …) dated
 * backwards, then a second ring reply P′ with P's tag and a smaller id: P loses the conflict and is
 * taken out, and every reply below it goes back to waiting under P's id. Finding those replies swept the
 * whole thread (F replies) once per reply of the chain (they are in (created, id) order, the chain's
 * reverse): D × F steps with two hex encodings each, on the event loop of every node holding the thread,
 * again for every conflict. The work must stay linear in the thread.
 */
import * as protocol from '@murmur/protocol'
import { describe, expect, it, vi } from 'vitest'
import { createPostStore } from '../src/store/index.js'
import { DAY, T0, hexIds, idOf, memoryDatabase, post, reply } from './store-fixtures.js'
import type { PostStore, StoredPost } from '../src/store/index.js'

// the store's work, counted: the old sweep hex-encoded two ids per step
vi.mock('@murmur/protocol', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>()
  return { ...original, toHex: vi.fn(original.toHex) }
})

/** Replies in the chain under P. */
const D = 400
/** Other replies in the thread, answering its root. */
const LEAVES = 100
/** Hex encodings allowed per reply of the thread for the whole conflicting put (measured: 7 after the fix, 646 before). */
const PER_REPLY = 12

const scope = new TextEncoder().encode('scope hour 0 slot 0')
const tag = idOf(7, 0x7a)

/** A ring-signed REPLY of one member under `parent`, in the hour's slot shared by P and P′, with a chosen id. */
function ringReply (parent: StoredPost, id: number): StoredPost {
  const base = { ...reply(parent, { created: T0 + 10 }) }
  delete base.authorKey
  return { ...base, id: idOf(id, 0x5c), scope, tag, links: [{ scope, tag }] }
}

interface Thread { root: StoredPost, p: StoredPost, chain: StoredPost[], leaves: StoredPost[], winner: StoredPost }

function thread (): Thread {
  const root = post({ created: T0, expires: T0 + DAY })
  const p = ringReply(root, 2)
  // dated backwards down the chain: (created, id) order is the chain's reverse
  const chain: StoredPost[] = []
  for (let i = 0; i < D; i++) chain.push(reply(chain[i - 1] ?? p, { created: T0 + 20 + D - i }))
  const leaves = Array.from({ length: LEAVES }, (_, i) => reply(root, { created: T0 + 30 + D + i }))
  return { root, p, chain, leaves, winner: ringReply(root, 1) }
}

async function storeOf (posts: StoredPost[]): Promise<PostStore> {
  const store = createPostStore({ db: memoryDatabase() })
  for (const each of posts) expect(await store.put(each, T0 + 1000)).toBe('stored')
  return store
}

describe('a tag conflict re-files a thread in linear time', () => {
  it(`a ring reply with a backwards chain of ${D} replies below it loses its tag: the work is linear in the thread`, async () => {
    const t = thread()
    const store = await storeOf([t.root, t.p, ...t.chain, ...t.leaves])
    const toHex = vi.mocked(protocol.toHex)
    toHex.mockClear()
    expect(await store.put(t.winner, T0 + 1000)).toBe('stored')
    const work = toHex.mock.calls.length
    const replies = 1 + D + LEAVES
    // the old sweep: about 2 × D × replies encodings (about 400,000 here)
    expect(work).toBeLessThanOrEqual(PER_REPLY * replies)

    // the outcome is the store's whatever the order: as if P′ had come first
    const first = await storeOf([t.root, t.winner])
    for (const each of [t.p, ...t.chain, ...t.leaves]) await first.put(each, T0 + 1000)
    const seen = await store.thread(t.root.id, T0 + 1000)
    expect(hexIds(seen)).toEqual(hexIds(await first.thread(t.root.id, T0 + 1000)))
    // P is shadowed, its chain waits under its id: the thread holds the root, P′ and the leaves
    expect(seen).toHaveLength(2 + LEAVES)
    expect(seen[0]?.replyCount).toBe(1 + LEAVES)
    expect(await store.thread(t.p.id, T0 + 1000)).toHaveLength(D)
    await Promise.all([store.close(), first.close()])
  }, 120_000)
})
