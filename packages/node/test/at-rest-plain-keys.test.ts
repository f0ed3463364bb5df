/**
 * The store's scan for whole keys an earlier version kept in plain (own post ids, own votes; S9A 2) runs
 * once: it used to run on every open. The re-keyed records and the marker that the keys are sealed go in
 * one batch, so a crash in it leaves the plain keys and no marker, and the next open does it all again.
 */
import { MemoryLevel } from 'memory-level'
import { describe, expect, it, vi } from 'vitest'
import { atRestKeys, newAtRestKey } from '../src/at-rest/seal.js'
import { OwnVotes } from '../src/own-votes.js'
import { KEYS_SEALED_MARKER, openSealedDatabase } from '../src/store/sealed-database.js'
import type { SealedDatabase } from '../src/store/sealed-database.js'
import { idOf } from './store-fixtures.js'
import type { StoreDatabase } from '../src/store/index.js'

const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const

/** A store with one own vote under a plain key, as an earlier version kept it (no marker). */
async function earlierStore (): Promise<{ raw: StoreDatabase, keys: Awaited<ReturnType<typeof atRestKeys>>, voted: Uint8Array, plainKey: Uint8Array }> {
  const raw = new MemoryLevel<Uint8Array, Uint8Array>(VIEW) as unknown as StoreDatabase
  const keys = await atRestKeys(await newAtRestKey())
  const voted = idOf(4, 0xd4)
  const db = await openSealedDatabase(raw, keys) as unknown as SealedDatabase
  const plainKey = Buffer.concat([Buffer.from('!own-votes!'), voted])
  await new OwnVotes(db as unknown as StoreDatabase).add(voted, 1, Math.floor(Date.now() / 1000) + 3600)
  const sub = db.sublevel<Uint8Array, Uint8Array>('own-votes', VIEW)
  const value = (await sub.get(voted))!
  await sub.del(voted)
  await raw.put(plainKey, db.sealValue(plainKey, value))
  await raw.del(KEYS_SEALED_MARKER)
  await db.close()
  return { raw, keys, voted, plainKey }
}

describe('sealing the plain keys of an earlier store', () => {
  it('scans once: the open that seals them marks the store, and later opens read nothing for it', async () => {
    const { raw, keys, voted, plainKey } = await earlierStore()
    const scans = vi.spyOn(raw, 'iterator')
    const first = await openSealedDatabase(raw, keys)
    expect(scans.mock.calls.length).toBeGreaterThan(0)
    expect(await raw.get(plainKey)).toBeUndefined()
    expect(await raw.get(KEYS_SEALED_MARKER, VIEW)).toBeDefined()
    expect(await new OwnVotes(first).get(voted)).toBe(1)
    await first.close()
    scans.mockClear()
    const again = await openSealedDatabase(raw, keys)
    expect(scans.mock.calls.length).toBe(0)
    expect(await new OwnVotes(again).get(voted)).toBe(1)
    await again.close()
  })

  it('a crash in its batch leaves the plain keys and no marker, and the next open seals them', async () => {
    const { raw, keys, voted, plainKey } = await earlierStore()
    vi.spyOn(raw, 'batch').mockRejectedValueOnce(new Error('power cut'))
    await expect(openSealedDatabase(raw, keys)).rejects.toThrow('power cut')
    expect(await raw.get(plainKey)).toBeDefined()
    expect(await raw.get(KEYS_SEALED_MARKER, VIEW)).toBeUndefined()
    // the failed open left the database open: closed as a new process would find it
    await raw.close()
    const db = await openSealedDatabase(raw, keys)
    expect(await raw.get(plainKey)).toBeUndefined()
    expect(await raw.get(KEYS_SEALED_MARKER, VIEW)).toBeDefined()
    expect(await new OwnVotes(db).get(voted)).toBe(1)
    await db.close()
  })
})
