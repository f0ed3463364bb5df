/**
 * Built examples/browser sites kept between test files, keyed by the SHA-256 of everything the build reads:
 * the browser test files of one run (and of the next, while nothing changed) type-check and build the page
 * once. A key is computed from the files at test time, so a hit is always the build of the current sources.
 */
import { createHash } from 'node:crypto'
import { cp, mkdir, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pageInputFiles } from '../packages/cli/dist/src/relay-page-files.js'

/** Where built sites are kept, one directory per key. */
export const BUILD_CACHE = join(tmpdir(), 'murmur-browser-builds')

/** Kept sites not used for this long are removed when another is stored. */
const STALE_MS = 24 * 3_600_000

/**
 * The key of the current sources: SHA-256 over the path and content of every input file, in path order.
 *
 * @example
 * ```ts
 * const key = await buildKey(ROOT)
 * ```
 */
export async function buildKey (root: string): Promise<string> {
  const files = await pageInputFiles(root)
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
