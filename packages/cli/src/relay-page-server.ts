/**
 * The HTTP server of `murmur relay` that serves the built browser page (issue 18: no central server
 * serves the page; any relay can). Static files of one directory and nothing else: no directory
 * listing, no path outside it (`..`, encoded or not, and symbolic links that lead out are refused),
 * no hidden files, only the file types a page build writes, each with its content type, and a
 * Content-Security-Policy on every answer. index.html goes out with the relay's own addresses for
 * browsers in {@link RELAY_HEADER}, which the page takes as its relay without asking (see
 * examples/browser/src/settings.ts, originRelays).
 * The relay has no control API, and this server reads nothing but the page directory.
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, sep } from 'node:path'
import { RELAY_HEADER } from '@murmur/node/relay-constants'
import { closeServer, listen } from './http-listen.js'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http'

/** Where the page is served by default: loopback, next to the relay's ports 4001 and 4002. */
export const RELAY_PAGE_HOST = '127.0.0.1'
/** @see RELAY_PAGE_HOST */
export const RELAY_PAGE_PORT = 4003

/**
 * The page's Content-Security-Policy: scripts, styles, workers and the manifest from this server only
 * (libsodium's WebAssembly needs `wasm-unsafe-eval`, never `unsafe-eval` or inline scripts), images
 * from it or drawn by the page, connections to it and to relays over WebSockets (the user may name any
 * relay), nothing framed, no form posted anywhere. WebRTC between tabs is not a CSP fetch.
 */
export const PAGE_CSP = [
  "default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "style-src 'self'",
  "img-src 'self' data: blob:", "connect-src 'self' ws: wss:", "manifest-src 'self'", "base-uri 'none'",
  "form-action 'none'", "frame-ancestors 'none'", "object-src 'none'"
].join('; ')

/** The file types a page build writes, with their content types; any other file is not served. */
const PAGE_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8'
}

/** Headers of every answer. `no-cache`: a browser asks again each load, so a changed page is seen at once. */
const COMMON_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache'
}

/** Thrown when the page server cannot listen where it was told to. */
export class RelayPageServerError extends Error {
  static override readonly name = 'RelayPageServerError'
  override readonly name = 'RelayPageServerError'
  readonly code = 'ERR_RELAY_PAGE_SERVER'
}

/** Init of {@link createRelayPageServer}. */
export interface RelayPageServerInit {
  /** The built page: a directory holding index.html. */
  dir: string
  /** The relay's addresses for browsers, read at each request of index.html ({@link RELAY_HEADER}). */
  relays: () => string[]
  /** @default RELAY_PAGE_HOST */
  host?: string
  /** 0 picks a free port. @default RELAY_PAGE_PORT */
  port?: number
}

/** Where the server listens. */
export interface RelayPageAddress {
  host: string
  port: number
}

/** The page's HTTP server. */
export interface RelayPageServer {
  /** Starts listening; resolves with the address bound. */
  start(): Promise<RelayPageAddress>
  /** Stops listening and closes every connection; safe to call more than once. */
  stop(): Promise<void>
}

/**
 * Creates the page server; nothing listens until {@link RelayPageServer.start}.
 *
 * @example
 * ```ts
 * const page = createRelayPageServer({ dir, relays: () => browserMultiaddrs(node.getMultiaddrs().map(String)) })
 * const { host, port } = await page.start()
 * ```
 */
export function createRelayPageServer (init: RelayPageServerInit): RelayPageServer {
  const host = init.host ?? RELAY_PAGE_HOST
  const port = init.port ?? RELAY_PAGE_PORT
  let server: Server | undefined
  // the root as the file system names it, so that a link inside the page that leads out is seen
  const root = realpath(init.dir).then((dir) => dir + sep)
  return {
    async start () {
      const base = await root
      const http = createServer((req, res) => {
        answer(req, res, base, init.relays).catch(() => { if (!res.headersSent) send(res, 500, 'could not read the file') })
      })
      http.requestTimeout = 30_000
      await listen(http, { port, host }).catch((err: unknown) => {
        throw new RelayPageServerError(`could not serve the page on ${host}:${port}: ${(err as Error).message}`, { cause: err })
      })
      server = http
      const address = http.address() as AddressInfo
      return { host: address.address, port: address.port }
    },
    async stop () {
      const http = server
      server = undefined
      if (http === undefined) return
      await closeServer(http)
    }
  }
}

/**
 * The file a request path names under the page root, relative to it, or a status when there is none:
 * 400 for a path that does not decode, 404 for a directory (no listing), a hidden file, `.`/`..`, a
 * backslash or a NUL byte. `/` is index.html (`pagePath('/%2e%2e/peer.key')` is 404).
 */
function pagePath (rawUrl: string): string | 400 | 404 {
  let path: string
  try {
    path = decodeURIComponent(new URL(rawUrl, 'http://page.invalid').pathname)
  } catch {
    return 400
  }
  if (path === '/') return 'index.html'
  const segments = path.slice(1).split('/')
  const refused = segments.some((segment) => segment === '' || segment.startsWith('.') || /[\\\0]/.test(segment))
  return refused ? 404 : segments.join('/')
}

async function answer (req: IncomingMessage, res: ServerResponse, root: string, relays: () => string[]): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'only GET and HEAD', { allow: 'GET, HEAD' })
    return
  }
  const path = pagePath(req.url ?? '/')
  const type = typeof path === 'string' ? PAGE_TYPES[extname(path)] : undefined
  if (typeof path !== 'string' || type === undefined) {
    send(res, path === 400 ? 400 : 404, path === 400 ? 'bad request' : 'not found')
    return
  }
  const file = await realpath(join(root, path)).catch(() => undefined)
  const info = file?.startsWith(root) === true ? await stat(file).catch(() => undefined) : undefined
  if (file === undefined || info?.isFile() !== true) {
    send(res, 404, 'not found')
    return
  }
  // a header carries printable ASCII only: an address that is not (none a relay listens on) is left out
  const own = path === 'index.html' ? { [RELAY_HEADER]: relays().filter((r) => /^[\x21-\x7e]+$/.test(r)).join(' ') } : {}
  res.writeHead(200, { ...COMMON_HEADERS, ...own, 'content-type': type, 'content-length': info.size })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  createReadStream(file).on('error', () => { res.destroy() }).pipe(res)
}

function send (res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`)
}
