/**
 * The store sealed at rest (issue 18, panic wipe): no file of a data dir names a channel or holds a body
 * or an envelope in plain; a store of an earlier version is sealed on the first open without losing a post,
 * also when the process is killed (SIGKILL) after any step of the sealing; a record moved to another key,
 * or a data dir whose key was destroyed, does not open.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { killedAfter } from './killed-child.js'
import { destroyAtRestKey } from '../src/at-rest/key-file.js'
import { openDatabase } from '../src/store/backend-node.js'
import { createPostStore } from '../src/store/index.js'
import { PLAIN_ASIDE_DIRECTORY, SEALING_DIRECTORY, SEALING_DONE_MARKER, STORE_SEALED_MARKER } from '../src/store/sealing-migration.js'
import { postScope } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { atRestKeys, newAtRestKey } from '../src/at-rest/seal.js'
import { openPostCounters } from '../src/membership/post-counters.js'
import { KEYS_SEALED_MARKER, openSealedDatabase } from '../src/store/sealed-database.js'
import type { SealedDatabase } from '../src/store/sealed-database.js'
import { BROWSER_SEALED_MARKER, isSealedStore, sealBrowserStore } from '../src/store/sealing-browser.js'
import { InStem } from '../src/in-stem.js'
import { OwnVotes } from '../src/own-votes.js'
import { OwnFrames } from '../src/circle/own-frames.js'
import { frameId } from '../src/circle/frame-store.js'
import { T0, hexIds, idOf, post, reply } from './store-fixtures.js'
import type { StoreDatabase, StoredPost } from '../src/store/index.js'

const PLACE = 'geo:u4pruydq'
const SECRET_CHANNEL = '#quietharbour'
const BODY = 'meet at the old lighthouse'

/** Every file under `dir`, with its bytes. */
async function filesUnder (dir: string): Promise<Array<{ path: string, bytes: Buffer }>> {
  const out: Array<{ path: string, bytes: Buffer }> = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...await filesUnder(path))
    else out.push({ path, bytes: await readFile(path) })
  }
  return out
}

/** The files of `dir` holding any of `needles` in plain. */
async function plainHolders (dir: string, needles: Array<string | Uint8Array>): Promise<string[]> {
  const held: string[] = []
  for (const { path, bytes } of await filesUnder(dir)) {
    if (needles.some((needle) => bytes.includes(typeof needle === 'string' ? Buffer.from(needle) : Buffer.from(needle)))) held.push(path)
  }
  return held
}

/** Posts in two telling channels, a reply among them, envelopes that carry the body in plain. */
function telling (): StoredPost[] {
  const envelope = (text: string): Uint8Array => new TextEncoder().encode(`envelope:${text}`)
  const root = post({ channel: PLACE, body: BODY, envelope: envelope(BODY) })
  return [
    root,
    reply(root, { root: root.id, body: `${BODY}, at nine`, envelope: envelope(`${BODY}, at nine`) }),
    post({ channel: SECRET_CHANNEL, body: BODY, envelope: envelope(`${BODY} (2)`) })
  ]
}

async function putAll (db: StoreDatabase, posts: StoredPost[]): Promise<void> {
  const store = createPostStore({ db })
  for (const p of posts) expect(await store.put(p, T0)).toBe('stored')
  await store.close()
}

/** What the store of `dataDir` holds: the feed of each channel, the threads, the usage's channels. */
async function readBack (dataDir: string, posts: StoredPost[]): Promise<void> {
  const store = createPostStore({ db: await openDatabase(dataDir) })
  try {
    expect(hexIds(await store.feed(PLACE, { now: T0 })).slice(-1)).toEqual(hexIds([posts[0]!]))
    expect(hexIds(await store.feed(SECRET_CHANNEL, { now: T0 }))).toEqual(hexIds([posts[2]!]))
    expect(hexIds(await store.thread(posts[0]!.id, T0))).toEqual(hexIds([posts[0]!, posts[1]!]))
    expect((await store.get(posts[0]!.id, T0))?.replyCount).toBe(1)
    expect([...(await store.usage()).keys()].sort()).toEqual([PLACE, SECRET_CHANNEL].sort())
  } finally {
    await store.close()
  }
}

/** A store as an earlier version wrote it: plain LevelDB in `<dataDir>/store`. */
async function plainStore (dataDir: string, posts: StoredPost[]): Promise<void> {
  await putAll(new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'store'), { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as StoreDatabase, posts)
}

/** Makes the key of `dataDir` in a child process that kills itself (SIGKILL) right after `step` of the store's sealing. */
async function sealKilledAfter (dataDir: string, step: string): Promise<void> {
  await killedAfter('seal-child', `
    import { dataDirKeys } from '../at-rest/sealed-file.ts'
    await dataDirKeys(process.argv[2], { storeSealing: {
      onStep: (step) => { if (step === process.argv[3]) process.kill(process.pid, 'SIGKILL') }
    } })`, dataDir, step)
}

describe('the store sealed at rest', () => {
  let dataDir: string
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'murmur-at-rest-')) })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('names no channel (keys, tag scopes, member counters) and holds no body or envelope in plain in any file, and reads everything back', async () => {
    const posts = telling()
    // a ring-signed post: its link tag's scope names the channel's topic
    const scope = postScope(`murmur/2/${PLACE}`, 472_222, 0)
    const ringed = post({ channel: PLACE, created: T0 + 5, scope, tag: idOf(7, 0x5c), envelope: new TextEncoder().encode('envelope:ringed') })
    ringed.links = [{ scope, tag: ringed.tag! }]
    await putAll(await openDatabase(dataDir), [...posts, ringed])
    const now = Math.floor(Date.now() / 1000)
    const counted = await openDatabase(dataDir)
    expect((await (await openPostCounters({ db: counted })).take(`murmur/2/${PLACE}`, now)).epoch).toBe(0)
    await counted.close()
    // LevelDB compresses tables with Snappy, which keeps short strings as literals: a plain store shows them
    // (post ids stay readable in keys: they are public, see sealed-database.ts)
    expect(await plainHolders(dataDir, ['u4pruydq', 'quietharbour', 'lighthouse', ...posts.map((p) => p.envelope)])).toEqual([])
    await readBack(dataDir, posts)
    const again = await openDatabase(dataDir)
    const store = createPostStore({ db: again })
    expect(await store.hasTag(scope, ringed.tag!)).toBe(true)
    // the counter read back under its topic: this hour's second post
    expect((await (await openPostCounters({ db: again })).take(`murmur/2/${PLACE}`, now)).epoch).toBe(1)
    await store.close()
  })

  it('a plain store of an earlier version is sealed on the first open, every post kept and no plain copy left', async () => {
    const posts = telling()
    await plainStore(dataDir, posts)
    expect(await plainHolders(dataDir, ['u4pruydq', 'quietharbour', 'lighthouse'])).not.toEqual([])
    await readBack(dataDir, posts)
    expect(await plainHolders(dataDir, ['u4pruydq', 'quietharbour', 'lighthouse'])).toEqual([])
    expect((await readdir(dataDir)).sort()).toEqual(['at-rest.key', 'at-rest.sealed', 'store', STORE_SEALED_MARKER])
  })

  for (const step of ['copied', 'marked', 'swapped']) {
    it(`a sealing killed after "${step}" leaves the plain store or the sealed one, and the next open has every post`, async () => {
      const posts = telling()
      await plainStore(dataDir, posts)
      await sealKilledAfter(dataDir, step)
      const names = await readdir(dataDir)
      expect(names).not.toContain(STORE_SEALED_MARKER)
      expect(names.includes(SEALING_DONE_MARKER)).toBe(step !== 'copied')
      await readBack(dataDir, posts)
      expect((await readdir(dataDir)).filter((name) => [SEALING_DIRECTORY, SEALING_DONE_MARKER, PLAIN_ASIDE_DIRECTORY].includes(name))).toEqual([])
      expect(await plainHolders(dataDir, ['u4pruydq', 'quietharbour', 'lighthouse'])).toEqual([])
    })
  }

  it('a value moved to another key does not open, and nothing opens once the key is destroyed', async () => {
    const posts = telling()
    await putAll(await openDatabase(dataDir), posts)
    const raw = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'store'), { keyEncoding: 'view', valueEncoding: 'view' })
    const posts_ = new TextEncoder().encode('!store!!posts!')
    const entries = await raw.iterator({ gt: posts_, lt: new TextEncoder().encode('!store!!posts"'), limit: 2 }).all()
    await raw.put(entries[0]![0], entries[1]![1])
    await raw.close()
    const db = await openDatabase(dataDir)
    await expect(db.get(entries[0]![0])).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_SEALED_DAMAGED' })
    await db.close()
    expect(await destroyAtRestKey(dataDir)).toBe(true)
    await expect(openDatabase(dataDir)).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_AT_REST_KEY_MISSING' })
  })

  it('a browser store of an earlier version is sealed in place in one batch (memory-level standing in for IndexedDB)', async () => {
    const posts = telling()
    const raw = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as StoreDatabase
    const store = createPostStore({ db: raw })
    for (const p of posts) expect(await store.put(p, T0)).toBe('stored')
    const keys = await atRestKeys(await newAtRestKey())
    expect(await isSealedStore(raw)).toBe(false)
    await sealBrowserStore(raw, keys)
    expect(await isSealedStore(raw)).toBe(true)
    const text = (await raw.iterator().all()).map(([key, value]) => Buffer.concat([Buffer.from(key), Buffer.from(value)])).filter((bytes) => bytes.includes('u4pruydq') || bytes.includes('lighthouse'))
    expect(text).toEqual([])
    const sealed = createPostStore({ db: await openSealedDatabase(raw, keys) })
    expect(hexIds(await sealed.feed(PLACE, { now: T0 }))).toEqual(hexIds([posts[0]!]))
    expect(hexIds(await sealed.thread(posts[0]!.id, T0))).toEqual(hexIds([posts[0]!, posts[1]!]))
    // sealing again is nothing: the marker says it is done
    const before = (await raw.iterator().all()).length
    await sealBrowserStore(raw, keys)
    expect((await raw.iterator().all()).length).toBe(before)
    expect([...(await raw.get(BROWSER_SEALED_MARKER))!]).toEqual([0])
    await sealed.close()
  })

  it('files own posts, votes and circle frames under no id in plain: they are found, listed and deleted by id through the seal', async () => {
    const raw = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as StoreDatabase
    const keys = await atRestKeys(await newAtRestKey())
    const db = await openSealedDatabase(raw, keys)
    const expires = Math.floor(Date.now() / 1000) + 3600
    const [mine, voted] = [idOf(1, 0xa1), idOf(2, 0xb2)]
    const frame = new TextEncoder().encode('an own circle frame')
    const inStem = await InStem.open(db)
    await inStem.add({ id: mine, expires, channel: SECRET_CHANNEL, envelope: new TextEncoder().encode('envelope') })
    await inStem.sent(mine)
    await new OwnVotes(db).add(voted, 1, expires)
    await (await OwnFrames.open(db, expires - 3600)).add({ postId: mine, frame, expires })
    // an attacker's reading of the raw database: every key and value, the ids searched in any encoding
    const rawBytes = async (): Promise<Buffer> => Buffer.concat((await raw.iterator().all()).flatMap(([key, value]) => [Buffer.from(key), Buffer.from(value)]))
    const ids = [mine, voted, frameId(frame)]
    const named = (bytes: Buffer): boolean => ids.some((id) => [Buffer.from(id), Buffer.from(Buffer.from(id).toString('hex')), Buffer.from(Buffer.from(id).toString('base64'))].some((needle) => bytes.includes(needle)))
    expect(named(await rawBytes())).toBe(false)
    // a restart finds each by its id
    const again = await InStem.open(db)
    expect(again.inTransit().map((p) => Buffer.from(p.id).toString('hex'))).toEqual([Buffer.from(mine).toString('hex')])
    expect(await new OwnVotes(db).get(voted)).toBe(1)
    const frames = await OwnFrames.open(db, expires - 3600)
    expect(frames.get(frame)?.postId).toEqual(mine)
    // and deletes each by its id: nothing of the three sublevels is left
    again.drop(mine)
    await again.flush()
    await new OwnVotes(db).remove(voted)
    await frames.done(frame)
    const left = (await raw.iterator().all()).filter(([key]) => /^!(own-pending|own-votes|circle-own-pending)!/.test(Buffer.from(key).toString('latin1')))
    expect(left).toEqual([])
    await db.close()
  })

  it('a sealed store of an earlier version that kept own post ids in plain keys has them sealed on open, the records kept', async () => {
    const raw = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as StoreDatabase
    const keys = await atRestKeys(await newAtRestKey())
    const [mine, voted, damaged] = [idOf(3, 0xc3), idOf(4, 0xd4), idOf(5, 0xe5)]
    const expires = Math.floor(Date.now() / 1000) + 3600
    const earlier = await openSealedDatabase(raw, keys)
    await (await InStem.open(earlier)).add({ id: mine, expires, channel: SECRET_CHANNEL, envelope: new TextEncoder().encode('envelope') })
    await new OwnVotes(earlier).add(voted, -1, expires)
    await earlier.close()
    // written again as the earlier version kept them: the id in plain in the key, the value sealed for that key
    const reopened = await openSealedDatabase(raw, keys) as unknown as SealedDatabase
    const plainKeyed = async (prefix: string, id: Uint8Array): Promise<void> => {
      const sub = reopened.sublevel<Uint8Array, Uint8Array>(prefix, { keyEncoding: 'view', valueEncoding: 'view' })
      const value = (await sub.get(id))!
      await sub.del(id)
      const key = Buffer.concat([Buffer.from(`!${prefix}!`), id])
      await raw.put(key, reopened.sealValue(key, value))
    }
    await plainKeyed('own-pending', mine)
    await plainKeyed('own-votes', voted)
    await raw.put(Buffer.concat([Buffer.from('!own-pending!'), damaged]), new Uint8Array(60))
    // and without the marker that its keys are sealed, as an earlier version had none
    await raw.del(KEYS_SEALED_MARKER)
    const named = async (): Promise<boolean> => (await raw.iterator().all()).some(([key]) => [mine, voted, damaged].some((id) => Buffer.from(key).includes(Buffer.from(id))))
    expect(await named()).toBe(true)
    await reopened.close()
    const db = await openSealedDatabase(raw, keys)
    expect(await named()).toBe(false)
    expect((await InStem.open(db)).pending().map((p) => Buffer.from(p.id).toString('hex'))).toEqual([Buffer.from(mine).toString('hex')])
    expect(await new OwnVotes(db).get(voted)).toBe(-1)
    await db.close()
  })
})
