/**
 * Private records as files (Node.js): a directory of mode 0700 holding one file of mode 0600 per record,
 * each replaced by write-to-temp, fsync, rename, fsync of the directory, so that a crash at any moment
 * leaves the old file or the new one, and a power cut does not lose a write that resolved. The member key
 * and stamps are kept so (`<dataDir>/membership`), and the circles' secrets (`<dataDir>/circles`).
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { checkRecordName } from './storage.js'
import type { MemberStorage } from './storage.js'

/** Suffix of a record being written; a file with it is a write that a crash interrupted. */
const TEMP_SUFFIX = '.tmp'

/** Named byte records in private files: every write atomic and durable once it resolves. */
export interface PrivateRecordStorage {
  /** The record's bytes, or undefined when there is none of that name. */
  get(name: string): Promise<Uint8Array | undefined>
  /** Replaces the record, atomically and durably (file mode 0600). */
  put(name: string, bytes: Uint8Array): Promise<void>
  /** Removes the record (nothing when there is none), durably. */
  delete(name: string): Promise<void>
  /** The names of every record kept. */
  names(): Promise<string[]>
}

/** Options of {@link createPrivateRecordStorage}. */
export interface PrivateRecordStorageInit {
  /** The directory of the records, created with mode 0700. */
  dir: string
  /**
   * Throws unless `name` is a record this storage may hold; it also keeps a name from leaving `dir`.
   *
   * @default any name of letters, digits, `-`, `_` and `.`, not starting with `.` and not ending in `.tmp`
   */
  checkName?: (name: string) => void
}

/** Options of {@link createFileMemberStorage}. */
export interface FileMemberStorageInit {
  /** The directory of the records, created with mode 0700 (e.g. `<dataDir>/membership`). */
  dir: string
}

/** A file name that stays in its directory and is not a write in progress. */
function checkFileName (name: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/.test(name) || name.endsWith(TEMP_SUFFIX)) {
    throw new RangeError(`expected a record name of letters, digits, '-', '_' and '.', got ${JSON.stringify(name)}`)
  }
}

async function fsyncPath (path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Named records as files of mode 0600 in a directory of mode 0700, written atomically and durably, one
 * write at a time. Leftover temp files of an interrupted write are removed when the storage is created.
 *
 * @example
 * ```ts
 * const records = await createPrivateRecordStorage({ dir: join(dataDir, 'circles') })
 * await records.put('friends', secretBytes)
 * ```
 */
export async function createPrivateRecordStorage (init: PrivateRecordStorageInit): Promise<PrivateRecordStorage> {
  const { dir } = init
  const checkName = init.checkName ?? checkFileName
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  for (const entry of await readdir(dir)) {
    if (entry.endsWith(TEMP_SUFFIX)) await rm(join(dir, entry), { force: true })
  }
  let writes = Promise.resolve()
  // one change at a time: two renames racing could leave the older bytes in place
  const serially = async (change: () => Promise<void>): Promise<void> => {
    const run = writes.then(change)
    writes = run.catch(() => {})
    await run
  }
  return {
    get: async (name) => {
      checkName(name)
      try {
        return new Uint8Array(await readFile(join(dir, name)))
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined
        throw err
      }
    },
    put: async (name, bytes) => {
      checkName(name)
      await serially(async () => { await writeAtomically(dir, name, bytes) })
    },
    delete: async (name) => {
      checkName(name)
      await serially(async () => {
        await rm(join(dir, name), { force: true })
        await fsyncPath(dir, 'r')
      })
    },
    names: async () => (await readdir(dir)).filter((entry) => !entry.endsWith(TEMP_SUFFIX))
  }
}

/**
 * Membership records as files of mode 0600 in a directory of mode 0700, written atomically and durably
 * ({@link createPrivateRecordStorage}, holding the membership records only).
 *
 * @example
 * ```ts
 * const storage = await createFileMemberStorage({ dir: join(dataDir, 'membership') })
 * const state = await openMemberState({ storage })
 * ```
 */
export async function createFileMemberStorage (init: FileMemberStorageInit): Promise<MemberStorage> {
  const records = await createPrivateRecordStorage({ dir: init.dir, checkName: checkRecordName })
  return {
    get: async (name) => await records.get(name),
    put: async (name, bytes) => { await records.put(name, bytes) }
  }
}

async function writeAtomically (dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const path = join(dir, name)
  const tmp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`
  try {
    const handle = await open(tmp, 'wx', 0o600)
    try {
      await handle.chmod(0o600)
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  // the rename itself is durable only once the directory is
  await fsyncPath(dir, 'r')
}
