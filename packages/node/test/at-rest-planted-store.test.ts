/**
 * A plain store planted in place of a sealed one (issue 18, data at rest; S10R 1). Whoever can write the
 * data dir but not read its 0600 key (another local user with a hand on the directory, a disk handed back)
 * replaced `store/` with a plain LevelDB holding posts, own post ids and votes they chose, and deleted the
 * `store.sealed` marker: the old open took it for an earlier version's store and sealed it, so the user
 * read planted posts as their own history. Now a plain store is sealed only while the data dir's key is
 * made (an earlier version's store, before the key exists); once the key is there, a store whose records
 * do not open under it is refused (AtRestError ERR_PLAIN_STORE), never read nor sealed, marker or not, and
 * `murmur repair` (moveAside) sets it aside keeping nothing of it. Real LevelDB throughout.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dataDirKeys } from '../src/at-rest/sealed-file.js'
import { InStem } from '../src/in-stem.js'
import { openDatabase } from '../src/store/backend-node.js'
import { createPostStore } from '../src/store/index.js'
import { STORE_SEALED_MARKER } from '../src/store/sealing-migration.js'
import { T0, hexIds, idOf, post } from './store-fixtures.js'
import type { StoreDatabase, StoredPost } from '../src/store/index.js'

const CHANNEL = 'lobby'
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const

async function putAll (db: StoreDatabase, posts: StoredPost[]): Promise<void> {
  const store = createPostStore({ db })
  for (const p of posts) expect(await store.put(p, T0)).toBe('stored')
  await store.close()
}

/** Replaces `<dataDir>/store` with a plain LevelDB holding `posts` and an own post pending under `ownId`. */
async function plantPlainStore (dataDir: string, posts: StoredPost[], ownId: Uint8Array): Promise<void> {
  await rm(join(dataDir, 'store'), { recursive: true, force: true })
  const raw = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'store'), VIEW) as unknown as StoreDatabase
  await putAll(raw, posts)
  await raw.open()
  await (await InStem.open(raw)).add({ id: ownId, expires: Math.floor(Date.now() / 1000) + 3600, channel: CHANNEL, envelope: new TextEncoder().encode('planted envelope') })
  await raw.close()
}

/** The raw values of `<dataDir>/store`, read with no seal. */
async function rawValues (dataDir: string): Promise<string[]> {
  const raw = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'store'), VIEW)
  try {
    return (await raw.values().all()).map((value) => Buffer.from(value).toString('latin1'))
  } finally {
    await raw.close()
  }
}

describe('a plain store planted in place of the sealed one', () => {
  let dataDir: string
  const mine = post({ channel: CHANNEL, body: 'my own history' })
  const planted = post({ channel: CHANNEL, created: T0 + 1, body: 'words put in my mouth' })
  const plantedOwn = idOf(9, 0x9a)

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-planted-store-'))
    await putAll(await openDatabase(dataDir), [mine])
  })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  for (const marker of ['deleted', 'kept'] as const) {
    it(`is refused (ERR_PLAIN_STORE), never read nor sealed, with the store.sealed marker ${marker}`, async () => {
      await plantPlainStore(dataDir, [planted], plantedOwn)
      if (marker === 'deleted') await rm(join(dataDir, STORE_SEALED_MARKER))
      await expect(openDatabase(dataDir)).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_PLAIN_STORE', message: expect.stringContaining('murmur repair') })
      // still the planted plain bytes: nothing sealed them in place
      expect((await rawValues(dataDir)).some((value) => value.includes('words put in my mouth'))).toBe(true)
    })
  }

  it('murmur repair (moveAside) sets it aside and keeps nothing of it: no planted post, no planted own post', async () => {
    await plantPlainStore(dataDir, [planted], plantedOwn)
    await rm(join(dataDir, STORE_SEALED_MARKER))
    let aside = ''
    const db = await openDatabase(dataDir, { moveAside: (moved) => { aside = moved.aside } })
    expect(aside).toMatch(/store\.damaged-/)
    const store = createPostStore({ db })
    expect(hexIds(await store.feed(CHANNEL, { now: T0 + 10 }))).toEqual([])
    expect((await InStem.open(db)).pending()).toEqual([])
    await store.close()
    // and the next start opens the fresh store
    await (await openDatabase(dataDir)).close()
  })

  it('a sealed store of another data dir put in its place does not open (ERR_SEALED_DAMAGED)', async () => {
    const other = await mkdtemp(join(tmpdir(), 'murmur-other-'))
    try {
      await putAll(await openDatabase(other), [planted])
      await rm(join(dataDir, 'store'), { recursive: true })
      await import('node:fs/promises').then(async ({ cp }) => { await cp(join(other, 'store'), join(dataDir, 'store'), { recursive: true }) })
      await expect(openDatabase(dataDir)).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_SEALED_DAMAGED' })
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('the own store still opens, every time, with the user\'s history', async () => {
    for (let i = 0; i < 2; i++) {
      const store = createPostStore({ db: await openDatabase(dataDir) })
      expect(hexIds(await store.feed(CHANNEL, { now: T0 + 10 }))).toEqual(hexIds([mine]))
      await store.close()
    }
  })
})

describe('the plain store of an earlier version', () => {
  let dataDir: string
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'murmur-earlier-store-')) })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('is sealed while the key is made, also by a command that only reads the keys (murmur init), and read back by the next open', async () => {
    const old = post({ channel: CHANNEL, body: 'written before sealing' })
    await putAll(new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'store'), VIEW) as unknown as StoreDatabase, [old])
    await dataDirKeys(dataDir)
    expect((await rawValues(dataDir)).some((value) => value.includes('written before sealing'))).toBe(false)
    const store = createPostStore({ db: await openDatabase(dataDir) })
    expect(hexIds(await store.feed(CHANNEL, { now: T0 + 10 }))).toEqual(hexIds([old]))
    await store.close()
  })
})
