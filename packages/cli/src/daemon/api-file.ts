/**
 * `<dataDir>/api.json` (mode 0600): where a running daemon's control API listens and its bearer token,
 * and how a daemon proves that it holds that token.
 */
import { createHash, createHmac } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { API_FILE, API_PROOF_CONTEXT, API_SOCKET } from '../constants.js'
import { DataDirError, IdentityError } from '../errors.js'
import { readPrivateFile, writePrivateFile } from '../files.js'

/** Where a control API listens: a Unix-domain socket, or (where there is none) TCP on 127.0.0.1. */
export type ApiAddress = { socket: string } | { host: string, port: number }

/** Content of api.json: how to reach and authenticate to a daemon's control API. */
export type ApiEndpoint = ApiAddress & {
  /** Process id of the daemon. */
  pid: number
  /** Bearer token; secret. */
  token: string
}

/**
 * The socket of a data dir's control API: `<dataDir>/api.sock`, or, when that path is too long for a
 * Unix-domain socket (about 100 bytes), `api-<hash of the data dir>.sock` in `runtimeDir` (which must
 * be private too); undefined on Windows, where the API listens on TCP 127.0.0.1. Throws DataDirError
 * when both paths are too long.
 *
 * @example
 * ```ts
 * apiSocketPath('/home/ada/.local/share/murmur', '/run/user/1000/murmur') // '/home/ada/.local/share/murmur/api.sock'
 * ```
 */
export function apiSocketPath (dataDir: string, runtimeDir: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') {
    return undefined
  }
  const inDataDir = join(dataDir, API_SOCKET)
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) {
    return inDataDir
  }
  const inRuntimeDir = join(runtimeDir, `api-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.sock`)
  if (Buffer.byteLength(inRuntimeDir) > MAX_SOCKET_PATH) {
    throw new DataDirError(`the data dir's path is too long for the control API's socket (${Buffer.byteLength(inDataDir)} bytes, at most ${MAX_SOCKET_PATH}), and so is ${inRuntimeDir}: use a shorter --data-dir, or set XDG_RUNTIME_DIR to a short private directory`)
  }
  return inRuntimeDir
}

/** Text naming an API address, for messages: the socket path, or host:port. */
export function describeAddress (address: ApiAddress): string {
  return 'socket' in address ? address.socket : `${address.host}:${address.port}`
}

/** Longest socket path used: sun_path holds 108 bytes on Linux, 104 on macOS, NUL included. */
const MAX_SOCKET_PATH = 100

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
 * await writeApiFile(dataDir, { pid: process.pid, ...api.address, token: api.token })
 * ```
 */
export async function writeApiFile (dataDir: string, endpoint: ApiEndpoint): Promise<void> {
  await writePrivateFile(apiFilePath(dataDir), `${JSON.stringify({ version: 2, ...endpoint }, null, 2)}\n`)
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
    const value = JSON.parse(text) as { version?: unknown, pid?: unknown, token?: unknown, socket?: unknown, host?: unknown, port?: unknown }
    // a pid of 0 or below would make a signal to it reach a whole process group (`murmur wipe` sends SIGTERM)
    if (value.version !== 2 || typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid) || value.pid <= 0 || typeof value.token !== 'string') {
      return undefined
    }
    const { pid, token } = value
    if (typeof value.socket === 'string') {
      return { pid, token, socket: value.socket }
    }
    if (typeof value.host === 'string' && typeof value.port === 'number') {
      return { pid, token, host: value.host, port: value.port }
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
