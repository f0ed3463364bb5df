/**
 * The author identity file: a ristretto255 key pair in `<dataDir>/identity.json`, mode 0600, sealed under
 * the data dir's at-rest key. It derives per-thread pseudonyms inside the node and never reaches the
 * network or a log.
 */
import { join } from 'node:path'
import { authorPublicKey, equalBytes, fromHex, generateAuthorKey, ready, toHex } from '@murmur/protocol'
import { IDENTITY_FILE } from './constants.js'
import { IdentityError } from './errors.js'
import { readSealedPrivateFile, writeSealedPrivateFile } from './files.js'
import type { AuthorKey } from '@murmur/protocol'

/** The identity of a data dir and whether this call created it. */
export interface Identity {
  key: AuthorKey
  /** Absolute path of the identity file. */
  path: string
  created: boolean
}

interface IdentityFileContent {
  version: 1
  type: 'ristretto255'
  secretKey: string
  publicKey: string
}

/**
 * The path of the identity file of a data dir.
 *
 * @example
 * ```ts
 * identityPath('/home/ada/.local/share/murmur') // '/home/ada/.local/share/murmur/identity.json'
 * ```
 */
export function identityPath (dataDir: string): string {
  return join(dataDir, IDENTITY_FILE)
}

/**
 * Loads the identity of a data dir; undefined when there is none yet.
 * Throws IdentityError when the file is corrupt or readable by other users.
 *
 * @example
 * ```ts
 * const identity = await loadIdentity(dataDir)
 * ```
 */
export async function loadIdentity (dataDir: string): Promise<Identity | undefined> {
  const path = identityPath(dataDir)
  const text = await readSealedPrivateFile(dataDir, IDENTITY_FILE, (problem, fix) => new IdentityError(`${path} ${problem}: other users could read your author key; ${fix}`))
  if (text === undefined) {
    return undefined
  }
  await ready()
  return { key: parseIdentity(text, path), path, created: false }
}

/**
 * Loads the identity of a data dir, creating the data dir (0700) and a new identity (0600) when
 * there is none.
 *
 * @example
 * ```ts
 * const { key, created } = await loadOrCreateIdentity(dataDir)
 * ```
 */
export async function loadOrCreateIdentity (dataDir: string): Promise<Identity> {
  const existing = await loadIdentity(dataDir)
  if (existing !== undefined) {
    return existing
  }
  await ready()
  const key = generateAuthorKey()
  const content: IdentityFileContent = {
    version: 1,
    type: 'ristretto255',
    secretKey: toHex(key.secretKey),
    publicKey: toHex(key.publicKey)
  }
  const path = identityPath(dataDir)
  try {
    await writeSealedPrivateFile(dataDir, IDENTITY_FILE, `${JSON.stringify(content, null, 2)}\n`, { exclusive: true })
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') {
      // another process created it between our read and our write: use theirs
      return loadOrCreateIdentity(dataDir)
    }
    throw err
  }
  return { key, path, created: true }
}

function parseIdentity (text: string, path: string): AuthorKey {
  let content: Partial<IdentityFileContent>
  try {
    content = JSON.parse(text) as Partial<IdentityFileContent>
  } catch {
    throw new IdentityError(`${path} is not valid JSON`)
  }
  const hex = /^[0-9a-f]{64}$/
  if (content.version !== 1 || typeof content.secretKey !== 'string' || !hex.test(content.secretKey) ||
    typeof content.publicKey !== 'string' || !hex.test(content.publicKey)) {
    throw new IdentityError(`${path} is not a murmur identity file (version 1, 32-byte hex keys)`)
  }
  const secretKey = fromHex(content.secretKey)
  const publicKey = fromHex(content.publicKey)
  let derived: Uint8Array
  try {
    derived = authorPublicKey(secretKey)
  } catch {
    throw new IdentityError(`${path} holds an invalid secret key`)
  }
  if (!equalBytes(derived, publicKey)) {
    throw new IdentityError(`${path} is corrupt: its public key does not belong to its secret key`)
  }
  return { secretKey, publicKey }
}
