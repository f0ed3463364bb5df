/**
 * Durable file writes (Node.js): write to a temp file, fsync, rename (or link, for a file that must not be
 * replaced), fsync the directory, so that a crash at any moment leaves the old file or the new one and a
 * write that resolved survives a power cut; the flushes of a file, a directory or a whole folder of files
 * (a LevelDB store), and whether a path is there.
 */
import { randomBytes } from 'node:crypto'
import { link, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Suffix of a file being written; a file with it is a write that a crash interrupted. */
export const TEMP_SUFFIX = '.tmp'

/**
 * Flushes a file or a directory to disk (a directory: so that a rename or unlink in it is durable).
 *
 * @example
 * ```ts
 * await fsyncPath(dataDir)
 * ```
 */
export async function fsyncPath (path: string): Promise<void> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    // Windows opens no directory as a file (and NTFS makes a rename durable on its own)
    if (process.platform === 'win32' && ['EISDIR', 'EPERM', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '')) return
    throw err
  }
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Flushes `path` as {@link fsyncPath} does, unless it is gone (a data dir another wipe removed meanwhile:
 * there is nothing left to make durable).
 *
 * @example
 * ```ts
 * await fsyncIfThere(dataDir)
 * ```
 */
export async function fsyncIfThere (path: string): Promise<void> {
  await fsyncPath(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/**
 * Flushes every file of the folder `dir` to disk, then the folder itself: a LevelDB store written and
 * closed (LevelDB does not flush its log on close) is on disk once this resolves.
 *
 * @example
 * ```ts
 * await db.close()
 * await fsyncFolder(join(dataDir, 'store.sealing'))
 * ```
 */
export async function fsyncFolder (dir: string): Promise<void> {
  for (const file of await readdir(dir)) await fsyncPath(join(dir, file))
  await fsyncPath(dir)
}

/**
 * Whether there is a file or folder at `path` (anything stat errors with but ENOENT is thrown).
 *
 * @example
 * ```ts
 * if (await exists(join(dataDir, 'store.sealed'))) return
 * ```
 */
export async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false
    throw err
  })
}

/**
 * Writes `bytes` to `path` (mode 0600) atomically and durably. With `exclusive`, fails with EEXIST instead
 * of replacing a file that is there (the new file still appears whole or not at all).
 *
 * @example
 * ```ts
 * await writeDurably(join(dataDir, 'filters.json'), sealed)
 * ```
 */
export async function writeDurably (path: string, bytes: Uint8Array, options: { exclusive?: boolean } = {}): Promise<void> {
  const tmp = `${dirname(path)}/${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`
  try {
    const handle = await open(tmp, 'wx', 0o600)
    try {
      await handle.chmod(0o600)
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.exclusive === true) {
      await link(tmp, path)
    } else {
      await rename(tmp, path)
    }
  } finally {
    await rm(tmp, { force: true })
  }
  // the rename (or link) itself is durable only once the directory is
  await fsyncPath(dirname(path))
}
