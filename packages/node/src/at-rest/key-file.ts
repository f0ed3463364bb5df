/**
 * The data dir's at-rest key (Node.js): 32 random bytes in `<dataDir>/at-rest.key` (mode 0600), the one
 * small file that every secret file and the store's values are sealed under. Destroying it first is what
 * makes a wipe a crypto-erase: whatever flash storage keeps of the other files is ciphertext.
 */
import { constants as fsConstants } from 'node:fs'
import { lstat, mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AtRestError } from './errors.js'
import { fsyncPath, writeDurably } from './durable-file.js'
import { AT_REST_KEY_BYTES, newAtRestKey } from './seal.js'

/** The key file in a data dir. */
export const AT_REST_KEY_FILE = 'at-rest.key'

/**
 * An empty file written once the key exists: a data dir that has it but no key had its key destroyed (an
 * interrupted wipe), and gets no new key silently (what is sealed could never be opened again).
 */
export const AT_REST_MARKER_FILE = 'at-rest.sealed'

/**
 * The at-rest key of `dataDir`, created (0600, atomically: whole or absent) when the data dir has none
 * yet. Throws AtRestError `ERR_AT_REST_KEY_MISSING` when the key is gone but the data dir was sealed
 * (finish with `murmur wipe`), `ERR_AT_REST_KEY_BAD` when the file is not 32 bytes or other users may read it.
 *
 * @example
 * ```ts
 * const keys = await atRestKeys(await loadOrCreateAtRestKey(dataDir))
 * ```
 */
export async function loadOrCreateAtRestKey (dataDir: string): Promise<Uint8Array> {
  // the marker is looked for before the key: it is written only once the key is there, so a marker seen
  // and then no key is a key destroyed, never one another process was creating in between
  const sealed = await exists(join(dataDir, AT_REST_MARKER_FILE))
  const existing = await loadAtRestKey(dataDir)
  if (existing !== undefined) {
    // a crash between the key and its marker: the marker now
    if (!sealed) await writeDurably(join(dataDir, AT_REST_MARKER_FILE), new Uint8Array(0))
    return existing
  }
  if (sealed) {
    throw new AtRestError('ERR_AT_REST_KEY_MISSING', `${join(dataDir, AT_REST_KEY_FILE)} is gone but ${dataDir} holds data sealed under it, which nothing can read any more (an interrupted \`murmur wipe\`?): run \`murmur wipe --data-dir ${dataDir}\` to remove the rest`)
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  try {
    await writeDurably(join(dataDir, AT_REST_KEY_FILE), await newAtRestKey(), { exclusive: true })
  } catch (err) {
    // another process created it first: use theirs
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return await loadOrCreateAtRestKey(dataDir)
}

/**
 * The at-rest key of `dataDir`, or undefined when it has none. Throws AtRestError `ERR_AT_REST_KEY_BAD`,
 * naming the fix, when the file is not 32 bytes, is not a plain file of its own (a symbolic link, which
 * could put the key anywhere, is refused, never followed), or belongs to another user or may be read by
 * other users (mode and owner are POSIX's: not checked on Windows, whose profile ACL keeps others out).
 *
 * @example
 * ```ts
 * const key = await loadAtRestKey(dataDir) // undefined: a data dir never sealed, or wiped
 * ```
 */
export async function loadAtRestKey (dataDir: string): Promise<Uint8Array | undefined> {
  const path = join(dataDir, AT_REST_KEY_FILE)
  let handle
  try {
    // no O_NOFOLLOW on Windows, so the link is looked for first there too; a link made in between fails with ELOOP
    if ((await lstat(path)).isSymbolicLink()) throw Object.assign(new Error(`${path} is a symbolic link`), { code: 'ELOOP' })
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP') {
      throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} is a symbolic link: the key must be a file of the data dir itself, never followed elsewhere; remove the link (\`rm ${path}\`) and run \`murmur wipe --data-dir ${dataDir}\`, or put your own key file there (mode 0600)`, { cause: err })
    }
    throw err
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} is not a file: remove it and run \`murmur wipe --data-dir ${dataDir}\``)
    const uid = process.getuid?.()
    if (process.platform !== 'win32' && uid !== undefined && info.uid !== uid) {
      throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} belongs to another user (uid ${info.uid}), who could read or replace it: run \`chown ${uid} ${path}\` if you made it, else \`murmur wipe --data-dir ${dataDir}\``)
    }
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}: other users may read it; run \`chmod 600 ${path}\``)
    }
    const bytes = new Uint8Array(await handle.readFile())
    if (bytes.byteLength !== AT_REST_KEY_BYTES) {
      throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} holds ${bytes.byteLength} bytes, not a ${AT_REST_KEY_BYTES}-byte key: it is damaged, and what is sealed under it cannot be read`)
    }
    return bytes
  } finally {
    await handle.close()
  }
}

/**
 * Destroys the at-rest key of `dataDir`: overwrites the file with random bytes and flushes them, then
 * unlinks it and flushes the directory. Resolves to whether there was a key. Flash storage may still keep
 * the old blocks somewhere; the overwrite is all a file system offers, and the key is 32 bytes among many.
 * A symbolic link in its place is unlinked, never written through (the file it points to is not ours).
 *
 * @example
 * ```ts
 * await destroyAtRestKey(dataDir) // everything sealed under it is now unreadable
 * ```
 */
export async function destroyAtRestKey (dataDir: string): Promise<boolean> {
  const path = join(dataDir, AT_REST_KEY_FILE)
  let handle
  try {
    // a link is unlinked, never written through: the noise would land on whatever file it points to
    if ((await lstat(path)).isSymbolicLink()) throw Object.assign(new Error(`${path} is a symbolic link`), { code: 'ELOOP' })
    handle = await open(path, fsConstants.O_RDWR | (fsConstants.O_NOFOLLOW ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    if (code !== 'ELOOP') throw err
    await rm(path, { force: true })
    await fsyncPath(dataDir)
    return true
  }
  try {
    const noise = await newAtRestKey()
    await handle.write(noise, 0, noise.byteLength, 0)
    await handle.truncate(noise.byteLength)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rm(path, { force: true })
  await fsyncPath(dataDir)
  return true
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** Whether `dataDir` was sealed (its key created at least once). */
export async function wasSealed (dataDir: string): Promise<boolean> {
  return await exists(join(dataDir, AT_REST_MARKER_FILE))
}
