/**
 * `murmur wipe` against a daemon that ignores SIGTERM (issue 18, panic wipe; S9A 1d): the wipe destroys the
 * at-rest key at once, whatever the daemon does, so nothing left in the data dir can be read; it says the
 * daemon is still running (its pid, the kill to run), exits non-zero and removes nothing else while it
 * runs. Once the daemon is killed, a second wipe removes the rest. Before, the wipe waited 30 s for the
 * daemon and then gave up with everything in place, the key included.
 */
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readSealedFile } from '@murmur/node/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'

/** Loaded into the daemon with --import: every SIGTERM listener the daemon adds is replaced by one that ignores it. */
const IGNORE_SIGTERM = `
const ignore = () => {}
process.on('SIGTERM', ignore)
setInterval(() => {
  for (const listener of process.listeners('SIGTERM')) if (listener !== ignore) process.off('SIGTERM', listener)
}, 10).unref()
`

describe('murmur wipe against a daemon that ignores SIGTERM', () => {
  let sandbox: Sandbox
  beforeAll(async () => { sandbox = await Sandbox.create() })
  afterAll(async () => { await sandbox?.cleanup() })

  it('destroys the key at once, says the daemon still runs and exits non-zero; a wipe after the kill removes the rest', async () => {
    await mkdir(sandbox.dir('trap'), { recursive: true })
    const trap = join(sandbox.dir('trap'), 'ignore-sigterm.mjs')
    await writeFile(trap, IGNORE_SIGTERM)
    const daemon = await sandbox.daemon('hung', [], { NODE_OPTIONS: `--import ${trap}` })
    const dataDir = daemon.dataDir
    const pid = daemon.proc.child.pid!

    const wiped = await sandbox.run(['wipe', '--yes', '--wait', '1', '--data-dir', dataDir])
    expect(wiped.code).not.toBe(0)
    expect(wiped.stderr).toContain(`the daemon (pid ${pid}) is still running`)
    expect(wiped.stderr).toContain('the at-rest key is destroyed')
    expect(wiped.stderr).toContain(`kill -9 ${pid}`)
    // nothing readable: no key, and the secrets refuse to open (the marker says the key was destroyed)
    expect(existsSync(join(dataDir, 'at-rest.key'))).toBe(false)
    expect(existsSync(join(dataDir, 'identity.json'))).toBe(true)
    await expect(readSealedFile(dataDir, 'identity.json')).rejects.toMatchObject({ code: 'ERR_AT_REST_KEY_MISSING' })
    expect(existsSync(join(dataDir, 'store'))).toBe(true)
    expect(daemon.proc.child.exitCode).toBe(null)

    daemon.proc.child.kill('SIGKILL')
    await daemon.proc.exited
    const again = await sandbox.run(['wipe', '--yes', '--json', '--data-dir', dataDir])
    expect(again.code, again.stderr).toBe(0)
    expect(existsSync(dataDir)).toBe(false)
  }, 60_000)
})
