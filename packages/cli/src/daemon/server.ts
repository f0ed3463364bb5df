/**
 * The local control API: HTTP on a Unix-domain socket (0600, in the private data dir) or, where there
 * is none (Windows), on 127.0.0.1; every request authenticated with a bearer token, live events as
 * Server-Sent Events. Before a client sends its token it asks the daemon to prove that it holds it
 * (`GET /v1/proof`). The routes are in routes.ts; docs/API.md describes them.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { logger } from '@libp2p/logger'
import { InvalidChannelError } from '@murmur/node'
import { channelName } from '@murmur/protocol'
import {
  API_HEADERS_TIMEOUT, API_HOST, API_PREFIX, API_REQUEST_TIMEOUT, MAX_API_CONNECTIONS, PROGRESS_INTERVAL, SSE_KEEPALIVE_INTERVAL
} from '../constants.js'
import { circleTarget } from '../circle-name.js'
import { BadRequestError, NotFoundError } from '../errors.js'
import { closeServer, listen } from '../http-listen.js'
import { tokenProof } from './api-file.js'
import { circleOfChannel } from './circle-routes.js'
import { guardConnections } from './connections.js'
import { errorResponse, readJson, sendError, sendJson, startEventStream, writeEvent } from './http.js'
import { JSON_ROUTES, POSTING_ROUTES } from './routes.js'
import { readStatus, watchMembership, watchStatus } from './status.js'
import type { ApiAddress } from './api-file.js'
import type { PostingRoute, RouteContext } from './routes.js'
import type { ErrorEvent, MiningProgress } from '../api-types.js'
import type { CirclePostDetail, Murmur, PostView } from '@murmur/node'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

const log = logger('murmur:cli:api')

/** Options of {@link createControlServer}. */
export interface ControlServerInit {
  /** The node the API controls. */
  node: Murmur
  /**
   * The bearer token every request must carry.
   *
   * @default 32 random bytes, base64url
   */
  token?: string
  /**
   * Path of the Unix-domain socket to listen on (made 0600; its directory must be private to the
   * user, so that other users cannot even connect). A file already at the path is replaced: check
   * first that no daemon of yours listens there.
   *
   * @default undefined: TCP on 127.0.0.1 (`port`), which every local user can connect to
   */
  socket?: string
  /**
   * TCP port on 127.0.0.1, when there is no `socket`.
   *
   * @default 0 (chosen by the OS)
   */
  port?: number
  /**
   * Called with the joined channels after a join or leave through the API (the daemon keeps them for
   * its next start); the request answers once it resolves.
   *
   * @default nothing
   */
  onChannels?: (channels: string[]) => Promise<void>
  /**
   * When the node started (ms since the epoch), for the uptime in `/v1/status`.
   *
   * @default now
   */
  startedAt?: number
  /**
   * Most connections held open at once that have sent a request or stayed silent 100 ms (event streams
   * included); fresh ones are held apart, up to `MAX_FRESH_CONNECTIONS` (512, connections.ts). At the
   * cap, a new connection evicts the oldest one without a request in progress; it is refused only when
   * the cap is full of requests that showed the token.
   *
   * @default MAX_API_CONNECTIONS (64)
   */
  maxConnections?: number
}

/** A running control API. */
export interface ControlServer {
  /** Where it listens: `{ socket }` or `{ host, port }`. */
  readonly address: ApiAddress
  readonly token: string
  /** Closes the server, ending event streams and open connections. */
  close(): Promise<void>
}

/**
 * Starts the control API of a node on a Unix-domain socket, or on 127.0.0.1 without one.
 *
 * @example
 * ```ts
 * const api = await createControlServer({ node, socket: join(dataDir, 'api.sock') })
 * console.log(api.address) // the token stays in api.token: never log it
 * await api.close()
 * ```
 */
export async function createControlServer (init: ControlServerInit): Promise<ControlServer> {
  const { node } = init
  const token = init.token ?? randomBytes(32).toString('base64url')
  const tokenDigest = digest(token)
  const startedAt = init.startedAt ?? Date.now()
  const streams = new Set<ServerResponse>()

  const broadcast = (event: string, value: unknown, channel?: string): void => {
    for (const res of streams) {
      const filter = (res as EventStream).channelFilter
      if (channel === undefined || filter === undefined || filter === channel) {
        writeEvent(res, event, value)
      }
    }
  }
  const onPost = (evt: CustomEvent<PostView>): void => { broadcast('post', evt.detail, evt.detail.channel) }
  // circle posts come only as 'circle-post' events: streamed to watchers of `circle:NAME`
  const onCirclePost = (evt: CustomEvent<CirclePostDetail>): void => { broadcast('post', evt.detail.post, circleTarget(evt.detail.circle)) }
  const statusChanged = (): void => {
    if (streams.size > 0) {
      broadcast('status', readStatus(node, startedAt))
    }
  }
  node.addEventListener('post', onPost)
  node.addEventListener('circle-post', onCirclePost)
  node.addEventListener('clock-skew', statusChanged)
  const unwatch = watchStatus(node, statusChanged)
  // membership changes come with the node's 'membership' event
  const unwatchMembership = watchMembership(node, statusChanged)
  const keepAlive = setInterval(() => {
    for (const res of streams) {
      res.write(': keep-alive\n\n')
    }
  }, SSE_KEEPALIVE_INTERVAL)

  let port = 0
  const server: Server = createServer({
    // a client that connects and sends nothing (or dribbles) is dropped, not kept
    headersTimeout: API_HEADERS_TIMEOUT,
    requestTimeout: API_REQUEST_TIMEOUT,
    connectionsCheckingInterval: 1_000
  }, (req, res) => {
    // a request came: the idle-connection timer set on 'connection' is not for this one, and the
    // connection may not be evicted until its answer is done
    req.socket.setTimeout(0)
    const authed = authorized(req.headers.authorization, tokenDigest)
    // a request without the token may be cut for a newcomer at the cap: its answer is a 401 or a proof
    guard.serving(req.socket, res, authed)
    handle(req, res, authed).catch((err: unknown) => {
      log.error('unhandled request failure - %e', err)
      if (!res.headersSent) {
        sendError(res, err)
      } else {
        res.end()
      }
    })
  })

  const handle = async (req: IncomingMessage, res: ServerResponse, authed: boolean): Promise<void> => {
    // a connection that has not shown the token is closed after its answer: keeping it alive would let
    // any local process hold the API's connection slots with requests that need no token
    if (!authed) res.setHeader('connection', 'close')
    if (init.socket === undefined && !hostAllowed(req.headers.host, port)) {
      // a web page reaching us through DNS rebinding names its own host here
      sendJson(res, 403, { error: { name: 'ForbiddenError', code: 'ERR_FORBIDDEN', message: 'Host header must be 127.0.0.1 or localhost' } })
      return
    }
    const url = requestUrl(req.url)
    if (url === undefined) {
      sendError(res, new BadRequestError('the request target must be a path (/v1/…)'))
      return
    }
    if (req.method === 'GET' && url.pathname === `${API_PREFIX}/proof`) {
      // unauthenticated: the client asks before it sends its token
      const nonce = url.searchParams.get('nonce') ?? ''
      if (!/^[0-9a-f]{64}$/.test(nonce)) {
        sendError(res, new BadRequestError('query parameter "nonce" must be 64 lowercase hex characters'))
        return
      }
      sendJson(res, 200, { proof: tokenProof(token, nonce) })
      return
    }
    if (!authed) {
      res.setHeader('www-authenticate', 'Bearer realm="murmur"')
      sendJson(res, 401, { error: { name: 'UnauthorizedError', code: 'ERR_UNAUTHORIZED', message: 'missing or wrong bearer token (it is in api.json in the data dir)' } })
      return
    }
    const route = matchRoute(req.method ?? 'GET', url.pathname)
    if (route === undefined) {
      sendError(res, new NotFoundError(`no route ${req.method ?? ''} ${url.pathname}`))
      return
    }
    let body: Record<string, unknown> = {}
    if (req.method === 'POST') {
      // read (within MAX_REQUEST_BYTES) before any answer starts, so that a bad body is a plain 4xx
      try {
        body = await readJson(req)
      } catch (err) {
        sendError(res, err)
        return
      }
    }
    const ctx: RouteContext = {
      node,
      startedAt,
      param: route.param,
      query: url.searchParams,
      body,
      statusChanged,
      channelsChanged: async () => { await init.onChannels?.(node.channels()) }
    }
    if (route.key === 'GET /events') {
      let filter: string | undefined
      try {
        filter = eventsFilter(node, url.searchParams.get('channel'))
      } catch (err) {
        sendError(res, err)
        return
      }
      openEventStream(res, filter)
      return
    }
    const posting = POSTING_ROUTES[route.key]
    if (posting !== undefined) {
      await respondPosting(req, res, ctx, posting)
      return
    }
    // matchRoute returns only keys of the route tables, and the others are handled above
    const json = JSON_ROUTES[route.key]!
    try {
      sendJson(res, 200, await json(ctx))
    } catch (err) {
      sendError(res, err)
    }
  }

  const openEventStream = (res: ServerResponse, channel: string | undefined): void => {
    startEventStream(res)
    const stream = res as EventStream
    stream.channelFilter = channel
    streams.add(res)
    res.on('close', () => { streams.delete(res) })
    writeEvent(res, 'status', readStatus(node, startedAt))
  }

  const guard = guardConnections(server, {
    maxConnections: init.maxConnections ?? MAX_API_CONNECTIONS,
    onDrop: (reason) => { log('control API at its connection cap: %s a connection', reason) }
  })
  server.on('connection', (socket: Socket) => {
    // headersTimeout counts from a request's first byte: a connection that sends nothing goes here
    socket.setTimeout(API_HEADERS_TIMEOUT, () => { socket.destroy() })
  })
  let address: ApiAddress
  if (init.socket !== undefined) {
    await listenOnSocket(server, init.socket)
    address = { socket: init.socket }
    log('control API on a Unix-domain socket')
  } else {
    await listen(server, { port: init.port ?? 0, host: API_HOST })
    const bound = server.address()
    port = typeof bound === 'object' && bound !== null ? bound.port : 0
    address = { host: API_HOST, port }
    log('control API on %s:%d', API_HOST, port)
  }

  return {
    address,
    token,
    close: async () => {
      node.removeEventListener('post', onPost)
      node.removeEventListener('circle-post', onCirclePost)
      node.removeEventListener('clock-skew', statusChanged)
      unwatch()
      unwatchMembership()
      clearInterval(keepAlive)
      for (const res of streams) {
        res.end()
      }
      streams.clear()
      await closeServer(server)
    }
  }
}

interface EventStream extends ServerResponse {
  channelFilter?: string
}

/**
 * The channel filter of `GET /v1/events?channel=…`, spelled as the events are: `circle:NAME` of a
 * circle this node holds (`Circle: friends` too; NotFoundError ERR_CIRCLE_UNKNOWN for one it does not),
 * else the public channel by the protocol's one rule (`Lobby` is `#lobby`; InvalidChannelError
 * ERR_BAD_CHANNEL for a bad name); undefined without the parameter.
 */
function eventsFilter (node: Murmur, typed: string | null): string | undefined {
  if (typed === null) return undefined
  const circle = circleOfChannel(node, typed)
  if (circle !== undefined) return circleTarget(circle)
  try {
    return channelName(typed)
  } catch (err) {
    throw new InvalidChannelError((err as Error).message, { cause: err })
  }
}

/**
 * Runs a posting route. A client that accepts `text/event-stream` gets `progress` events while proof
 * of work is mined, then one `result` or `error` event; others get plain JSON. Either way, a client
 * that disconnects cancels the mining.
 */
async function respondPosting (req: IncomingMessage, res: ServerResponse, ctx: RouteContext, route: PostingRoute): Promise<void> {
  const controller = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) {
      controller.abort()
    }
  })
  const streaming = (req.headers.accept ?? '').includes('text/event-stream')
  let lastProgress = 0
  const onProgress = (progress: MiningProgress): void => {
    const now = Date.now()
    if (streaming && now - lastProgress >= PROGRESS_INTERVAL) {
      lastProgress = now
      writeEvent(res, 'progress', progress)
    }
  }
  if (streaming) {
    startEventStream(res)
  }
  try {
    const result = await route(ctx, { signal: controller.signal, onProgress })
    if (streaming) {
      writeEvent(res, 'result', result)
      res.end()
    } else {
      sendJson(res, 200, result)
    }
  } catch (err) {
    if (controller.signal.aborted) {
      log('post cancelled by the client')
      res.end()
      return
    }
    if (streaming) {
      const [status, body] = errorResponse(err)
      const event: ErrorEvent = { status, ...body }
      writeEvent(res, 'error', event)
      res.end()
    } else {
      sendError(res, err)
    }
  }
}

/**
 * The URL of a request target, which must be a path (origin-form): undefined otherwise. Read against a
 * fixed origin, never as a URL of its own: `new URL('//x/v1/status', base)` takes `x` for a host and
 * throws on `//`, which answered 500.
 */
function requestUrl (target = '/'): URL | undefined {
  if (!target.startsWith('/')) return undefined
  return URL.parse(`http://${API_HOST}${target}`) ?? undefined
}

/** The route key (`METHOD /path` with `:id`) and path parameter of a request, or undefined. */
function matchRoute (method: string, pathname: string): { key: string, param: string } | undefined {
  if (!pathname.startsWith(`${API_PREFIX}/`)) {
    return undefined
  }
  const path = pathname.slice(API_PREFIX.length)
  const exact = `${method} ${path}`
  if (exact === 'GET /events' || exact in JSON_ROUTES || exact in POSTING_ROUTES) {
    return { key: exact, param: '' }
  }
  const match = /^\/(threads|posts)\/([^/]+)$/.exec(path)
  if (match !== null && method === 'GET') {
    // ids are hex; anything else is passed on as is and refused by the node as an invalid id
    return { key: `GET /${match[1] ?? ''}/:id`, param: match[2] ?? '' }
  }
  return undefined
}

/**
 * Listens on a Unix-domain socket made 0600 (in a directory of the user's only, so that no one else
 * could connect even before the chmod), replacing whatever file is at the path: the socket of a
 * daemon that died, or of a program that could not prove itself the daemon (the caller checked).
 */
async function listenOnSocket (server: Server, path: string): Promise<void> {
  await rm(path, { force: true })
  await listen(server, { path })
  await chmod(path, 0o600)
}

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** Compares the bearer token in constant time (over digests, so lengths never leak either). */
function authorized (header: string | undefined, tokenDigest: Buffer): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) {
    return false
  }
  return timingSafeEqual(digest(header.slice('Bearer '.length)), tokenDigest)
}

function hostAllowed (host: string | undefined, port: number): boolean {
  return host === `${API_HOST}:${port}` || host === `localhost:${port}`
}
