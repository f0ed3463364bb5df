/**
 * @packageDocumentation
 *
 * At-rest encryption of a data dir (Node.js): one 32-byte key file (`at-rest.key`, 0600) that every
 * secret file and the store's values are sealed under (XChaCha20-Poly1305, libsodium), and the wipe that
 * destroys that key first (a crypto-erase). The browser's counterpart is `browser-key.ts`.
 *
 * @example
 * ```ts
 * import { readSealedFile, writeSealedFile, wipeDataDir } from '@murmur/node/internal'
 *
 * await writeSealedFile(dataDir, 'filters.json', new TextEncoder().encode('{}'))
 * await wipeDataDir(dataDir, { names: ['filters.json'] })
 * ```
 */
export { AtRestError } from './errors.js'
export type { AtRestErrorCode } from './errors.js'
export { AT_REST_KEY_FILE, AT_REST_MARKER_FILE, AT_REST_PENDING_FILE, destroyAtRestKey, loadAtRestKey, loadOrCreateAtRestKey } from './key-file.js'
export type { CreateAtRestKeyInit } from './key-file.js'
export { NODE_SECRET_FILES, SEALED_FILE_MAGIC, dataDirKeys, isSealedFile, openFileBytes, readSealedFile, writeSealedFile } from './sealed-file.js'
export type { DataDirKeysInit } from './sealed-file.js'
export { dataDirEntries, wipeDataDir } from './wipe.js'
export type { WipeInit, WipeResult } from './wipe.js'
export type { AtRestKeys } from './seal.js'
