/**
 * A data dir of an earlier version (its files in plain, no at-rest key yet) whose first command after the
 * upgrade is `murmur repair`: the key is created there, and the CLI's own secret files (the author identity)
 * are sealed with the node's. Repair used to create the key with the node's files only; the identity stayed
 * plain and was refused for good afterwards (ERR_PLAIN_FILE: "someone else put it there").
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateAuthorKey, ready, toHex } from '@murmur/protocol'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.js'

describe('murmur repair as the first command on an earlier version\'s data dir', () => {
  let sandbox: Sandbox
  beforeEach(async () => { sandbox = await Sandbox.create() })
  afterEach(async () => { await sandbox.cleanup() })

  it('seals the author identity with the node\'s files; the identity is read after it', async () => {
    await ready()
    const dataDir = sandbox.dir('earlier')
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const key = generateAuthorKey()
    const plain = JSON.stringify({ version: 1, type: 'ristretto255', secretKey: toHex(key.secretKey), publicKey: toHex(key.publicKey) })
    await writeFile(join(dataDir, 'identity.json'), plain, { mode: 0o600 })
    await chmod(join(dataDir, 'identity.json'), 0o600)
    // the earlier version's store: a plain LevelDB one (empty will do: repair moves a store aside whatever it holds)
    const store = new ClassicLevel(join(dataDir, 'store'))
    await store.open()
    await store.close()

    const repaired = await sandbox.run(['repair', '--json', '--data-dir', dataDir])
    expect(repaired.code, repaired.stderr).toBe(0)
    expect((await readFile(join(dataDir, 'identity.json'), 'utf8')).includes(toHex(key.secretKey))).toBe(false)
    const init = await sandbox.run(['init', '--json', '--data-dir', dataDir])
    expect(init.code, init.stderr).toBe(0)
    expect(init.stdout).toContain(toHex(key.publicKey))
  })
})
