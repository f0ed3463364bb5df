/**
 * A plain secret file planted in a sealed data dir (issue 18, data at rest; S9A 1c): before, a file without
 * the seal's magic was taken for one of an earlier version, read as it was and sealed in place, so whoever
 * could write the data dir chose the member key, a circle's keys, the libp2p key or the author identity.
 * Now the files an earlier version left in plain are sealed once, while the key is made and before it is
 * used (a pending key file, crash-safe), and a plain file found later is refused (AtRestError
 * ERR_PLAIN_FILE), never read and never sealed in place, its marker deleted or not.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AT_REST_KEY_FILE, AT_REST_MARKER_FILE, AT_REST_PENDING_FILE, loadAtRestKey } from '../src/at-rest/key-file.js'
import { atRestKeys, newAtRestKey } from '../src/at-rest/seal.js'
import { NODE_SECRET_FILES, dataDirKeys, isSealedFile, readSealedFile, sealFileBytes, writeSealedFile } from '../src/at-rest/sealed-file.js'
import { wipeDataDir } from '../src/at-rest/wipe.js'
import { createPrivateRecordStorage } from '../src/membership/storage-file.js'
import { loadPeerKey, openMemberStorage } from '../src/platform/node.js'
import { STORE_SEALED_MARKER } from '../src/store/sealing-migration.js'

const IDENTITY = 'identity.json'
const SECRET_FILES = [...NODE_SECRET_FILES, IDENTITY]
const CHOSEN = new TextEncoder().encode('{"chosen":"by the attacker"}')
const memoryDb = (): MemoryLevel<Uint8Array, Uint8Array> => new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' })

async function expectPlainRefused (promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_PLAIN_FILE' })
}

describe('a plain secret file planted in a sealed data dir', () => {
  let dataDir: string
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-planted-'))
    const keys = await dataDirKeys(dataDir, { secretFiles: SECRET_FILES })
    await loadPeerKey(dataDir)
    await (await openMemberStorage(dataDir, memoryDb())).put('member-key', new TextEncoder().encode('the member key'))
    await writeSealedFile(dataDir, IDENTITY, new TextEncoder().encode('{"identity":"mine"}'), { keys })
  })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('is refused, never read nor sealed in place: member key, libp2p key, author identity, circle records', async () => {
    const planted = [join('membership', 'member-key'), 'peer.key', IDENTITY]
    for (const file of planted) await writeFile(join(dataDir, file), CHOSEN, { mode: 0o600 })
    await expectPlainRefused(openMemberStorage(dataDir, memoryDb()))
    await expectPlainRefused(loadPeerKey(dataDir))
    await expectPlainRefused(readSealedFile(dataDir, IDENTITY))
    const keys = await dataDirKeys(dataDir)
    const circles = async (): Promise<unknown> => await createPrivateRecordStorage({ dir: join(dataDir, 'circles'), seal: { keys, place: 'circles', hideNames: true } })
    // a circle under its own name, as an earlier version kept them; then one under a hidden name
    await mkdir(join(dataDir, 'circles'), { recursive: true, mode: 0o700 })
    await writeFile(join(dataDir, 'circles', 'friends.json'), CHOSEN, { mode: 0o600 })
    await expectPlainRefused(circles())
    await rm(join(dataDir, 'circles', 'friends.json'))
    await writeFile(join(dataDir, 'circles', `${'ab'.repeat(16)}.sealed`), CHOSEN, { mode: 0o600 })
    const records = await createPrivateRecordStorage({ dir: join(dataDir, 'circles'), seal: { keys, place: 'circles', hideNames: true } })
    await expectPlainRefused(records.get(`${'ab'.repeat(16)}.sealed`))
    // still the attacker's plain bytes: nothing adopted them
    for (const file of planted) expect(new Uint8Array(await readFile(join(dataDir, file))), file).toEqual(CHOSEN)
  })

  it('is refused with the marker deleted too: the key is there, so nothing is taken for an earlier version', async () => {
    await rm(join(dataDir, AT_REST_MARKER_FILE))
    await writeFile(join(dataDir, 'membership', 'member-key'), CHOSEN, { mode: 0o600 })
    await expectPlainRefused(openMemberStorage(dataDir, memoryDb()))
    expect(new Uint8Array(await readFile(join(dataDir, 'membership', 'member-key')))).toEqual(CHOSEN)
  })
})

describe('the plain files of an earlier version', () => {
  let dataDir: string
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-earlier-'))
    await mkdir(join(dataDir, 'membership'), { mode: 0o700 })
    await writeFile(join(dataDir, 'membership', 'member-key'), 'old member key', { mode: 0o600 })
    await writeFile(join(dataDir, IDENTITY), '{"identity":"old"}', { mode: 0o600 })
  })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('are sealed in place when the key is made, before it is used, and read back', async () => {
    const keys = await dataDirKeys(dataDir, { secretFiles: SECRET_FILES })
    for (const file of [join('membership', 'member-key'), IDENTITY]) expect(isSealedFile(await readFile(join(dataDir, file))), file).toBe(true)
    expect(new TextDecoder().decode(await (await openMemberStorage(dataDir, memoryDb())).get('member-key'))).toBe('old member key')
    expect(new TextDecoder().decode(await readSealedFile(dataDir, IDENTITY, keys))).toBe('{"identity":"old"}')
    // the store too is sealed from the key's creation: with none yet, it is marked sealed
    expect((await readdir(dataDir)).sort()).toEqual([AT_REST_KEY_FILE, AT_REST_MARKER_FILE, IDENTITY, 'membership', STORE_SEALED_MARKER])
  })

  it('read before anything made the key: the key is made first, so the file is sealed, then read', async () => {
    expect(new TextDecoder().decode(await readSealedFile(dataDir, 'membership/member-key'))).toBe('old member key')
    expect(isSealedFile(await readFile(join(dataDir, 'membership', 'member-key')))).toBe(true)
  })

  it('a creation killed halfway (pending key, one file sealed under it) is finished under that key', async () => {
    const pending = await newAtRestKey()
    await writeFile(join(dataDir, AT_REST_PENDING_FILE), pending, { mode: 0o600 })
    await writeFile(join(dataDir, IDENTITY), sealFileBytes(await atRestKeys(pending), IDENTITY, new TextEncoder().encode('{"identity":"old"}')), { mode: 0o600 })
    const keys = await dataDirKeys(dataDir, { secretFiles: SECRET_FILES })
    expect(await loadAtRestKey(dataDir)).toEqual(pending)
    expect(new TextDecoder().decode(await readSealedFile(dataDir, IDENTITY, keys))).toBe('{"identity":"old"}')
    expect(new TextDecoder().decode(await readSealedFile(dataDir, 'membership/member-key', keys))).toBe('old member key')
    expect(await readdir(dataDir)).not.toContain(AT_REST_PENDING_FILE)
  })

  it('a wipe during such a creation destroys the pending key too', async () => {
    await writeFile(join(dataDir, AT_REST_PENDING_FILE), await newAtRestKey(), { mode: 0o600 })
    const { keyDestroyed, dirRemoved } = await wipeDataDir(dataDir, { names: [IDENTITY] })
    expect(keyDestroyed).toBe(true)
    expect(dirRemoved).toBe(true)
  })
})
