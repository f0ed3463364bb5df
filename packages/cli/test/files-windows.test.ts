/**
 * murmur starts on Windows (sixth read of issue 12, M1): Node reports every writable file and folder
 * there as mode 0666, so the POSIX check "no group or other bit" refused every data dir, identity.json
 * and api.json, and no command could run. On Windows the mode bits are not checked (the profile
 * folder's access control list keeps other users out); everywhere else they still are. The platform is
 * injected, never faked on `process`.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkPrivateDir, ensureDataDir, readPrivateFile } from '../src/files.js'

describe('private files and the platform\'s permission model', () => {
  let root: string
  let dir: string
  let file: string
  const unsafe = (problem: string, fix: string): Error => Object.assign(new Error(`${problem}; ${fix}`), { name: 'UnsafeFileError' })

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'murmur-win-'))
    dir = join(root, 'data')
    // what Node reports on Windows for any folder and file the user may write
    await mkdir(dir, { mode: 0o777 })
    await chmod(dir, 0o777)
    file = join(dir, 'identity.json')
    await writeFile(file, '{}')
    await chmod(file, 0o666)
  })

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('on Windows, accepts the data dir and its files whatever their mode bits (failed: "has mode 0777")', async () => {
    await expect(checkPrivateDir(dir, { platform: 'win32' })).resolves.toBeUndefined()
    await expect(ensureDataDir(dir, { platform: 'win32' })).resolves.toBeUndefined()
    await expect(ensureDataDir(join(root, 'fresh'), { platform: 'win32' })).resolves.toBeUndefined()
    await expect(readPrivateFile(file, unsafe, { platform: 'win32' })).resolves.toBe('{}')
  })

  it('elsewhere, still refuses them and says what to run', async () => {
    for (const platform of ['linux', 'darwin', 'freebsd'] as const) {
      await expect(checkPrivateDir(dir, { platform })).rejects.toMatchObject({ name: 'DataDirError', message: expect.stringContaining('has mode 0777') })
      await expect(readPrivateFile(file, unsafe, { platform })).rejects.toMatchObject({ name: 'UnsafeFileError', message: expect.stringContaining('chmod 600') })
    }
  })

  it('by default, follows the platform it runs on', async () => {
    const check = checkPrivateDir(dir)
    if (process.platform === 'win32') await expect(check).resolves.toBeUndefined()
    else await expect(check).rejects.toMatchObject({ name: 'DataDirError' })
  })
})
