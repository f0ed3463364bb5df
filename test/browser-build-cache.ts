/**
 * Built examples/browser sites kept between test files, keyed by the SHA-256 of everything the build reads:
 * the browser test files of one run (and of the next, while nothing changed) type-check and build the page
 * once. A key is computed from the files at test time, so a hit is always the build of the current sources.
 */
import { createHash } from 'node:crypto'
import { cp, mkdir, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where built sites are kept, one directory per key. */
export const BUILD_CACHE = join(tmpdir(), 'murmur-browser-builds')

/** Kept sites not used for this long are removed when another is stored. */
const STALE_MS = 24 * 3_600_000

/**
 * What the build reads, relative to the repository root: the example (but its output), the built packages it
 * imports with the package.json files that map them, and the lockfile that pins vite, TypeScript and the rest.
 */
const INPUTS = [
  'examples/browser', 'packages/node/dist/src', 'packages/node/package.json', 'packages/protocol/dist/src',
  'packages/protocol/package.json', 'package-lock.json'
]

/** Directories under the inputs that are output or installed, not sources. */
const SKIPPED = new Set(['dist', 'node_modules'])

/**
 * The key of the current sources: SHA-256 over the path and content of every input file, in path order.
 *
 * @example
 * ```ts
 * const key = await buildKey(ROOT)
 * ```
 */
export async function buildKey (root: string): Promise<string> {
  const files: string[] = []
  for (const input of INPUTS) files.push(...await filesUnder(root, input))
  const hash = createHash('sha256')
  for (const file of files.sort()) hash.update(`${file}\0`).update(await readFile(join(root, file))).update('\0')
  return hash.digest('hex')
}

/**
 * Copies the site kept under `key` to `dir` (emptied first); false when none is kept.
 *
 * @example
 * ```ts
 * if (!await restoreBuild(key, dir)) await buildInto(dir)
 * ```
 */
export async function restoreBuild (key: string, dir: string): Promise<boolean> {
  const kept = join(BUILD_CACHE, key)
  try {
    await stat(join(kept, 'index.html'))
  } catch {
    return false
  }
  await rm(dir, { recursive: true, force: true })
  await cp(kept, dir, { recursive: true })
  const now = new Date()
  await utimes(kept, now, now)
  return true
}

/**
 * Keeps the site built in `dir` under `key` (copied aside, then renamed in place, so that a reader never
 * sees half of it; a test file that stored the same key first wins), and removes stale kept sites.
 *
 * @example
 * ```ts
 * await keepBuild(key, dir)
 * ```
 */
export async function keepBuild (key: string, dir: string): Promise<void> {
  await mkdir(BUILD_CACHE, { recursive: true, mode: 0o700 })
  const partial = join(BUILD_CACHE, `.${key}-${process.pid}-${Date.now()}`)
  await cp(dir, partial, { recursive: true })
  try {
    await rename(partial, join(BUILD_CACHE, key))
  } catch {
    await rm(partial, { recursive: true, force: true })
  }
  for (const entry of await readdir(BUILD_CACHE)) {
    if (entry === key || entry.startsWith('.')) continue
    const path = join(BUILD_CACHE, entry)
    if (Date.now() - (await stat(path)).mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true })
  }
}

/** Files under `input` (a file or a directory, relative to `root`), relative to `root`, output and installed directories left out. */
async function filesUnder (root: string, input: string): Promise<string[]> {
  if (!(await stat(join(root, input))).isDirectory()) return [input]
  const files: string[] = []
  for (const entry of await readdir(join(root, input), { withFileTypes: true })) {
    if (entry.isDirectory() && SKIPPED.has(entry.name)) continue
    const path = join(input, entry.name)
    files.push(...(entry.isDirectory() ? await filesUnder(root, path) : [path]))
  }
  return files
}
