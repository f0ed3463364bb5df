/**
 * Where `murmur relay` takes the browser page from (relay-page-files.ts), in a temporary checkout whose
 * vite is a stand-in that writes index.html and counts its builds: built on first use, not again while
 * fresh, again when a source file changes, never because a browser test replaced examples/browser/dist;
 * a failed build keeps the page there was and leaves no half-built directory; an installed package (no
 * sources beside it) serves what it shipped, or says that nothing is there.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildRelayPage, relayPage } from '../packages/cli/dist/src/relay-page-files.js'

/** A stand-in for vite's bin: `build <root> --outDir <dir>` writes index.html, or fails when `fail` exists. */
const FAKE_VITE = `const fs = require('fs'), path = require('path')
const out = process.argv[process.argv.indexOf('--outDir') + 1]
const root = path.resolve(__dirname, '..', '..', '..')
if (fs.existsSync(path.join(root, 'fail'))) { console.error('vite: the page does not compile'); process.exit(1) }
fs.mkdirSync(out, { recursive: true })
fs.writeFileSync(path.join(out, 'index.html'), 'build ' + (fs.existsSync(path.join(root, 'builds')) ? fs.readFileSync(path.join(root, 'builds'), 'utf8').length + 1 : 1))
fs.appendFileSync(path.join(root, 'builds'), 'x')
`

describe('the page a relay serves: shipped, or built in a checkout', () => {
  const dirs: string[] = []
  afterEach(async () => { await Promise.all(dirs.splice(0).map(async (dir) => { await rm(dir, { recursive: true, force: true }) })) })

  /** A checkout with the page's sources an hour old and the stand-in vite; returns its root and the cli package dir. */
  const checkout = async (): Promise<{ root: string, packageDir: string, source: string }> => {
    const root = await mkdtemp(join(tmpdir(), 'murmur-relay-page-files-'))
    dirs.push(root)
    const packageDir = join(root, 'packages', 'cli')
    const source = join(root, 'examples', 'browser', 'src', 'main.ts')
    await mkdir(join(root, 'examples', 'browser', 'src'), { recursive: true })
    await mkdir(join(root, 'node_modules', 'vite', 'bin'), { recursive: true })
    await mkdir(packageDir, { recursive: true })
    await writeFile(join(root, 'node_modules', 'vite', 'bin', 'vite.js'), FAKE_VITE)
    for (const file of [join(root, 'examples', 'browser', 'vite.config.ts'), source, join(root, 'package-lock.json')]) {
      await writeFile(file, '// source')
      const hourAgo = new Date(Date.now() - 3_600_000)
      await utimes(file, hourAgo, hourAgo)
    }
    return { root, packageDir, source }
  }
  const builds = async (root: string): Promise<number> => existsSync(join(root, 'builds')) ? (await readFile(join(root, 'builds'), 'utf8')).length : 0

  it('builds on first use, not while fresh, again when a source changes, not when examples/browser/dist is replaced', async () => {
    const { root, packageDir, source } = await checkout()
    const lines: string[] = []
    const onProgress = (line: string): void => { lines.push(line) }
    const page = await relayPage({ packageDir, onProgress })
    expect(page).toBe(join(packageDir, 'page'))
    expect(await readFile(join(page, 'index.html'), 'utf8')).toBe('build 1')
    expect(lines).toEqual([expect.stringMatching(/^building the browser page .*\(first use; a few seconds\)…$/)])

    await relayPage({ packageDir, onProgress })
    // a browser test replaces examples/browser/dist: the directory changes, no source does
    await mkdir(join(root, 'examples', 'browser', 'dist'))
    await writeFile(join(root, 'examples', 'browser', 'dist', 'index.html'), 'a test build')
    await relayPage({ packageDir, onProgress })
    expect(await builds(root)).toBe(1)

    const later = new Date(Date.now() + 60_000)
    await utimes(source, later, later)
    await relayPage({ packageDir, onProgress })
    expect(await readFile(join(page, 'index.html'), 'utf8')).toBe('build 2')
    expect(lines[1]).toMatch(/its sources changed/)
    // nothing half-built or replaced is left beside the page
    expect(await readdir(packageDir)).toEqual(['page'])
  })

  it('a failed build is a RelayPageMissingError with what vite said, and keeps the page there was', async () => {
    const { root, packageDir, source } = await checkout()
    await relayPage({ packageDir })
    await writeFile(join(root, 'fail'), '')
    const later = new Date(Date.now() + 60_000)
    await utimes(source, later, later)
    const failed = await relayPage({ packageDir }).then(() => undefined, (err: unknown) => err as Error & { code?: string })
    expect(failed?.name).toBe('RelayPageMissingError')
    expect(failed?.code).toBe('ERR_RELAY_PAGE_MISSING')
    expect(failed?.message).toMatch(/could not build the browser page: .*the page does not compile/s)
    expect(await readFile(join(packageDir, 'page', 'index.html'), 'utf8')).toBe('build 1')
    expect(await readdir(packageDir)).toEqual(['page'])
  })

  it('an installed package serves what it shipped, and says so when nothing is there; no vite, no build', async () => {
    const root = await mkdtemp(join(tmpdir(), 'murmur-relay-page-installed-'))
    dirs.push(root)
    const packageDir = join(root, 'lib', 'node_modules', '@murmur', 'cli')
    await mkdir(packageDir, { recursive: true })
    await expect(relayPage({ packageDir })).rejects.toMatchObject({ name: 'RelayPageMissingError', message: expect.stringMatching(/no built browser page in .*--no-page/) })
    await expect(buildRelayPage({ packageDir })).rejects.toMatchObject({ name: 'RelayPageMissingError', message: expect.stringMatching(/vite\.js is missing/) })
    await mkdir(join(packageDir, 'page'))
    await writeFile(join(packageDir, 'page', 'index.html'), 'shipped')
    expect(await relayPage({ packageDir })).toBe(join(packageDir, 'page'))
  })
})
