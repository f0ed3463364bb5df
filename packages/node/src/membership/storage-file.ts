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
import { isSealedFile, openFileBytes, sealFileBytes } from '../at-rest/sealed-file.js'
import { AtRestError } from '../at-rest/errors.js'
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
   * Seal every record under these keys, each with `<place>/<file>` as its place (the folder's name in the
   * data dir, e.g. `circles`), so a record moved to another file does not open; with `hideNames`, files
   * are named by a keyed hash of the record's name, which is sealed inside. Records of an earlier version
   * are sealed when the storage is created.
   *
   * @default records kept as they are (plain)
   */
  seal?: { keys: AtRestKeys, place: string, hideNames?: boolean }
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
  const read = async (file: string): Promise<Uint8Array | undefined> => {
    try {
      return new Uint8Array(await readFile(join(dir, file)))
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined
      throw err
    }
  }
  if (seal === undefined) {
    return {
      get: async (name) => { checkName(name); return await read(name) },
      put: async (name, bytes) => {
        checkName(name)
        await serially(async () => { await writeDurably(join(dir, name), bytes) })
      },
      delete: async (name) => {
        checkName(name)
        await serially(async () => { await rm(join(dir, name), { force: true }); await fsyncPath(dir) })
      },
      names: async () => (await readdir(dir)).filter((entry) => !entry.endsWith(TEMP_SUFFIX))
    }
  }
  const sealed = new SealedRecords(seal.keys, seal.place, seal.hideNames === true)
  // records of an earlier version named by their name when names are hidden (sealed in place when the key
  // was made, see dataDirKeys) are renamed now: the new file is written before the old one goes, and doing
  // it again after a crash writes the same; a record in plain is refused (AtRestError ERR_PLAIN_FILE)
  for (const entry of await readdir(dir)) {
    if (entry.endsWith(TEMP_SUFFIX) || (sealed.hideNames && sealed.isSealedName(entry))) continue
    const bytes = await read(entry)
    if (bytes === undefined || (!sealed.hideNames && isSealedFile(bytes))) continue
    const plain = openFileBytes(seal.keys, `${seal.place}/${entry}`, bytes)
    await writeDurably(join(dir, sealed.fileOf(entry)), sealed.seal(entry, plain))
    if (sealed.fileOf(entry) !== entry) {
      await rm(join(dir, entry), { force: true })
      await fsyncPath(dir)
    }
  }
  return {
    get: async (name) => {
      checkName(name)
      const file = sealed.hideNames && sealed.isSealedName(name) ? name : sealed.fileOf(name)
      const bytes = await read(file)
      return bytes === undefined ? undefined : sealed.open(file, bytes).bytes
    },
    put: async (name, bytes) => {
      checkName(name)
      await serially(async () => { await writeDurably(join(dir, sealed.fileOf(name)), sealed.seal(name, bytes)) })
    },
    delete: async (name) => {
      checkName(name)
      await serially(async () => {
        await rm(join(dir, sealed.fileOf(name)), { force: true })
        await fsyncPath(dir)
      })
    },
    names: async () => {
      if (!sealed.hideNames) return (await readdir(dir)).filter((entry) => !entry.endsWith(TEMP_SUFFIX))
      const names: string[] = []
      for (const entry of await readdir(dir)) {
        if (!sealed.isSealedName(entry)) continue
        const bytes = await read(entry)
        if (bytes === undefined) continue
        // a file that does not open is listed by its own name, so that reading it reports the damage
        try { names.push(sealed.open(entry, bytes).name) } catch { names.push(entry) }
      }
      return names
    }
  }
}

/**
 * Sealed records, each sealed with its file's place in the data dir. With `hideNames` the file is named by
 * a keyed hash of the record's name (a circle's name says who the circle is) and holds `u16 len | name |
 * bytes`; else it is named by the record (fixed names: `member-key`) and holds the bytes.
 */
class SealedRecords {
  constructor (private readonly keys: AtRestKeys, private readonly place: string, readonly hideNames: boolean) {}

  /** The file of a record: its name, or 32 hex digits of a keyed hash of it. */
  fileOf (name: string): string {
    if (!this.hideNames) return name
    return Array.from(this.keys.hashName(new TextEncoder().encode(name)), (byte) => byte.toString(16).padStart(2, '0')).join('') + SEALED_RECORD_SUFFIX
  }

  /** Whether a file is named as {@link SealedRecords.fileOf} names them. */
  isSealedName (file: string): boolean {
    return SEALED_RECORD_NAME.test(file)
  }

  seal (name: string, bytes: Uint8Array): Uint8Array {
    if (!this.hideNames) return sealFileBytes(this.keys, `${this.place}/${name}`, bytes)
    const encoded = new TextEncoder().encode(name)
    const plain = new Uint8Array(2 + encoded.byteLength + bytes.byteLength)
    new DataView(plain.buffer).setUint16(0, encoded.byteLength)
    plain.set(encoded, 2)
    plain.set(bytes, 2 + encoded.byteLength)
    return sealFileBytes(this.keys, `${this.place}/${this.fileOf(name)}`, plain)
  }

  open (file: string, sealed: Uint8Array): { name: string, bytes: Uint8Array } {
    const plain = openFileBytes(this.keys, `${this.place}/${file}`, sealed)
    if (!this.hideNames) return { name: file, bytes: plain }
    const length = plain.byteLength < 2 ? Infinity : new DataView(plain.buffer, plain.byteOffset).getUint16(0)
    // a hidden-name record cut short is damaged
    if (2 + length > plain.byteLength) throw new AtRestError('ERR_SEALED_DAMAGED', `${this.place}/${file} is damaged`)
    return { name: new TextDecoder().decode(plain.subarray(2, 2 + length)), bytes: plain.slice(2 + length) }
  }
}

/** Suffix of a sealed record's file. */
const SEALED_RECORD_SUFFIX = '.sealed'
const SEALED_RECORD_NAME = /^[0-9a-f]{32}\.sealed$/


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
