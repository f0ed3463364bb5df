/**
 * Private records as files (Node.js): a directory of mode 0700 holding one file of mode 0600 per record,
 * each replaced by write-to-temp, fsync, rename, fsync of the directory, so that a crash at any moment
 * leaves the old file or the new one, and a power cut does not lose a write that resolved; sealed under
 * the data dir's at-rest key when given one (a record written before sealing is sealed when first read).
 * The member key and stamps are kept so (`<dataDir>/membership`), and the circles' secrets (`<dataDir>/circles`).
 */
import { chmod, mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { TEMP_SUFFIX, fsyncPath, writeDurably } from '../at-rest/durable-file.js'
import { openFileBytes, sealFileBytes } from '../at-rest/sealed-file.js'
import { checkRecordName } from './storage.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { MemberStorage } from './storage.js'

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
  /**
   * Seal every record under these keys, each with `<place>/<name>` as its place (the folder's name in the
   * data dir, e.g. `circles`), so a record moved to another name does not open.
   *
   * @default records kept as they are (plain)
   */
  seal?: { keys: AtRestKeys, place: string }
}

/** Options of {@link createFileMemberStorage}. */
export interface FileMemberStorageInit {
  /** The directory of the records, created with mode 0700 (e.g. `<dataDir>/membership`). */
  dir: string
  /** Seal the records (see PrivateRecordStorageInit.seal). @default plain */
  seal?: { keys: AtRestKeys, place: string }
}

/** A file name that stays in its directory and is not a write in progress. */
function checkFileName (name: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/.test(name) || name.endsWith(TEMP_SUFFIX)) {
    throw new RangeError(`expected a record name of letters, digits, '-', '_' and '.', got ${JSON.stringify(name)}`)
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
  const seal = init.seal
  const sealed = (name: string, plain: Uint8Array): Uint8Array => seal === undefined ? plain : sealFileBytes(seal.keys, `${seal.place}/${name}`, plain)
  const read = async (name: string): Promise<Uint8Array | undefined> => {
    try {
      return new Uint8Array(await readFile(join(dir, name)))
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined
      throw err
    }
  }
  return {
    get: async (name) => {
      checkName(name)
      const bytes = await read(name)
      if (bytes === undefined || seal === undefined) return bytes
      const { plain, legacy } = openFileBytes(seal.keys, `${seal.place}/${name}`, bytes)
      // a record of an earlier version is sealed in place, unless a write replaced it meanwhile
      if (legacy) {
        await serially(async () => {
          const now = await read(name)
          if (now !== undefined && now.byteLength === bytes.byteLength && now.every((byte, i) => byte === bytes[i])) await writeDurably(join(dir, name), sealed(name, plain))
        })
      }
      return plain
    },
    put: async (name, bytes) => {
      checkName(name)
      await serially(async () => { await writeDurably(join(dir, name), sealed(name, bytes)) })
    },
    delete: async (name) => {
      checkName(name)
      await serially(async () => {
        await rm(join(dir, name), { force: true })
        await fsyncPath(dir)
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
  const records = await createPrivateRecordStorage({ dir: init.dir, checkName: checkRecordName, seal: init.seal })
  return {
    get: async (name) => await records.get(name),
    put: async (name, bytes) => { await records.put(name, bytes) }
  }
}
