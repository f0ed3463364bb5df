/**
 * Where `murmur relay` finds the built browser page. An installed `murmur` ships it in the package's
 * `page/` directory (written at pack time by `npm pack`'s prepack step, {@link buildRelayPage}). In a
 * repository checkout the same directory is built from examples/browser on first use, and again
 * whenever a source of the page is newer than the build (the page's own files, the built
 * `@murmur/node` and `@murmur/protocol` it bundles, the lockfile), so a relay never serves a page
 * older than the code beside it.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

/** The `@murmur/cli` package directory (this file is dist/src/relay-page-files.js in it). */
const CLI_PACKAGE = resolve(import.meta.dirname, '..', '..')
/**
 * What the page's build reads, relative to the checkout: the example (but its output), the built packages it
 * imports with the package.json files that map them, and the lockfile that pins vite, TypeScript and the rest.
 */
const INPUTS = [
  'examples/browser', 'packages/node/dist/src', 'packages/node/package.json', 'packages/protocol/dist/src',
  'packages/protocol/package.json', 'package-lock.json'
]
/** Directories under the inputs that are output or installed, not sources. */
const SKIPPED = new Set(['dist', 'node_modules'])

/** Thrown when no built page is found and none can be built here. */
export class RelayPageMissingError extends Error {
  static override readonly name = 'RelayPageMissingError'
  override readonly name = 'RelayPageMissingError'
  readonly code = 'ERR_RELAY_PAGE_MISSING'
}

/** Init of {@link relayPage} and {@link buildRelayPage}. */
export interface RelayPageInit {
  /**
   * The `@murmur/cli` package directory: the page is its `page/`, and it is a checkout when
   * `../../examples/browser` holds the page's sources.
   *
   * @default the package this module is in
   */
  packageDir?: string
  /** Called with one line before a build starts (it takes seconds). */
  onProgress?(line: string): void
}

/** The page's directory, the checkout around the package and the page's sources in it. */
function layoutOf (init: RelayPageInit): { page: string, checkout: string, example: string } {
  const packageDir = init.packageDir ?? CLI_PACKAGE
  const checkout = resolve(packageDir, '..', '..')
  return { page: join(packageDir, 'page'), checkout, example: join(checkout, 'examples', 'browser') }
}

/**
 * The directory of the built page, built first when this is a checkout and the build is missing or
 * older than its sources.
 *
 * @example
 * ```ts
 * const dir = await relayPage({ onProgress: (line) => { out.note(line) } })
 * ```
 */
export async function relayPage (init: RelayPageInit = {}): Promise<string> {
  const { page, checkout, example } = layoutOf(init)
  const built = await mtimeOf(join(page, 'index.html'))
  if (!existsSync(join(example, 'vite.config.ts'))) {
    if (built === undefined) {
      throw new RelayPageMissingError(`no built browser page in ${page}: reinstall murmur, or run the relay with --no-page`)
    }
    return page
  }
  if (built === undefined || await newestInput(checkout) > built) {
    init.onProgress?.(`building the browser page from ${example} into ${page} (${built === undefined ? 'first use' : 'its sources changed'}; a few seconds)…`)
    await buildRelayPage(init)
  }
  return page
}

/**
 * Builds examples/browser with vite into the package's `page/` (in a directory beside it first, then
 * moved in place, so that a relay never serves half a build).
 *
 * @example
 * ```ts
 * await buildRelayPage() // the prepack step of packages/cli
 * ```
 */
export async function buildRelayPage (init: RelayPageInit = {}): Promise<void> {
  const { page, checkout, example } = layoutOf(init)
  const vite = join(checkout, 'node_modules', 'vite', 'bin', 'vite.js')
  if (!existsSync(vite)) {
    throw new RelayPageMissingError(`cannot build the browser page: ${vite} is missing (run npm ci in ${checkout}), or run the relay with --no-page`)
  }
  const partial = `${page}.${process.pid}-${Date.now()}`
  const old = `${partial}-old`
  try {
    await promisify(execFile)(process.execPath, [vite, 'build', example, '--outDir', partial, '--emptyOutDir', '--logLevel', 'warn'], { cwd: example, timeout: 300_000 })
    // two relays building at once: each moves its own build in; the last one stays
    await rename(page, old).catch(() => {})
    await rename(partial, page)
  } catch (err) {
    throw new RelayPageMissingError(`could not build the browser page: ${(err as Error).message}`, { cause: err })
  } finally {
    await Promise.all([rm(partial, { recursive: true, force: true }), rm(old, { recursive: true, force: true })])
  }
}

/**
 * Every file the page's build reads ({@link INPUTS}), relative to `checkout`: what a relay compares its
 * build with, and what the tests key their kept builds by.
 *
 * @example
 * ```ts
 * const files = await pageInputFiles(checkout) // ['examples/browser/index.html', …, 'package-lock.json']
 * ```
 */
export async function pageInputFiles (checkout: string): Promise<string[]> {
  return (await pageInputs(checkout)).map(({ file }) => file)
}

/** Every file the page's build reads, relative to `checkout`, with its modification time (ms): one walk, one stat a file. */
async function pageInputs (checkout: string): Promise<Array<{ file: string, mtimeMs: number }>> {
  const under = async (input: string): Promise<Array<{ file: string, mtimeMs: number }>> => {
    const info = await stat(join(checkout, input)).catch(() => undefined)
    if (info === undefined) return []
    if (!info.isDirectory()) return [{ file: input, mtimeMs: info.mtimeMs }]
    const files: Array<{ file: string, mtimeMs: number }> = []
    for (const entry of await readdir(join(checkout, input))) {
      if (!SKIPPED.has(entry)) files.push(...await under(join(input, entry)))
    }
    return files
  }
  return (await Promise.all(INPUTS.map(under))).flat()
}

/**
 * The latest modification time of the page's source files in the checkout (ms). Of files only: a
 * directory's changes when an entry comes or goes, and examples/browser's whenever a build replaces
 * its dist.
 */
async function newestInput (checkout: string): Promise<number> {
  return Math.max(0, ...(await pageInputs(checkout)).map(({ mtimeMs }) => mtimeMs))
}

async function mtimeOf (path: string): Promise<number | undefined> {
  return stat(path).then((info) => info.mtimeMs, () => undefined)
}
