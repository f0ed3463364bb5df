/**
 * `murmur wipe` (issue 18, panic wipe) against a running daemon with a post, a geo channel joined, a word
 * filter and a member key: before the wipe no file of the data dir holds any of them (or the author secret)
 * in plain; a wipe from a script without --yes removes nothing; `murmur wipe --yes` stops the daemon and
 * leaves no key or store file behind; a directory holding anything else (`--data-dir ~`) is refused.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readSealedFile } from '@murmur/node/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'

const CELL = 'geo:u4pruyd'
const BODY = 'the boat leaves from pier seven'
const WORD = 'marmalade'

/** Every file under `dir` (recursively) that holds one of `needles` in plain. */
async function plainHolders (dir: string, needles: string[]): Promise<string[]> {
  const held: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const bytes = await readFile(path)
    if (needles.some((needle) => bytes.includes(Buffer.from(needle)))) held.push(path)
  }
  return held
}

describe('murmur wipe', () => {
  let sandbox: Sandbox
  beforeAll(async () => { sandbox = await Sandbox.create() })
  afterAll(async () => { await sandbox?.cleanup() })

  it('stops the daemon and leaves no key or store file behind; nothing was in plain before', async () => {
    const daemon = await sandbox.daemon('w')
    const dataDir = daemon.dataDir
    const steps = [['join', CELL], ['post', 'lobby', BODY], ['filter', 'word', WORD]]
    const results = await sandbox.runEach(steps.map((args) => [...args, '--data-dir', dataDir]))
    results.forEach((result, i) => { expect(result.code, `${steps[i]!.join(' ')}: ${result.stderr}`).toBe(0) })
    const identity = JSON.parse(new TextDecoder().decode(await readSealedFile(dataDir, 'identity.json'))) as { secretKey: string }
    expect(await plainHolders(dataDir, [CELL.slice(4), BODY, WORD, identity.secretKey])).toEqual([])

    const unasked = await sandbox.run(['wipe', '--data-dir', dataDir])
    expect(unasked.code).toBe(2)
    expect(unasked.stderr).toContain('pass --yes')
    expect(existsSync(join(dataDir, 'at-rest.key'))).toBe(true)

    const wiped = await sandbox.run(['wipe', '--yes', '--json', '--data-dir', dataDir])
    expect(wiped.code, wiped.stderr).toBe(0)
    const report = JSON.parse(wiped.stdout) as { stoppedDaemon: boolean, keyDestroyed: boolean, removed: string[] }
    expect(report).toMatchObject({ stoppedDaemon: true, keyDestroyed: true })
    expect(report.removed).toEqual(expect.arrayContaining(['at-rest.key', 'identity.json', 'store', 'membership', 'filters.json', 'channels.json']))
    expect(await daemon.proc.exited).toBe(0)
    expect(existsSync(dataDir)).toBe(false)
  }, 120_000)

  it('refuses a directory that is not a Murmur data dir, removing nothing', async () => {
    const home = sandbox.dir('home')
    await mkdir(join(home, 'Documents'), { recursive: true })
    await writeFile(join(home, 'identity.json'), '{}')
    await writeFile(join(home, 'notes.txt'), 'mine')
    const refused = await sandbox.run(['wipe', '--yes', '--data-dir', home])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(`${home} is not a Murmur data dir: it holds "Documents", "notes.txt"`)
    expect((await readdir(home)).sort()).toEqual(['Documents', 'identity.json', 'notes.txt'])
  })
})
