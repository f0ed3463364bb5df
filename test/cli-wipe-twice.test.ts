/**
 * Two panic wipes at once (issue 18, panic wipe; S10R 3): a user pressing the wipe twice, or a script and
 * a user, while the daemon is stopping. Each wipe must exit 0 with a report that says what happened (one
 * destroyed the key and removed the files, the other found the work under way or done and says so, not
 * "there was no at-rest key"), and nothing of the data dir is left. Before, the second wipe could find the
 * daemon's control API already closed while its process still held the store (ERR_DATA_DIR_IN_USE), or
 * the directory gone under its feet (an ENOENT thrown from the final flush or rmdir).
 */
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { WipeReport } from '../packages/cli/dist/src/commands/wipe.js'

describe('two murmur wipe at once', () => {
  let sandbox: Sandbox
  beforeAll(async () => { sandbox = await Sandbox.create() })
  afterAll(async () => { await sandbox?.cleanup() })

  it('against a daemon mid-stop: both exit 0, one report of the key destroyed, the other of a wipe under way or done; nothing left', async () => {
    const daemon = await sandbox.daemon('twice')
    const dataDir = daemon.dataDir
    const results = await Promise.all([0, 1].map(async () => await sandbox.run(['wipe', '--yes', '--json', '--data-dir', dataDir])))
    for (const result of results) expect(result.code, result.stderr).toBe(0)
    const reports = results.map((result) => JSON.parse(result.stdout) as WipeReport)
    // the key was destroyed once; the other wipe found it destroyed already, or found nothing left at all
    expect(reports.filter((report) => report.keyDestroyed), JSON.stringify(reports)).toHaveLength(1)
    const other = reports.find((report) => !report.keyDestroyed)!
    expect(other.keyAlreadyDestroyed || other.removed.length === 0, JSON.stringify(other)).toBe(true)
    expect(await daemon.proc.exited).toBe(0)
    expect(existsSync(dataDir)).toBe(false)
    // the text a wipe prints when another one went first: never "a data dir of an earlier version"
    await mkdir(dataDir, { mode: 0o700 })
    await writeFile(join(dataDir, 'at-rest.sealed'), '', { mode: 0o600 })
    await writeFile(join(dataDir, 'identity.json'), 'sealed under a key destroyed already', { mode: 0o600 })
    const second = await sandbox.run(['wipe', '--yes', '--data-dir', dataDir])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('the at-rest key was destroyed already (by another wipe at the same moment, or one cut short)')
    expect(existsSync(dataDir)).toBe(false)
    const none = await sandbox.run(['wipe', '--yes', '--data-dir', dataDir])
    expect(none.code, none.stderr).toBe(0)
    expect(none.stdout).toContain('nothing to wipe')
  }, 60_000)
})
