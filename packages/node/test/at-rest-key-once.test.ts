/**
 * A node start reads the data dir's at-rest key once: the store, the peer key, the member records and the
 * circles' secrets are all sealed under the keys read then, not each under a fresh read of `at-rest.key`
 * (before: 4 opens per start with persistPeerId); none when the embedder passes the keys it read.
 */
import { basename } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { AT_REST_KEY_FILE } from '../src/at-rest/key-file.js'
import { dataDirKeys } from '../src/at-rest/sealed-file.js'
import { cleanedAfterEach, startNode } from './harness.js'
import type * as FsPromises from 'node:fs/promises'

const keyOpens = vi.hoisted(() => ({ count: 0 }))

// every open of at-rest.key by the node's modules is counted (key-file.ts opens it with fs/promises' open)
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>()
  const open: typeof fs.open = async (path, ...rest) => {
    if (basename(String(path)) === 'at-rest.key') keyOpens.count++
    return await fs.open(path, ...rest)
  }
  return { ...fs, open, default: { ...fs, open } }
})

describe('the at-rest key read once per node start', () => {
  const cleanup = cleanedAfterEach()

  it('opens at-rest.key once for the store, the peer key, the member records and the circles', async () => {
    expect(AT_REST_KEY_FILE).toBe('at-rest.key')
    const dataDir = await cleanup.tempDir()
    // the first start creates the key (and opens it to write); the second only reads it
    cleanup.running.push(await startNode({ dataDir, persistPeerId: true }))
    await cleanup.running.pop()?.stop()
    keyOpens.count = 0
    const node = await startNode({ dataDir, persistPeerId: true })
    cleanup.running.push(node)
    expect(keyOpens.count).toBe(1)
  })

  it('opens it not at all when the embedder passes the keys it read (MurmurInit.atRestKeys, as the CLI daemon does)', async () => {
    const dataDir = await cleanup.tempDir()
    const atRestKeys = await dataDirKeys(dataDir)
    keyOpens.count = 0
    cleanup.running.push(await startNode({ dataDir, persistPeerId: true, atRestKeys }))
    expect(keyOpens.count).toBe(0)
  })
})
