/**
 * Files only the user may read: the identity and the control API token.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Creates a directory (and its parents) with mode 0700 when missing.
 *
 * @example
 * ```ts
 * await ensurePrivateDir('/home/ada/.local/share/murmur')
 * ```
 */
export async function ensurePrivateDir (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
}

/**
 * Writes `text` to `path` with mode 0600, atomically: readers see the old file or the whole new one.
 * With `exclusive`, fails with EEXIST instead of replacing an existing file.
 *
 * @example
 * ```ts
 * await writePrivateFile('/tmp/x/api.json', '{}')
 * ```
 */
export async function writePrivateFile (path: string, text: string, options: { exclusive?: boolean } = {}): Promise<void> {
  await ensurePrivateDir(dirname(path))
  if (options.exclusive === true) {
    await writeFile(path, text, { mode: 0o600, flag: 'wx' })
    await chmod(path, 0o600)
    return
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
    await chmod(tmp, 0o600)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * Reads a file that must not be readable or writable by group or others; undefined when it does not
 * exist. Throws `onLoose(mode)` when its permissions are too open.
 *
 * @example
 * ```ts
 * const text = await readPrivateFile(path, (mode) => new Error(`mode ${mode.toString(8)}`))
 * ```
 */
export async function readPrivateFile (path: string, onLoose: (mode: number) => Error): Promise<string | undefined> {
  let mode: number
  try {
    mode = (await stat(path)).mode & 0o777
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      return undefined
    }
    throw err
  }
  if ((mode & 0o077) !== 0) {
    throw onLoose(mode)
  }
  return readFile(path, 'utf8')
}
