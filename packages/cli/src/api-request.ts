/**
 * One HTTP request to a control API over node:http, on a Unix-domain socket or on TCP, answered as a
 * fetch `Response`: the client reads JSON and event streams the same way on both.
 */
import { request } from 'node:http'
import { Readable } from 'node:stream'
import type { ApiAddress } from './daemon/api-file.js'

/** One request of {@link apiRequest}. */
export interface ApiRequestInit {
  method: string
  /** Path and query, e.g. `/v1/status`. */
  path: string
  headers: Record<string, string>
  body?: string
  /** Aborts the request, and the response body once it streams. */
  signal?: AbortSignal
}

/**
 * Sends one request on a connection of its own (closed after the answer) and resolves with the
 * response once its head arrived; rejects with the socket error (`code`: ENOENT, ECONNREFUSED,
 * ECONNRESET, …) or an AbortError.
 *
 * @example
 * ```ts
 * const res = await apiRequest({ socket: '/home/ada/.local/share/murmur/api.sock' }, { method: 'GET', path: '/v1/status', headers })
 * console.log(await res.json())
 * ```
 */
export async function apiRequest (address: ApiAddress, init: ApiRequestInit): Promise<Response> {
  const target = 'socket' in address ? { socketPath: address.socket } : { host: address.host, port: address.port }
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: init.method, path: init.path, headers: init.headers, signal: init.signal, agent: false }, (res) => {
      const headers = new Headers()
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '')
      }
      const status = res.statusCode ?? 0
      const empty = status === 204 || status === 304
      if (empty) res.resume()
      try {
        resolve(new Response(empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers }))
      } catch (err) {
        // a status or header a Response cannot hold: no API of ours answers so
        res.destroy()
        reject(err)
      }
    })
    req.once('error', reject)
    req.end(init.body)
  })
}
