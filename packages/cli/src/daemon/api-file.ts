/**
 * `<dataDir>/api.json` (mode 0600): where a running daemon's control API listens and its bearer token,
 * and how a daemon proves that it holds that token.
 */
import { createHmac } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { API_FILE, API_PROOF_CONTEXT } from '../constants.js'
import { IdentityError } from '../errors.js'
import { readPrivateFile, writePrivateFile } from '../files.js'

/** Content of api.json: how to reach and authenticate to a daemon's control API. */
export interface ApiEndpoint {
  /** Process id of the daemon. */
  pid: number
  /** Always 127.0.0.1. */
  host: string
  port: number
  /** Bearer token; secret. */
  token: string
}

/**
 * The path of api.json in a data dir.
 *
 * @example
 * ```ts
 * apiFilePath('/home/ada/.local/share/murmur') // '/home/ada/.local/share/murmur/api.json'
 * ```
 */
export function apiFilePath (dataDir: string): string {
  return join(dataDir, API_FILE)
}

/**
 * Writes api.json (0600, atomically).
 *
 * @example
 * ```ts
 * await writeApiFile(dataDir, { pid: process.pid, host: '127.0.0.1', port: api.port, token: api.token })
 * ```
 */
export async function writeApiFile (dataDir: string, endpoint: ApiEndpoint): Promise<void> {
  await writePrivateFile(apiFilePath(dataDir), `${JSON.stringify({ version: 1, ...endpoint }, null, 2)}\n`)
}

/**
 * Reads api.json; undefined when missing or not a valid endpoint file.
 * Throws when other users can read it (they could take over the daemon).
 *
 * @example
 * ```ts
 * const endpoint = await readApiFile(dataDir)
 * ```
 */
export async function readApiFile (dataDir: string): Promise<ApiEndpoint | undefined> {
  const path = apiFilePath(dataDir)
  const text = await readPrivateFile(path, (problem, fix) => new IdentityError(`${path} ${problem}: other users could control your daemon; ${fix}`))
  return text === undefined ? undefined : parseEndpoint(text)
}

/**
 * Removes api.json if it still belongs to the daemon holding `token` (a newer daemon may have
 * replaced it).
 *
 * @example
 * ```ts
 * await removeApiFile(dataDir, api.token)
 * ```
 */
export async function removeApiFile (dataDir: string, token: string): Promise<void> {
  const path = apiFilePath(dataDir)
  try {
    const endpoint = parseEndpoint(await readFile(path, 'utf8'))
    if (endpoint?.token === token) {
      await rm(path, { force: true })
    }
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') {
      throw err
    }
  }
}

function parseEndpoint (text: string): ApiEndpoint | undefined {
  try {
    const value = JSON.parse(text) as Partial<ApiEndpoint> & { version?: number }
    if (value.version === 1 && typeof value.pid === 'number' && typeof value.host === 'string' &&
      typeof value.port === 'number' && typeof value.token === 'string') {
      return { pid: value.pid, host: value.host, port: value.port, token: value.token }
    }
  } catch {
    // a torn or foreign file is treated like no file
  }
  return undefined
}

/**
 * The proof that a daemon holds `token`, for a client's `nonce` (hex): HMAC-SHA256 under the token
 * of API_PROOF_CONTEXT and the nonce, in hex. The client computes it too and compares.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { proof: tokenProof(token, nonce) })
 * ```
 */
export function tokenProof (token: string, nonce: string): string {
  return createHmac('sha256', token).update(`${API_PROOF_CONTEXT}${nonce}`).digest('hex')
}
