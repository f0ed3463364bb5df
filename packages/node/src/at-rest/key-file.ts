/**
 * The data dir's at-rest key (Node.js): 32 random bytes in `<dataDir>/at-rest.key` (mode 0600), the one
 * small file that every secret file and the store's values are sealed under. Destroying it first is what
 * makes a wipe a crypto-erase: whatever flash storage keeps of the other files is ciphertext.
 */
import { constants as fsConstants } from 'node:fs'
import { link, lstat, mkdir, open, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { AtRestError } from './errors.js'
import { exists, fsyncIfThere, fsyncPath, writeDurably } from './durable-file.js'
import { AT_REST_KEY_BYTES, newAtRestKey } from './seal.js'

/** The key file in a data dir. */
export const AT_REST_KEY_FILE = 'at-rest.key'

/**
 * An empty file written once a new key has sealed what the data dir held in plain, before it becomes the
 * key: a data dir that has it but no key had its key destroyed (an interrupted wipe), and gets no new key
 * silently (what is sealed could never be opened again).
 */
export const AT_REST_MARKER_FILE = 'at-rest.sealed'

/**
 * A new key while it seals what an earlier version left in plain ({@link CreateAtRestKeyInit.beforeUse}),
 * before it is linked to {@link AT_REST_KEY_FILE}: only in that window is a plain file sealed; once the key
 * is there, a plain secret file is one planted by someone else and is refused.
 */
export const AT_REST_PENDING_FILE = 'at-rest.key-pending'

/** Options of {@link loadOrCreateAtRestKey}. */
export interface CreateAtRestKeyInit {
  /**
   * Called with a new key before it becomes the data dir's key, to seal in place what the data dir holds in
   * plain from an earlier version. Called again when a crash cut it short, and by each process creating
   * the key at the same moment (the same key): it must be safe to repeat.
   *
   * @default nothing
   */
  beforeUse?: (key: Uint8Array) => Promise<void>
}

/**
 * The at-rest key of `dataDir`, created when the data dir has none yet: written whole (0600) as
 * {@link AT_REST_PENDING_FILE}, handed to `init.beforeUse`, marked, then linked in as {@link
 * AT_REST_KEY_FILE}; a crash at any step is finished by the next call, and processes racing all end up
 * with one key. Throws AtRestError `ERR_AT_REST_KEY_MISSING` when the key is gone but the data dir was
 * sealed (finish with `murmur wipe`), `ERR_AT_REST_KEY_BAD` as {@link loadAtRestKey} does.
 *
 * @example
 * ```ts
 * const keys = await atRestKeys(await loadOrCreateAtRestKey(dataDir))
 * ```
 */
export async function loadOrCreateAtRestKey (dataDir: string, init: CreateAtRestKeyInit = {}): Promise<Uint8Array> {
  const path = (name: string): string => join(dataDir, name)
  for (;;) {
    // read in this order: the marker is written before the key is linked in, and the pending key is
    // removed only once the key is there, so a marker, then no pending key, then no key is a key
    // destroyed, never one that another process was creating in between
    const sealed = await exists(path(AT_REST_MARKER_FILE))
    const pending = await readKeyFile(dataDir, AT_REST_PENDING_FILE)
    const key = await readKeyFile(dataDir, AT_REST_KEY_FILE)
    if (key !== undefined) {
      // a key of an earlier version, made before its marker
      if (!sealed) await writeDurably(path(AT_REST_MARKER_FILE), new Uint8Array(0))
      if (pending !== undefined) await rm(path(AT_REST_PENDING_FILE), { force: true })
      return key
    }
    if (pending !== undefined) {
      await init.beforeUse?.(pending)
      if (!sealed) await writeDurably(path(AT_REST_MARKER_FILE), new Uint8Array(0))
      try {
        await link(path(AT_REST_PENDING_FILE), path(AT_REST_KEY_FILE))
      } catch (err) {
        // another process linked it first (the same key), or made it the key and removed it
        if (!['EEXIST', 'ENOENT'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err
      }
      await fsyncPath(dataDir)
      continue
    }
    if (sealed) {
      throw new AtRestError('ERR_AT_REST_KEY_MISSING', `${path(AT_REST_KEY_FILE)} is gone but ${dataDir} holds data sealed under it, which nothing can read any more (an interrupted \`murmur wipe\`?): run \`murmur wipe --data-dir ${dataDir}\` to remove the rest`)
    }
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    try {
      await writeDurably(path(AT_REST_PENDING_FILE), await newAtRestKey(), { exclusive: true })
    } catch (err) {
      // another process made one first: use theirs
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
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
  return await readKeyFile(dataDir, AT_REST_KEY_FILE)
}

/** The key in `<dataDir>/<name>`, checked as {@link loadAtRestKey} says; undefined when there is none. */
async function readKeyFile (dataDir: string, name: string): Promise<Uint8Array | undefined> {
  const path = join(dataDir, name)
  let handle
  try {
    handle = await openNoFollow(path, fsConstants.O_RDONLY)
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
 * Destroys the at-rest key of `dataDir` (and one being made): overwrites the file with random bytes and flushes them, then
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
  // a key being made too: the files of a creation cut short may be sealed under it
  const destroyed = await Promise.all([AT_REST_KEY_FILE, AT_REST_PENDING_FILE].map(async (name) => await destroyKeyFile(join(dataDir, name))))
  if (!destroyed.includes(true)) return false
  // the data dir removed meanwhile by another wipe: the unlink is moot
  await fsyncIfThere(dataDir)
  return true
}

/** Opens `path` with `flags` unless it is a symbolic link (then fails with ELOOP, as O_NOFOLLOW does). */
async function openNoFollow (path: string, flags: number): Promise<FileHandle> {
  // no O_NOFOLLOW on Windows, so the link is looked for first there too; a link made in between fails with ELOOP
  if ((await lstat(path)).isSymbolicLink()) throw Object.assign(new Error(`${path} is a symbolic link`), { code: 'ELOOP' })
  return await open(path, flags | (fsConstants.O_NOFOLLOW ?? 0))
}

/** Overwrites the key file at `path` with noise, flushed, then unlinks it; whether there was one. */
async function destroyKeyFile (path: string): Promise<boolean> {
  let handle
  try {
    handle = await openNoFollow(path, fsConstants.O_RDWR)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    // a link is unlinked, never written through: the noise would land on whatever file it points to
    if (code !== 'ELOOP') throw err
    await rm(path, { force: true })
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
  return true
}

