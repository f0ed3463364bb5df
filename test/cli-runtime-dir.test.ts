/**
 * The runtime dir without XDG_RUNTIME_DIR (issue 12 final read, L2): it was `/tmp/murmur-<uid>`, a name
 * another user of the machine can create first, which kept a daemon whose data dir's path is too long
 * for a socket from starting and turned the local rendezvous off. Now it is in the user's own cache dir.
 */
import { chmod, mkdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'

/** Whether a `murmur daemon --json` line is a status line with a peer. */
const withPeer = (line: string): boolean => line.includes('"event":"status"') && !line.includes('"peers":0')

describe('the runtime dir without XDG_RUNTIME_DIR', () => {
  let sandbox: Sandbox
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    const tmp = sandbox.dir('tmp')
    // another user got there first: the old fallback, open to everyone, with an entry planted in it
    const squatted = `${tmp}/murmur-${process.getuid?.() ?? 'user'}`
    await mkdir(`${squatted}/peers`, { recursive: true })
    await chmod(squatted, 0o777)
    await chmod(`${squatted}/peers`, 0o777)
    env = { XDG_RUNTIME_DIR: '', XDG_CACHE_HOME: '', HOME: sandbox.dir('home'), TMPDIR: tmp }
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('a daemon whose data dir is too long for a socket starts, and two daemons meet through the local rendezvous', { timeout: 180_000 }, async () => {
    const long = `long-${'x'.repeat(100)}`
    const a = await sandbox.daemon(long, [], env)
    expect(Buffer.byteLength(`${a.dataDir}/api.sock`)).toBeGreaterThan(100)
    expect(a.ready.api.socket?.startsWith(`${sandbox.dir('home')}/.cache/murmur/run/api-`)).toBe(true)
    expect((a.ready as { localRendezvous?: boolean }).localRendezvous).toBe(true)
    const status = await sandbox.run(['status', '--json', '--data-dir', a.dataDir], env)
    expect(status.code, status.stderr).toBe(0)
    // no --bootstrap: b finds a in the rendezvous dir of the user's cache
    const b = await sandbox.daemon('b', [], env)
    await Promise.all([a.proc.waitForLine(withPeer, 60_000), b.proc.waitForLine(withPeer, 60_000)])
  })
})
