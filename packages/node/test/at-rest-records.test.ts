/**
 * Private records sealed at rest (issue 18): a circle's name shows in no file name or file of its folder
 * (files are named by a keyed hash, the name sealed inside), the records read back by name; records of an
 * earlier version (plain, named by their name) are sealed and renamed when the storage is created;
 * fixed-name records (the member key) keep their names, their bytes sealed.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dataDirKeys, isSealedFile } from '../src/at-rest/sealed-file.js'
import { createFileMemberStorage, createPrivateRecordStorage } from '../src/membership/storage-file.js'

const hexOf = (text: string): string => Buffer.from(text).toString('hex')

describe('private records sealed at rest', () => {
  let dataDir: string
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'murmur-records-')) })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('hides record names: no file names or holds them, and they read back by name', async () => {
    const dir = join(dataDir, 'circles')
    // one written before sealing: plain, named by its name (sealed in place when the key is made)
    await (await createPrivateRecordStorage({ dir })).put(`${hexOf('old-choir')}.json`, new TextEncoder().encode('{"secret":"legacy"}'))
    const keys = await dataDirKeys(dataDir)
    const open = async (): ReturnType<typeof createPrivateRecordStorage> => await createPrivateRecordStorage({ dir, seal: { keys, place: 'circles', hideNames: true } })
    const records = await open()
    await records.put(`${hexOf('night-shift-union')}.json`, new TextEncoder().encode('{"secret":"s3cr3t"}'))
    const files = await readdir(dir)
    expect(files).toHaveLength(2)
    for (const file of files) {
      expect(file).toMatch(/^[0-9a-f]{32}\.sealed$/)
      const bytes = await readFile(join(dir, file))
      expect(isSealedFile(bytes)).toBe(true)
      for (const needle of ['night-shift', hexOf('night-shift'), 'old-choir', hexOf('old-choir'), 's3cr3t', 'legacy']) expect(bytes.includes(needle), needle).toBe(false)
    }
    const again = await open()
    expect((await again.names()).sort()).toEqual([`${hexOf('night-shift-union')}.json`, `${hexOf('old-choir')}.json`].sort())
    expect(new TextDecoder().decode(await again.get(`${hexOf('old-choir')}.json`))).toBe('{"secret":"legacy"}')
    await again.delete(`${hexOf('old-choir')}.json`)
    expect(await again.names()).toEqual([`${hexOf('night-shift-union')}.json`])
  })

  it('keeps fixed record names, their bytes sealed, a plain record of an earlier version sealed in place when the key is made', async () => {
    const dir = join(dataDir, 'membership')
    await (await createFileMemberStorage({ dir })).put('member-stamps', new TextEncoder().encode('{"stamps":"plain"}'))
    const keys = await dataDirKeys(dataDir)
    const storage = await createFileMemberStorage({ dir, seal: { keys, place: 'membership' } })
    await storage.put('member-key', new TextEncoder().encode('member-secret'))
    expect((await readdir(dir)).sort()).toEqual(['member-key', 'member-stamps'])
    for (const file of ['member-key', 'member-stamps']) expect(isSealedFile(await readFile(join(dir, file))), file).toBe(true)
    expect(new TextDecoder().decode(await storage.get('member-stamps'))).toBe('{"stamps":"plain"}')
    // a sealed record renamed does not open
    await writeFile(join(dir, 'member-stamps'), await readFile(join(dir, 'member-key')))
    await expect(storage.get('member-stamps')).rejects.toMatchObject({ name: 'AtRestError', code: 'ERR_SEALED_DAMAGED' })
  })
})
