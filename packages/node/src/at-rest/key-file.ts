/**
 * The data dir's at-rest key (Node.js): 32 random bytes in `<dataDir>/at-rest.key` (mode 0600), the one
 * small file that every secret file and the store's values are sealed under. Destroying it first is what
 * makes a wipe a crypto-erase: whatever flash storage keeps of the other files is ciphertext.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises'
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
  const existing = await loadAtRestKey(dataDir)
  if (existing !== undefined) {
    // a crash between the key and its marker: the marker now
    if (!await exists(join(dataDir, AT_REST_MARKER_FILE))) await writeDurably(join(dataDir, AT_REST_MARKER_FILE), new Uint8Array(0))
    return existing
  }
  if (await exists(join(dataDir, AT_REST_MARKER_FILE))) {
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
 * The at-rest key of `dataDir`, or undefined when it has none. Throws AtRestError `ERR_AT_REST_KEY_BAD`
 * when the file is not 32 bytes or other users may read it.
 *
 * @example
 * ```ts
 * const key = await loadAtRestKey(dataDir) // undefined: a data dir never sealed, or wiped
 * ```
 */
export async function loadAtRestKey (dataDir: string): Promise<Uint8Array | undefined> {
  const path = join(dataDir, AT_REST_KEY_FILE)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
    throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} may be read by other users: run \`chmod 600 ${path}\``)
  }
  if (bytes.byteLength !== AT_REST_KEY_BYTES) {
    throw new AtRestError('ERR_AT_REST_KEY_BAD', `${path} holds ${bytes.byteLength} bytes, not a ${AT_REST_KEY_BYTES}-byte key: it is damaged, and what is sealed under it cannot be read`)
  }
  return bytes
}

/**
 * Destroys the at-rest key of `dataDir`: overwrites the file with random bytes and flushes them, then
 * unlinks it and flushes the directory. Resolves to whether there was a key. Flash storage may still keep
 * the old blocks somewhere; the overwrite is all a file system offers, and the key is 32 bytes among many.
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
    handle = await open(path, 'r+')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
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
