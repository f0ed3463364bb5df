/**
 * Issue 12, second read of the store fixes (F12e M2): demoting a REPLY that lost its link-tag conflict
 * read its whole thread to find the replies below it, even when nothing answers it. A member who signs a
 * ring reply and a second one with the same hour's tag (a backdated hour tag costs it nothing it would
 * use) made every holder of a thread of F replies decode all F, for each such pair: about 2,000 a week
 * per member, 84 ms a put at F = 1,000 and 327 ms at F = 4,000. A leaf is now demoted without reading
 * the thread; a reply with replies below it still moves them (store-refile-cost).
 */
import * as protocol from '@murmur/protocol'
import { describe, expect, it, vi } from 'vitest'
import { createPostStore } from '../src/store/index.js'
import { DAY, T0, hexIds, idOf, memoryDatabase, post, reply } from './store-fixtures.js'
import type { StoredPost } from '../src/store/index.js'

// the store's work, counted: every reply read while sweeping a thread is hex-encoded
vi.mock('@murmur/protocol', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>()
  return { ...original, toHex: vi.fn(original.toHex) }
})

/** Other replies in the thread. */
const F = 1_000
/** Hex encodings allowed for the whole conflicting put, whatever F (a leaf's demotion reads no thread). */
const WORK = 100

const scope = new TextEncoder().encode('scope hour 0 slot 0')
const tag = idOf(7, 0x7a)

/** A ring-signed REPLY of one member under `parent`, in the hour's slot its twin shares, with a chosen id. */
function ringReply (parent: StoredPost, id: number): StoredPost {
  const base = { ...reply(parent, { created: T0 + 10 }) }
  delete base.authorKey
  return { ...base, id: idOf(id, 0x5c), scope, tag, links: [{ scope, tag }] }
}

describe('a leaf reply losing its tag conflict', () => {
  it(`is demoted without reading its thread of ${F} replies`, async () => {
    const root = post({ created: T0, expires: T0 + DAY })
    const leaves = Array.from({ length: F }, (_, i) => reply(root, { created: T0 + 30 + i }))
    const loser = ringReply(root, 2)
    const store = createPostStore({ db: memoryDatabase() })
    for (const each of [root, ...leaves, loser]) expect(await store.put(each, T0 + 1000)).toBe('stored')
    const toHex = vi.mocked(protocol.toHex)
    toHex.mockClear()
    // the twin with the smaller id wins the tag: the loser is demoted
    expect(await store.put(ringReply(root, 1), T0 + 1000)).toBe('stored')
    // before the fix: about 3 per reply of the thread (3,000 here)
    expect(toHex.mock.calls.length).toBeLessThanOrEqual(WORK)

    const seen = await store.thread(root.id, T0 + 1000)
    expect(seen).toHaveLength(2 + F)
    expect(hexIds(seen)).not.toContain(protocol.toHex(loser.id))
    expect(seen[0]?.replyCount).toBe(1 + F)
    await store.close()
  }, 120_000)
})
