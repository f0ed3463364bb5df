/**
 * Channels joined at run time are joined again after a restart of the daemon; a channel left is not.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'

describe('murmur join across restarts', () => {
  let sandbox: Sandbox

  beforeAll(async () => {
    sandbox = await Sandbox.create()
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('keeps the channels joined at run time, in a 0600 file, and forgets those left', async () => {
    const first = await sandbox.daemon('d')
    for (const args of [['join', 'other'], ['join', 'third'], ['leave', 'third']]) {
      const ran = await sandbox.run([...args, '--data-dir', first.dataDir])
      expect(ran.code, ran.stderr).toBe(0)
    }
    expect((await stat(join(first.dataDir, 'channels.json'))).mode & 0o777).toBe(0o600)
    expect(await first.proc.stop()).toBe(0)

    const again = await sandbox.daemon('d')
    const status = JSON.parse((await sandbox.run(['status', '--json', '--data-dir', again.dataDir])).stdout) as { channels: Array<{ channel: string }> }
    expect(status.channels.map((c) => c.channel).sort()).toEqual(['#lobby', '#other'])
    expect(await again.proc.stop()).toBe(0)
  }, 120_000)
})
