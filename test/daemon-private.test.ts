/**
 * A private daemon kept off the local rendezvous (`--no-local-rendezvous`): it writes no entry into the
 * per-user rendezvous directory, so another daemon of the same user never finds it there, and it says
 * so in its ready line.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.js'

describe('murmur daemon --no-local-rendezvous', () => {
  let sandbox: Sandbox
  beforeEach(async () => { sandbox = await Sandbox.create() })
  afterEach(async () => { await sandbox.cleanup() })

  it('announces nothing in the rendezvous directory, where an ordinary daemon does', async () => {
    const peers = join(sandbox.env.XDG_RUNTIME_DIR ?? '', 'murmur', 'peers')
    const open = await sandbox.daemon('open')
    const hidden = await sandbox.daemon('hidden', ['--no-local-rendezvous'])
    expect((open.ready as unknown as { localRendezvous: boolean }).localRendezvous).toBe(true)
    expect((hidden.ready as unknown as { localRendezvous: boolean }).localRendezvous).toBe(false)
    expect(existsSync(join(peers, `${open.ready.peerId}.json`))).toBe(true)
    expect(existsSync(join(peers, `${hidden.ready.peerId}.json`))).toBe(false)
    const status = await sandbox.run(['peers', '--data-dir', open.dataDir, '--json'])
    expect(status.stdout).not.toContain(hidden.ready.peerId)
  })
})
