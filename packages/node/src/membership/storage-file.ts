/**
 * Membership records as private files (Node.js): a directory of mode 0700 holding one file of mode 0600
 * per record, each replaced by write-to-temp, fsync, rename, fsync of the directory, so that a crash at
 * any moment leaves the old file or the new one, and a power cut does not lose a write that resolved.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { checkRecordName } from './storage.js'
import type { MemberStorage } from './storage.js'

/** Suffix of a record being written; a file with it is a write that a crash interrupted. */
const TEMP_SUFFIX = '.tmp'

/** Options of {@link createFileMemberStorage}. */
export interface FileMemberStorageInit {
  /** The directory of the records, created with mode 0700 (e.g. `<dataDir>/membership`). */
  dir: string
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
 * Membership records as files of mode 0600 in a directory of mode 0700, written atomically and durably.
 * Leftover temp files of an interrupted write are removed when the storage is created.
 *
 * @example
 * ```ts
 * const storage = await createFileMemberStorage({ dir: join(dataDir, 'membership') })
 * const state = await openMemberState({ storage })
 * ```
 */
export async function createFileMemberStorage (init: FileMemberStorageInit): Promise<MemberStorage> {
  const { dir } = init
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  for (const entry of await readdir(dir)) {
    if (entry.endsWith(TEMP_SUFFIX)) await rm(join(dir, entry), { force: true })
  }
  let writes = Promise.resolve()
  return {
    get: async (name) => {
      checkRecordName(name)
      try {
        return new Uint8Array(await readFile(join(dir, name)))
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined
        throw err
      }
    },
    put: async (name, bytes) => {
      checkRecordName(name)
      // one write at a time: two renames racing could leave the older bytes in place
      const write = writes.then(async () => { await writeAtomically(dir, name, bytes) })
      writes = write.catch(() => {})
      await write
    }
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
