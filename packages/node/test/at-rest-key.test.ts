/**
 * Attacks on the data dir's at-rest key file (issue 18, data at rest; S9A 1a, 1b): processes that create
 * the key at the same moment on a fresh data dir must all end up with one key, nothing sealed under a key
 * that is then lost; a key file other users may read, that belongs to another user, or that is a symbolic
 * link to elsewhere is refused with a typed error naming the fix, never used; a wipe never writes through
 * such a link.
 */
import { spawn } from 'node:child_process'
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AT_REST_KEY_FILE, destroyAtRestKey, loadAtRestKey, loadOrCreateAtRestKey } from '../src/at-rest/key-file.js'
import { dataDirKeys, readSealedFile } from '../src/at-rest/sealed-file.js'
import { newAtRestKey } from '../src/at-rest/seal.js'

const CHILD_DIR = fileURLToPath(new URL('../../../node_modules/.cache/murmur-test/', import.meta.url))
const RACERS = 4
const ROUNDS = 2

/** A child that says it is ready, waits for the go on stdin, creates the key and seals a file of its own, and prints the key. */
const RACER = `
import { once } from 'node:events'
import { writeSealedFile } from './sealed-file.ts'
import { loadAtRestKey } from './key-file.ts'
const [dataDir, name] = process.argv.slice(2)
process.stdout.write('ready\\n')
await once(process.stdin, 'data')
await writeSealedFile(dataDir, name, new TextEncoder().encode(name))
process.stdout.write(Buffer.from(await loadAtRestKey(dataDir)).toString('hex'))
`

async function expectBad (promise: Promise<unknown>, fix: RegExp): Promise<void> {
  const err = await promise.then(() => undefined, (e: unknown) => e as { name?: string, code?: string, message?: string })
  expect(err?.name).toBe('AtRestError')
  expect(err?.code).toBe('ERR_AT_REST_KEY_BAD')
  expect(err?.message).toMatch(fix)
}

describe('the at-rest key file', () => {
  let root: string
  let script: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'murmur-key-'))
    const out = await build({
      stdin: { contents: RACER, resolveDir: fileURLToPath(new URL('../src/at-rest/', import.meta.url)), sourcefile: 'racer.ts', loader: 'ts' },
      bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, logLevel: 'silent'
    })
    await mkdir(CHILD_DIR, { recursive: true })
    script = join(CHILD_DIR, `at-rest-racer-${process.pid}.mjs`)
    await writeFile(script, out.outputFiles[0]!.contents)
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
    await rm(script, { force: true })
  })

  it(`created by ${RACERS} processes at the same moment on a fresh data dir: one key, and every file sealed under it opens`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dataDir = join(root, `race-${round}`)
      const children = Array.from({ length: RACERS }, (_, i) => spawn(process.execPath, [script, dataDir, `racer-${i}.bin`], { stdio: ['pipe', 'pipe', 'inherit'] }))
      const outputs = children.map(async (child, i) => await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
        child.once('exit', (code) => {
          if (code === 0) resolve(out.replace('ready\n', ''))
          else reject(new Error(`racer ${i} exited with ${String(code)}`))
        })
      }))
      // every child loaded and waiting before any is let go: they race from the first step
      await Promise.all(children.map(async (child) => await new Promise<void>((resolve) => {
        const ready = (chunk: Buffer): void => { if (chunk.toString().includes('ready')) { child.stdout.off('data', ready); resolve() } }
        child.stdout.on('data', ready)
      })))
      for (const child of children) child.stdin.end('go\n')
      const keys = await Promise.all(outputs)
      const kept = Buffer.from((await loadAtRestKey(dataDir))!).toString('hex')
      expect(new Set(keys)).toEqual(new Set([kept]))
      const sealedUnder = await dataDirKeys(dataDir)
      for (let i = 0; i < RACERS; i++) {
        expect(new TextDecoder().decode(await readSealedFile(dataDir, `racer-${i}.bin`, sealedUnder))).toBe(`racer-${i}.bin`)
      }
      // no temp file of a write that lost is left behind
      expect((await readdir(dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    }
  })

  it('readable by other users (0644): refused, naming the chmod, never used', async () => {
    const dataDir = join(root, 'mode')
    await loadOrCreateAtRestKey(dataDir)
    await chmod(join(dataDir, AT_REST_KEY_FILE), 0o644)
    await expectBad(loadOrCreateAtRestKey(dataDir), /mode 0644.*chmod 600/)
    await expectBad(dataDirKeys(dataDir), /chmod 600/)
  })

  it.runIf(process.getuid?.() === 0)('belonging to another user: refused, naming the chown', async () => {
    const dataDir = join(root, 'owner')
    await loadOrCreateAtRestKey(dataDir)
    await chown(join(dataDir, AT_REST_KEY_FILE), 4242, 4242)
    await expectBad(loadOrCreateAtRestKey(dataDir), /another user \(uid 4242\).*chown 0/)
  })

  it('a symbolic link to a key file elsewhere: refused, never followed; a wipe unlinks it and leaves the target alone', async () => {
    const dataDir = join(root, 'link')
    await mkdir(dataDir, { mode: 0o700 })
    const elsewhere = join(root, 'elsewhere.key')
    const chosen = await newAtRestKey()
    await writeFile(elsewhere, chosen, { mode: 0o600 })
    await symlink(elsewhere, join(dataDir, AT_REST_KEY_FILE))
    await expectBad(loadOrCreateAtRestKey(dataDir), /symbolic link/)
    await expectBad(loadAtRestKey(dataDir), /symbolic link/)
    expect(await destroyAtRestKey(dataDir)).toBe(true)
    await expect(lstat(join(dataDir, AT_REST_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(new Uint8Array(await readFile(elsewhere))).toEqual(chosen)
  })

  it('not 32 bytes, or not a file: refused', async () => {
    const dataDir = join(root, 'short')
    await mkdir(dataDir, { mode: 0o700 })
    await writeFile(join(dataDir, AT_REST_KEY_FILE), new Uint8Array(31), { mode: 0o600 })
    await expectBad(loadAtRestKey(dataDir), /31 bytes/)
    await rm(join(dataDir, AT_REST_KEY_FILE))
    await mkdir(join(dataDir, AT_REST_KEY_FILE), { mode: 0o700 })
    await expectBad(loadAtRestKey(dataDir), /not a file/)
  })
})
