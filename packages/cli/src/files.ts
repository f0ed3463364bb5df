/**
 * Files and directories only the user may read: the data dir, the identity and the control API token;
 * the secret ones sealed under the data dir's at-rest key (`@murmur/node/at-rest`'s files).
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { IDENTITY_FILE, JOINED_CHANNELS_FILE } from './constants.js'
import { FILTERS_FILE } from './filter-file.js'
import { DataDirError } from './errors.js'
import { shellWord } from './hint.js'
import type { Stats } from 'node:fs'
import type * as AtRest from '@murmur/node/at-rest'

/** Options of the checks that a file or directory is private. */
export interface PrivacyCheckOptions {
  /**
   * The platform whose permission model applies. On Windows the mode bits say nothing about who may
   * read a file (Node reports every writable file and folder as 0666), so they are not checked there:
   * the data dir lies in the user's profile, whose access control list keeps other users out.
   *
   * @default process.platform
   */
  platform?: NodeJS.Platform
}

/**
 * Creates a directory (and its parents) with mode 0700 when missing.
 *
 * @example
 * ```ts
 * await ensurePrivateDir('/home/ada/.local/share/murmur')
 * ```
 */
async function ensurePrivateDir (dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw notADirectory(dir, err) ?? err
  }
}

/**
 * The DataDirError of a data dir that is a file, or lies under one (mkdir's EEXIST, stat's ENOTDIR);
 * undefined for any other failure.
 */
function notADirectory (dir: string, err: unknown): DataDirError | undefined {
  const code = (err as NodeJS.ErrnoException).code
  if (code !== 'EEXIST' && code !== 'ENOTDIR') return undefined
  return new DataDirError(`the data dir ${dir} is ${code === 'EEXIST' ? 'a file' : 'inside a file'}, not a directory: give --data-dir a directory (it is created when missing)`, { cause: err })
}

/**
 * Creates a data dir with mode 0700 when missing, then checks that it is private (checkPrivateDir).
 *
 * @example
 * ```ts
 * await ensureDataDir('/home/ada/.local/share/murmur')
 * ```
 */
export async function ensureDataDir (dir: string, options: PrivacyCheckOptions = {}): Promise<void> {
  await ensurePrivateDir(dir)
  await checkPrivateDir(dir, options)
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
 * Reads a file that must belong to this user and not be readable or writable by group or others;
 * undefined when it does not exist. Throws `onUnsafe(problem, fix)` otherwise, e.g. with
 * `has mode 0644` and `` run `chmod 600 <path>` ``.
 *
 * @example
 * ```ts
 * const text = await readPrivateFile(path, (problem, fix) => new Error(`${path} ${problem}; ${fix}`))
 * ```
 */
export async function readPrivateFile (path: string, onUnsafe: (problem: string, fix: string) => Error, options: PrivacyCheckOptions = {}): Promise<string | undefined> {
  const bytes = await readPrivateBytes(path, onUnsafe, options)
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes)
}

/**
 * Reads `<dataDir>/<name>`, a secret file sealed under the data dir's at-rest key, as text: checked as
 * {@link readPrivateFile} checks, then opened. Throws AtRestError `ERR_SEALED_DAMAGED` when it does not
 * open, `ERR_PLAIN_FILE` when it is in plain (put there by someone else: an earlier version's plain files
 * are sealed once, when the key is made). Undefined when it does not exist.
 *
 * @example
 * ```ts
 * const text = await readSealedPrivateFile(dataDir, 'filters.json', (problem, fix) => new DataDirError(`${problem}; ${fix}`))
 * ```
 */
export async function readSealedPrivateFile (dataDir: string, name: string, onUnsafe: (problem: string, fix: string) => Error, options: PrivacyCheckOptions = {}): Promise<string | undefined> {
  let bytes = await readPrivateBytes(join(dataDir, name), onUnsafe, options)
  if (bytes === undefined) return undefined
  const { isSealedFile, openFileBytes } = await loadAtRest()
  const keys = await atRestKeysOf(dataDir)
  // in plain: the keys, made just now, may have sealed it (what an earlier version left in plain is sealed
  // then), so it is read again; still plain, openFileBytes refuses it
  if (!isSealedFile(bytes)) bytes = await readPrivateBytes(join(dataDir, name), onUnsafe, options)
  if (bytes === undefined) return undefined
  return new TextDecoder().decode(openFileBytes(keys, name, bytes))
}

/**
 * Writes `text` to `<dataDir>/<name>` sealed under the data dir's at-rest key (created on first use), mode
 * 0600, atomically and durably; with `exclusive`, fails with EEXIST instead of replacing a file.
 *
 * @example
 * ```ts
 * await writeSealedPrivateFile(dataDir, 'channels.json', '{"channels":[]}')
 * ```
 */
export async function writeSealedPrivateFile (dataDir: string, name: string, text: string, options: { exclusive?: boolean } = {}): Promise<void> {
  await ensurePrivateDir(dataDir)
  const { writeSealedFile } = await loadAtRest()
  await writeSealedFile(dataDir, name, new TextEncoder().encode(text), { ...options, keys: await atRestKeysOf(dataDir) })
}

/** The at-rest keys of each data dir this process opened: the key file is read and its subkeys derived once. */
const opened = new Map<string, Promise<AtRest.AtRestKeys>>()

/**
 * The at-rest keys of `dataDir`, its key made on first use (then the CLI's secret files an earlier version
 * wrote in plain are sealed with the node's, see dataDirKeys), read once per process and kept: every
 * sealed file a command reads or writes uses them.
 *
 * @example
 * ```ts
 * const filters = openFileBytes(await atRestKeysOf(dataDir), 'filters.json', bytes)
 * ```
 */
export async function atRestKeysOf (dataDir: string): Promise<AtRest.AtRestKeys> {
  const path = resolve(dataDir)
  let keys = opened.get(path)
  if (keys === undefined) {
    // the CLI's secret files besides the node's: the author identity, filters and mutes, joined channels
    const secretFiles = [IDENTITY_FILE, FILTERS_FILE, JOINED_CHANNELS_FILE]
    keys = loadAtRest().then(async ({ NODE_SECRET_FILES, dataDirKeys }) => await dataDirKeys(path, { secretFiles: [...NODE_SECRET_FILES, ...secretFiles] }))
    opened.set(path, keys)
    // a failure (a bad key file) is not kept: the next call reads the key file again
    keys.catch(() => { opened.delete(path) })
  }
  return await keys
}

/**
 * `@murmur/node`'s at-rest sealing, loaded on first use: every command imports this module, and most
 * open no sealed file (the at-rest module brings LevelDB's native binding).
 */
async function loadAtRest (): Promise<typeof AtRest> {
  return import('@murmur/node/at-rest')
}

/** The bytes of a private file (see readPrivateFile); undefined when it does not exist. */
async function readPrivateBytes (path: string, onUnsafe: (problem: string, fix: string) => Error, options: PrivacyCheckOptions): Promise<Uint8Array | undefined> {
  let info: Stats
  try {
    info = await stat(path)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      return undefined
    }
    throw err
  }
  const unsafe = privacyProblem(path, info, 0o600, options.platform)
  if (unsafe !== undefined) {
    throw onUnsafe(unsafe.problem, unsafe.fix)
  }
  return new Uint8Array(await readFile(path))
}

/**
 * Checks that a data dir is a directory of this user that no one else may read, write or enter.
 * Throws DataDirError saying what to run (the `chmod`) when it is not.
 *
 * @example
 * ```ts
 * await checkPrivateDir(dataDir)
 * ```
 */
export async function checkPrivateDir (dir: string, options: PrivacyCheckOptions = {}): Promise<void> {
  const info = await stat(dir).catch((err: unknown) => { throw notADirectory(dir, err) ?? err })
  if (!info.isDirectory()) {
    throw notADirectory(dir, Object.assign(new Error(`${dir} is not a directory`), { code: 'EEXIST' }))!
  }
  const unsafe = privacyProblem(dir, info, 0o700, options.platform)
  if (unsafe !== undefined) {
    throw new DataDirError(`the data dir ${dir} ${unsafe.problem}: other users could read or replace your author key and the control API token; ${unsafe.fix}`)
  }
}

/**
 * What makes a file or directory not private to this user, and how to fix it; undefined when it is
 * private. On Windows, always undefined: owner and mode bits are POSIX's (see PrivacyCheckOptions).
 */
function privacyProblem (path: string, info: Stats, mode: number, platform: NodeJS.Platform = process.platform): { problem: string, fix: string } | undefined {
  if (platform === 'win32') {
    return undefined
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  if (uid !== undefined && info.uid !== uid) {
    return { problem: `belongs to another user (uid ${info.uid})`, fix: 'use a data dir of your own (--data-dir)' }
  }
  const actual = info.mode & 0o777
  if ((actual & 0o077) === 0) {
    return undefined
  }
  return { problem: `has mode ${actual.toString(8).padStart(4, '0')}`, fix: `run \`chmod ${mode.toString(8)} ${shellWord(path)}\`` }
}
