/**
 * What the chaos scenarios need of a daemon from outside: its control API (api.json, one request with
 * full control over headers and body) and its resident memory.
 */
import { request } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The control API of a daemon as api.json names it (a Unix-domain socket: every test runs on Linux). */
export interface ApiEndpoint { socket: string, token: string, pid: number }

/** One answer of the control API: its status and body (JSON parsed when it is JSON, else the text). */
export interface ApiAnswer { status: number, json: unknown, text: string }

/**
 * The control API endpoint of the daemon of `dataDir` (its api.json).
 *
 * @example
 * ```ts
 * const api = await readEndpoint(daemon.dataDir)
 * ```
 */
export async function readEndpoint (dataDir: string): Promise<ApiEndpoint> {
  const value = JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as Partial<ApiEndpoint>
  if (typeof value.socket !== 'string' || typeof value.token !== 'string' || typeof value.pid !== 'number') {
    throw new Error(`api.json of ${dataDir} names no socket, token and pid`)
  }
  return { socket: value.socket, token: value.token, pid: value.pid }
}

/** Options of {@link apiRequest}. */
export interface ApiRequestInit {
  method?: string
  /** The body as sent (a string is sent as UTF-8); none when undefined. */
  body?: string | Uint8Array
  /** Headers replacing the default ones (host, bearer token, JSON content type). */
  headers?: Record<string, string>
  /** Send no authorization header. @default false */
  noToken?: boolean
  /** Give up after this long (ms), rejecting. @default 30_000 */
  timeout?: number
}

/**
 * One request to a daemon's control API on a fresh connection (no keep-alive: each request stands
 * alone, as the CLI's do); rejects on a connection error or timeout.
 *
 * @example
 * ```ts
 * const { status, json } = await apiRequest(api, '/v1/posts', { method: 'POST', body: JSON.stringify({ channel: '#lobby', body: 'hi' }) })
 * ```
 */
export async function apiRequest (api: Pick<ApiEndpoint, 'socket' | 'token'>, path: string, init: ApiRequestInit = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { host: 'localhost', connection: 'close', ...(init.noToken === true ? {} : { authorization: `Bearer ${api.token}` }) }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  Object.assign(headers, init.headers)
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath: api.socket, path, method: init.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = text === '' ? undefined : JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, json, text })
      })
    })
    req.setTimeout(init.timeout ?? 30_000, () => { req.destroy(new Error(`no answer to ${path} within ${init.timeout ?? 30_000} ms`)) })
    req.on('error', reject)
    req.end(init.body)
  })
}

/** The stable code of an API error answer (`{ error: { code } }`), or undefined. */
export function errorCode (answer: ApiAnswer): string | undefined {
  const code = (answer.json as { error?: { code?: unknown } } | undefined)?.error?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * Resident set size of a process in MiB (Linux: VmRSS of /proc/<pid>/status), or undefined when it is
 * gone.
 *
 * @example
 * ```ts
 * const mb = await rssMb(api.pid)
 * ```
 */
export async function rssMb (pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}
