/**
 * Small node:http helpers of the control API: JSON bodies and responses, error mapping, SSE frames.
 */
import { logger } from '@libp2p/logger'
import { MAX_DISCARDED_BYTES, MAX_REQUEST_BYTES } from '../constants.js'
import { BadRequestError, PayloadTooLargeError } from '../errors.js'
import type { ErrorResponse } from '../api-types.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

const log = logger('murmur:cli:api')

/** HTTP status of each error the node or the API throws, by error name. */
const STATUS_BY_NAME: Record<string, number> = {
  BadRequestError: 400,
  PayloadTooLargeError: 413,
  InvalidChannelError: 400,
  InvalidIdError: 400,
  PostValidationError: 400,
  ClockSkewError: 409,
  LocationError: 400,
  // a ttl other than an hour, a day or a week, or a vote's other than a day (@murmur/protocol's lifetime rule)
  LifetimeError: 400,
  PeekOnlyError: 409,
  // a vote before this node holds a member stamp: refused now, accepted once the stamp is minted
  StampNotReadyError: 409,
  UnknownPostError: 404,
  NotFoundError: 404,
  // the member directory holds no other member to hide a vote among: refused until it syncs
  NoDecoysError: 409,
  // this node's member voted on the post already: a vote is neither repeated nor changed
  AlreadyVotedError: 409,
  // a member's K posts of this hour (or W of this week) in the channel are made: refused until `retryAt`
  RateLimitError: 429,
  OutboxFullError: 503,
  NotStartedError: 503,
  PublishError: 502,
  // a damaged invite (its ERR_INVITE_* code), or a circle that cannot do this now (ERR_CIRCLE_*)
  InvalidInviteError: 400,
  CircleError: 409
}

/** HTTP status of an error's code where it differs from its name's (an error of a name above only). */
const STATUS_BY_CODE: ReadonlyMap<unknown, number> = new Map([
  // the owner rotated its circle as often as members follow: refused until the time its message names
  ['ERR_CIRCLE_RATE', 429]
])

/**
 * Reads the rest of a request body too large to keep, discarding it, up to MAX_DISCARDED_BYTES in all
 * (the API's request timeout bounds the time). A client still sending when the answer comes and the
 * connection closes sees a reset instead of the 413 (a write error can end its socket before it reads),
 * so a body of sane size is drained first; a larger one is cut off.
 */
async function discardRest (req: IncomingMessage, read: number): Promise<void> {
  let size = read
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > MAX_DISCARDED_BYTES) {
      return
    }
  }
}

/**
 * Reads and parses a JSON request body of at most MAX_REQUEST_BYTES; throws BadRequestError, or
 * PayloadTooLargeError for a body announced or found to be larger, which is never kept (see
 * {@link discardRest}).
 *
 * @example
 * ```ts
 * const body = await readJson(req)
 * ```
 */
export async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  const tooLarge = (): PayloadTooLargeError => new PayloadTooLargeError(`request body larger than ${MAX_REQUEST_BYTES} bytes`)
  const announced = Number(req.headers['content-length'] ?? 0)
  if (announced > MAX_REQUEST_BYTES) {
    if (announced <= MAX_DISCARDED_BYTES) {
      await discardRest(req, 0)
    }
    throw tooLarge()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.byteLength
    if (size > MAX_REQUEST_BYTES) {
      await discardRest(req, size)
      throw tooLarge()
    }
    chunks.push(buf)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequestError('request body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('request body must be a JSON object')
  }
  return value as Record<string, unknown>
}

/**
 * Sends a JSON response.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { ok: true })
 * ```
 */
export function sendJson (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(body)
}

/**
 * The HTTP status and JSON body of an error. Errors the API does not know become a 500 whose
 * message says nothing about internals (the detail goes to the debug log).
 *
 * @example
 * ```ts
 * const [status, body] = errorResponse(err)
 * ```
 */
export function errorResponse (err: unknown): [number, ErrorResponse] {
  const name = err instanceof Error ? err.name : 'Error'
  const byName = STATUS_BY_NAME[name]
  if (byName === undefined) {
    log.error('request failed - %e', err)
    return [500, { error: { name: 'InternalError', code: 'ERR_INTERNAL', message: 'the daemon failed to handle the request (run it with DEBUG=murmur:* for details)' } }]
  }
  const { code, readyAt, retryAt, channel } = err as { code?: unknown, readyAt?: unknown, retryAt?: unknown, channel?: unknown }
  const status = STATUS_BY_CODE.get(code) ?? byName
  const body: ErrorResponse = { error: { name, code: typeof code === 'string' ? code : 'ERR_UNKNOWN', message: (err as Error).message } }
  if (typeof readyAt === 'number' && Number.isFinite(readyAt)) {
    body.error.readyAt = readyAt
  }
  if (typeof retryAt === 'number' && Number.isFinite(retryAt)) {
    body.error.retryAt = retryAt
  }
  if (typeof channel === 'string') {
    // the channel only peeked at (PeekOnlyError): the client names the command that joins it
    body.error.channel = channel
  }
  return [status, body]
}

/**
 * Sends an error as JSON (see {@link errorResponse}).
 *
 * @example
 * ```ts
 * sendError(res, new BadRequestError('channel must be a string'))
 * ```
 */
export function sendError (res: ServerResponse, err: unknown): void {
  const [status, body] = errorResponse(err)
  if (status === 413) {
    // the rest of a body too large is not read: the connection closes after the answer
    res.setHeader('connection', 'close')
  }
  sendJson(res, status, body)
}

/**
 * Starts a Server-Sent Events response.
 *
 * @example
 * ```ts
 * startEventStream(res); writeEvent(res, 'post', view)
 * ```
 */
export function startEventStream (res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive'
  })
  res.flushHeaders()
}

/**
 * Writes one SSE event whose data is `value` as single-line JSON.
 *
 * @example
 * ```ts
 * writeEvent(res, 'status', { peers: 3 })
 * ```
 */
export function writeEvent (res: ServerResponse, event: string, value: unknown): void {
  // JSON.stringify never emits a raw newline, so the data field is one line
  res.write(`event: ${event}\ndata: ${JSON.stringify(value)}\n\n`)
}
