/**
 * `murmur feed` on a channel the daemon has not joined says so (with the command that joins it), rather
 * than an empty feed that reads as a quiet channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

describe('murmur feed', () => {
  let sandbox: Sandbox
  let daemon: Daemon

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    daemon = await sandbox.daemon('d')
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('on a channel the daemon has not joined says so, and how to join it', async () => {
    const other = await sandbox.run(['feed', 'other', '--data-dir', daemon.dataDir])
    expect(other.code, other.stderr).toBe(0)
    expect(other.stderr).toBe(`this daemon has not joined #other, so it receives none of its posts: \`murmur join other --data-dir ${daemon.dataDir}\` first\n`)
    expect(other.stdout).toBe('no posts of #other here\n')
    const json = JSON.parse((await sandbox.run(['feed', 'other', '--json', '--data-dir', daemon.dataDir])).stdout) as { joined: boolean }
    expect(json.joined).toBe(false)

    const lobby = await sandbox.run(['feed', 'lobby', '--data-dir', daemon.dataDir])
    expect(lobby.stderr).toBe('')
    expect(lobby.stdout).toBe('no posts in #lobby yet\n')
  })
})
