/**
 * A planted api.json whose pid is 0 or negative is no daemon: a signal to such a pid would reach a whole
 * process group, and `murmur wipe` sends SIGTERM to the pid it reads there.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { apiFilePath, readApiFile } from '../src/daemon/api-file.js'

describe('api.json pid', () => {
  let dataDir: string
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'murmur-api-file-')) })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it.each([0, -1, 1.5, 2 ** 60])('refuses pid %s as no daemon, and takes a positive one', async (pid) => {
    const write = async (p: number): Promise<void> => { await writeFile(apiFilePath(dataDir), JSON.stringify({ version: 2, pid: p, token: 't', socket: '/x.sock' }), { mode: 0o600 }) }
    await write(pid)
    expect(await readApiFile(dataDir)).toBeUndefined()
    await write(4242)
    expect(await readApiFile(dataDir)).toMatchObject({ pid: 4242 })
  })
})
