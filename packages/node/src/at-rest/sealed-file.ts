/**
 * Secret files sealed under the data dir's at-rest key (Node.js): `magic | nonce | XChaCha20-Poly1305`,
 * the file's name in the data dir as associated data (a sealed file renamed does not open). The files an
 * earlier version wrote in plain are sealed in place once, by the key's creation, before the key is used
 * (see loadOrCreateAtRestKey); after that a secret file in plain is one someone else put there (it would
 * choose the member key, a circle's keys, the author identity) and is refused, never read.
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PEER_KEY_FILE } from '../constants.js'
import { TEMP_SUFFIX, writeDurably } from './durable-file.js'
import { AtRestError } from './errors.js'
import { loadOrCreateAtRestKey } from './key-file.js'
import { atRestKeys } from './seal.js'
import type { AtRestKeys } from './seal.js'
import type { SealStoreInit } from '../store/sealing-migration.js'

/** First bytes of a sealed file: a NUL (no JSON or text file starts so), `MSEAL`, a NUL and the format version. */
export const SEALED_FILE_MAGIC = new Uint8Array([0x00, 0x4d, 0x53, 0x45, 0x41, 0x4c, 0x00, 0x01])

const encoder = new TextEncoder()

function equalBytes (a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])
}

/** Whether `bytes` are a sealed file (start with {@link SEALED_FILE_MAGIC}). */
export function isSealedFile (bytes: Uint8Array): boolean {
  return bytes.byteLength >= SEALED_FILE_MAGIC.byteLength && SEALED_FILE_MAGIC.every((byte, i) => bytes[i] === byte)
}

/**
 * The sealed form of a file's bytes; `name` is the file's path relative to the data dir (`/`-separated).
 *
 * @example
 * ```ts
 * await writeDurably(join(dataDir, 'peer.key'), sealFileBytes(keys, 'peer.key', plain))
 * ```
 */
export function sealFileBytes (keys: AtRestKeys, name: string, plain: Uint8Array): Uint8Array {
  const sealed = keys.seal(plain, 'file', encoder.encode(name))
  const out = new Uint8Array(SEALED_FILE_MAGIC.byteLength + sealed.byteLength)
  out.set(SEALED_FILE_MAGIC)
  out.set(sealed, SEALED_FILE_MAGIC.byteLength)
  return out
}

/**
 * The plain bytes of a sealed file as read. Throws AtRestError `ERR_SEALED_DAMAGED` when it does not open,
 * `ERR_PLAIN_FILE` when it is not sealed at all (put there by someone else: it is not read).
 *
 * @example
 * ```ts
 * const plain = openFileBytes(keys, 'filters.json', await readFile(path))
 * ```
 */
export function openFileBytes (keys: AtRestKeys, name: string, bytes: Uint8Array): Uint8Array {
  if (!isSealedFile(bytes)) {
    throw new AtRestError('ERR_PLAIN_FILE', `${name} is in plain, where only sealed files are kept once the data dir is sealed: someone else put it there (or it was copied in from an old backup), and it was not read; move it away (\`mv ${name} ${name}.planted\` in the data dir) and start again`)
  }
  return keys.open(bytes.subarray(SEALED_FILE_MAGIC.byteLength), 'file', encoder.encode(name), `${name} (sealed)`)
}

/**
 * The secret files a node keeps in a data dir (a name ending in `/`: every file of that folder), that an
 * earlier version wrote in plain.
 */
export const NODE_SECRET_FILES: readonly string[] = [PEER_KEY_FILE, 'membership/', 'circles/']

/** Options of {@link dataDirKeys}. */
export interface DataDirKeysInit {
  /**
   * The secret files of the data dir (relative, `/`-separated; a name ending in `/` is every file of that
   * folder) that an earlier version may have written in plain: sealed in place when the key is created,
   * the only time a plain file is sealed. An application adds its own (the CLI: its identity, filters).
   *
   * @default NODE_SECRET_FILES
   */
  secretFiles?: readonly string[]
  /**
   * Options of the sealing of an earlier version's plain store, which the key's creation does with the
   * secret files (see sealStoreDir): a test kills the process at one of its steps.
   *
   * @default {}
   */
  storeSealing?: SealStoreInit
}

/**
 * The sealing keys of a data dir, its key file created on first use (see loadOrCreateAtRestKey), the
 * secret files and the store an earlier version left in plain sealed before the key is used: that is the
 * only time anything in plain is sealed, so that a plain file or store found once the key is there, put
 * there by someone who can write the data dir, is refused (ERR_PLAIN_FILE, ERR_PLAIN_STORE), never adopted.
 *
 * @example
 * ```ts
 * const keys = await dataDirKeys(dataDir)
 * ```
 */
export async function dataDirKeys (dataDir: string, init: DataDirKeysInit = {}): Promise<AtRestKeys> {
  const names = init.secretFiles ?? NODE_SECRET_FILES
  const beforeUse = async (key: Uint8Array): Promise<void> => {
    const keys = await atRestKeys(key)
    await sealPlainFiles(dataDir, keys, names)
    // loaded here, once per data dir: the store's modules stay out of every process that only reads a file
    const { sealStoreDir } = await import('../store/sealing-migration.js')
    await sealStoreDir(dataDir, keys, init.storeSealing)
  }
  return await atRestKeys(await loadOrCreateAtRestKey(dataDir, { beforeUse }))
}

/**
 * Seals in place each of `names` (see DataDirKeysInit.secretFiles) that is in plain. Safe to repeat after
 * a crash (a sealed file is left as it is; each file is replaced whole), and beside another process doing
 * the same: a file replaced meanwhile is left to that process.
 */
async function sealPlainFiles (dataDir: string, keys: AtRestKeys, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const files = name.endsWith('/') ? (await entriesOf(join(dataDir, name))).map((entry) => `${name}${entry}`) : [name]
    for (const file of files) {
      const bytes = await readIfFile(join(dataDir, file))
      if (bytes === undefined || isSealedFile(bytes)) continue
      if (equalBytes(await readIfFile(join(dataDir, file)), bytes)) await writeDurably(join(dataDir, file), sealFileBytes(keys, file, bytes))
    }
  }
}

/** The entries of a folder, writes cut short left out; none when it is missing. */
async function entriesOf (dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((entry) => !entry.endsWith(TEMP_SUFFIX))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

/** The bytes of a file; undefined when there is none (or it is a folder). */
async function readIfFile (path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (err) {
    if (['ENOENT', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined
    throw err
  }
}

/**
 * Reads `<dataDir>/<name>` (a `/`-separated path in the data dir) and opens it; undefined when there is no
 * such file. Throws AtRestError as {@link openFileBytes} does.
 *
 * @example
 * ```ts
 * const plain = await readSealedFile(dataDir, 'peer.key')
 * ```
 */
export async function readSealedFile (dataDir: string, name: string, keys?: AtRestKeys): Promise<Uint8Array | undefined> {
  // the keys first: made now, they seal what an earlier version left in plain before the file is read
  const using = keys ?? await dataDirKeys(dataDir)
  const bytes = await readIfFile(join(dataDir, name))
  return bytes === undefined ? undefined : openFileBytes(using, name, bytes)
}

/**
 * Seals `plain` into `<dataDir>/<name>` (mode 0600), atomically and durably; with `exclusive`, fails with
 * EEXIST when the file is there.
 *
 * @example
 * ```ts
 * await writeSealedFile(dataDir, 'filters.json', utf8(text))
 * ```
 */
export async function writeSealedFile (dataDir: string, name: string, plain: Uint8Array, options: { exclusive?: boolean, keys?: AtRestKeys } = {}): Promise<void> {
  const keys = options.keys ?? await dataDirKeys(dataDir)
  await writeDurably(join(dataDir, name), sealFileBytes(keys, name, plain), { exclusive: options.exclusive })
}
