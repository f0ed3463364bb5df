/**
 * The crypto-erase of a data dir (issue 18, panic wipe), without a daemon: a wipe cut short right after the
 * key is destroyed leaves only ciphertext (no file holds a channel, a body, a key or a filter in plain) and a
 * data dir that refuses to start, saying to wipe again; the wipe then removes everything. A directory that
 * holds anything else, or whose store another handle has open, is refused with nothing removed. A secret
 * file of an earlier version is sealed when the key is made.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { destroyAtRestKey } from '../src/at-rest/key-file.js'
import { dataDirKeys, isSealedFile, readSealedFile, writeSealedFile } from '../src/at-rest/sealed-file.js'
import { wipeDataDir } from '../src/at-rest/wipe.js'
import { loadPeerKey, openMemberStorage } from '../src/platform/node.js'
import { openDatabase } from '../src/store/backend-node.js'
import { createPostStore } from '../src/store/index.js'
import { T0, post } from './store-fixtures.js'

const CELL = 'geo:u4pruydq'
const BODY = 'meet at the old lighthouse'
const WORD = 'marmalade'
const MEMBER_KEY = new TextEncoder().encode('member-secret-0123456789abcdef!!')

/** The files under `dir` holding any of `needles` in plain. */
async function plainHolders (dir: string, needles: Uint8Array[]): Promise<string[]> {
  const held: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const bytes = await readFile(join(entry.parentPath, entry.name))
    if (needles.some((needle) => bytes.includes(Buffer.from(needle)))) held.push(entry.name)
  }
  return held
}

describe('wiping a data dir', () => {
  let dataDir: string
  let needles: Uint8Array[]
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-wipe-'))
    const store = createPostStore({ db: await openDatabase(dataDir) })
    await store.put(post({ channel: CELL, body: BODY, envelope: new TextEncoder().encode(`envelope:${BODY}`) }), T0)
    await store.close()
    const peerKey = await loadPeerKey(dataDir)
    // the database is the storage of a node without a data dir only
    await (await openMemberStorage(dataDir, new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }))).put('member-key', MEMBER_KEY)
    await writeSealedFile(dataDir, 'filters.json', new TextEncoder().encode(JSON.stringify({ words: [WORD] })))
    const encode = (text: string): Uint8Array => new TextEncoder().encode(text)
    needles = [encode('u4pruydq'), encode('lighthouse'), encode(WORD), MEMBER_KEY, privateKeyToProtobuf(peerKey).subarray(4, 36)]
  })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('cut short after the key: only ciphertext is left, the data dir refuses to start, and a wipe finishes it', async () => {
    expect(await destroyAtRestKey(dataDir)).toBe(true)
    expect(await plainHolders(dataDir, needles)).toEqual([])
    await expect(openDatabase(dataDir)).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_AT_REST_KEY_MISSING' })
    await expect(readSealedFile(dataDir, 'filters.json')).rejects.toMatchObject({ code: 'ERR_AT_REST_KEY_MISSING' })
    await expect(loadPeerKey(dataDir)).rejects.toMatchObject({ code: 'ERR_AT_REST_KEY_MISSING' })
    const wiped = await wipeDataDir(dataDir, { names: ['filters.json'] })
    expect(wiped).toMatchObject({ keyDestroyed: false, keyAlreadyDestroyed: true, dirRemoved: true })
    await expect(readdir(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('destroys the key first and removes everything, the data dir included', async () => {
    const wiped = await wipeDataDir(dataDir, { names: ['filters.json'] })
    expect(wiped).toEqual({ keyDestroyed: true, keyAlreadyDestroyed: false, dirRemoved: true, removed: ['at-rest.key', 'at-rest.sealed', 'filters.json', 'membership', 'peer.key', 'store', 'store.sealed'] })
  })

  it('refuses a directory holding anything Murmur never writes, removing nothing', async () => {
    await expect(wipeDataDir(dataDir)).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_NOT_A_DATA_DIR', message: expect.stringContaining('"filters.json"') })
    await writeFile(join(dataDir, 'thesis.pdf'), 'years of work')
    await expect(wipeDataDir(dataDir, { names: ['filters.json'] })).rejects.toMatchObject({ code: 'ERR_NOT_A_DATA_DIR', message: expect.stringContaining('"thesis.pdf"') })
    expect((await readdir(dataDir)).sort()).toEqual(['at-rest.key', 'at-rest.sealed', 'filters.json', 'membership', 'peer.key', 'store', 'store.sealed', 'thesis.pdf'])
  })

  it('with the store open elsewhere, destroys the key at once and removes nothing else; a wipe once it is closed finishes', async () => {
    const db = await openDatabase(dataDir)
    try {
      await expect(wipeDataDir(dataDir, { names: ['filters.json'] })).rejects.toMatchObject({ code: 'ERR_DATA_DIR_IN_USE', message: expect.stringContaining('the at-rest key is destroyed') })
      expect((await readdir(dataDir)).sort()).toEqual(['at-rest.sealed', 'filters.json', 'membership', 'peer.key', 'store', 'store.sealed'])
      expect(await plainHolders(dataDir, needles)).toEqual([])
    } finally {
      await db.close()
    }
    expect(await wipeDataDir(dataDir, { names: ['filters.json'] })).toMatchObject({ keyDestroyed: false, dirRemoved: true })
  })

  it('a secret file of an earlier version is sealed in place when the key is made, and reads back', async () => {
    const earlier = await mkdtemp(join(tmpdir(), 'murmur-earlier-'))
    try {
      await writeFile(join(earlier, 'channels.json'), `{"channels":["${CELL}"]}\n`, { mode: 0o600 })
      const keys = await dataDirKeys(earlier, { secretFiles: ['channels.json'] })
      expect(isSealedFile(await readFile(join(earlier, 'channels.json')))).toBe(true)
      expect(new TextDecoder().decode(await readSealedFile(earlier, 'channels.json', keys))).toBe(`{"channels":["${CELL}"]}\n`)
    } finally {
      await rm(earlier, { recursive: true, force: true })
    }
  })
})
