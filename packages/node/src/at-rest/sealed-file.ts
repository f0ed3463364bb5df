/**
 * Secret files sealed under the data dir's at-rest key (Node.js): `magic | nonce | XChaCha20-Poly1305`,
 * the file's name in the data dir as associated data (a sealed file renamed does not open). A file without
 * the magic is one written before sealing: it is read as it is and sealed in place (crash-safe: the
 * rename leaves the plain file or the sealed one).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeDurably } from './durable-file.js'
import { loadOrCreateAtRestKey } from './key-file.js'
import { atRestKeys } from './seal.js'
import type { AtRestKeys } from './seal.js'

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
 * The plain bytes of a file as read: opened when sealed (AtRestError `ERR_SEALED_DAMAGED` when it does not
 * open), as they are when the file predates sealing (`legacy`).
 *
 * @example
 * ```ts
 * const { plain, legacy } = openFileBytes(keys, 'filters.json', await readFile(path))
 * ```
 */
export function openFileBytes (keys: AtRestKeys, name: string, bytes: Uint8Array): { plain: Uint8Array, legacy: boolean } {
  if (!isSealedFile(bytes)) return { plain: bytes, legacy: true }
  return { plain: keys.open(bytes.subarray(SEALED_FILE_MAGIC.byteLength), 'file', encoder.encode(name), `${name} (sealed)`), legacy: false }
}

/**
 * The sealing keys of a data dir, its key file created on first use (see loadOrCreateAtRestKey).
 *
 * @example
 * ```ts
 * const keys = await dataDirKeys(dataDir)
 * ```
 */
export async function dataDirKeys (dataDir: string): Promise<AtRestKeys> {
  return await atRestKeys(await loadOrCreateAtRestKey(dataDir))
}

/**
 * Reads `<dataDir>/<name>` (a `/`-separated path in the data dir) and opens it; undefined when there is no
 * such file. A file that predates sealing is sealed in place once read.
 *
 * @example
 * ```ts
 * const plain = await readSealedFile(dataDir, 'peer.key')
 * ```
 */
export async function readSealedFile (dataDir: string, name: string, keys?: AtRestKeys): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(join(dataDir, name)))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return await openAndMigrate(dataDir, name, bytes, keys)
}

/**
 * Opens bytes read from `<dataDir>/<name>`, sealing a file that predates sealing in place.
 *
 * @example
 * ```ts
 * const plain = await openAndMigrate(dataDir, 'identity.json', bytesRead)
 * ```
 */
export async function openAndMigrate (dataDir: string, name: string, bytes: Uint8Array, keys?: AtRestKeys): Promise<Uint8Array> {
  const using = keys ?? await dataDirKeys(dataDir)
  const { plain, legacy } = openFileBytes(using, name, bytes)
  // sealed in place unless another process replaced it meanwhile (its write is sealed already)
  if (legacy && equalBytes(await readFile(join(dataDir, name)).catch(() => undefined), bytes)) {
    await writeDurably(join(dataDir, name), sealFileBytes(using, name, plain))
  }
  return plain
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
