/**
 * Client of a daemon's local control API (see docs/API.md): HTTP on its Unix-domain socket (or TCP
 * 127.0.0.1 on Windows) with the bearer token, Server-Sent Events for live streams and for
 * proof-of-work progress. Before every request the daemon proves that it holds the token, so that a
 * program squatting the address of a daemon that stopped gets neither the token nor any text.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { AlreadyVotedError, ApiError, CancelledError, DaemonNotRunningError, StampNotReadyError, UnverifiedDaemonError } from './errors.js'
import { aboutSeconds } from './membership.js'
import { utcTime } from './text.js'
import { stampNotReadyLine } from './vote-rule.js'
import { API_PREFIX, API_PROOF_TIMEOUT } from './constants.js'
import { apiRequest } from './api-request.js'
import { apiFilePath, describeAddress, readApiFile, tokenProof } from './daemon/api-file.js'
import { checkPrivateDir } from './files.js'
import { murmurCommand } from './hint.js'
import { resolveDataDir } from './paths.js'
import { isWholeId, parsePostRef, pickPostId } from './post-id.js'
import type {
  ApiEvent, ErrorEvent, ErrorResponse, MiningProgress, PeerResponse, PostRequest, PostResult, PostView, ReplyRequest,
  StatusResponse, VoteRequest
} from './api-types.js'
import type { ApiAddress } from './daemon/api-file.js'

/** Options of a call that builds a post. */
export interface PostingOptions {
  /** Cancels the request, and with it the daemon's proof-of-work mining. */
  signal?: AbortSignal
  /** Progress of proof-of-work mining in the daemon. */
  onProgress?(progress: MiningProgress): void
}

/** Options of {@link ControlClient.events}. */
export interface EventsOptions {
  /** Only posts of this channel (status events always come). */
  channel?: string
  /** Ends the stream. */
  signal?: AbortSignal
}

/** A connection to a daemon's control API. */
export class ControlClient {
  private readonly address: ApiAddress
  private readonly token: string
  /** The data dir whose daemon this is, for the commands a failure suggests (undefined: a chat's own node). */
  private readonly dataDir?: string

  /**
   * A client of the daemon that runs for `dataDir`. Throws DaemonNotRunningError when there is none
   * (no api.json, or its process is gone), UnverifiedDaemonError when what listens at its address cannot
   * prove that it holds the token, DataDirError when other users may write the data dir.
   *
   * @example
   * ```ts
   * const client = await ControlClient.connect(resolveDataDir())
   * console.log((await client.status()).peers)
   * ```
   */
  static async connect (dataDir: string): Promise<ControlClient> {
    // whoever may write the data dir could point api.json at a server of theirs, with a token they know;
    // and a data dir that is a file is said so, not as a failed read of api.json in it
    try {
      await checkPrivateDir(dataDir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(dataDir)
      throw err
    }
    const endpoint = await readApiFile(dataDir)
    if (endpoint === undefined) {
      throw notRunning(dataDir)
    }
    if (!processAlive(endpoint.pid)) {
      throw new DaemonNotRunningError(
        `no murmur daemon is running for ${dataDir} (${apiFilePath(dataDir)} names pid ${endpoint.pid}, which is no running process of yours: the daemon did not stop cleanly); start one with \`${murmurCommand(['daemon'], dataDir)}\``
      )
    }
    const client = new ControlClient({ ...endpoint, dataDir })
    try {
      await client.status()
    } catch (err) {
      if ((err as Error).name === DaemonNotRunningError.name) {
        throw notRunning(dataDir)
      }
      throw err
    }
    return client
  }

  /** A client of the API at `endpoint` (a socket path or host and port) holding its token; `dataDir`: the data dir of its daemon. */
  constructor (endpoint: ApiAddress & { token: string, dataDir?: string }) {
    this.address = 'socket' in endpoint ? { socket: endpoint.socket } : { host: endpoint.host, port: endpoint.port }
    this.token = endpoint.token
    this.dataDir = endpoint.dataDir
  }

  /** The node's status: peers, channels, addresses. */
  async status (): Promise<StatusResponse> {
    return this.request('GET', '/status')
  }

  /** Open connections. */
  async peers (): Promise<PeerResponse[]> {
    return (await this.request<{ peers: PeerResponse[] }>('GET', '/peers')).peers
  }

  /** Joins a channel; resolves to the channels joined. */
  async join (channel: string): Promise<string[]> {
    return (await this.request<{ channels: string[] }>('POST', '/join', { channel })).channels
  }

  /** Leaves a channel; resolves to the channels still joined. */
  async leave (channel: string): Promise<string[]> {
    return (await this.request<{ channels: string[] }>('POST', '/leave', { channel })).channels
  }

  /** Posts of a channel. */
  async feed (channel: string, options: { sort?: 'new' | 'hot', limit?: number } = {}): Promise<PostView[]> {
    const query = new URLSearchParams({ channel, sort: options.sort ?? 'new' })
    if (options.limit !== undefined) {
      query.set('limit', String(options.limit))
    }
    return (await this.request<{ posts: PostView[] }>('GET', `/feed?${query.toString()}`)).posts
  }

  /** A thread, root first. */
  async thread (rootId: string): Promise<PostView[]> {
    return (await this.request<{ posts: PostView[] }>('GET', `/threads/${encodeURIComponent(rootId)}`)).posts
  }

  /** The ids of the posts and replies the daemon holds that start with `prefix` (4 to 64 hex characters), at most MAX_PREFIX_MATCHES. */
  async postIdsWithPrefix (prefix: string): Promise<string[]> {
    return (await this.request<{ ids: string[] }>('GET', `/ids?${new URLSearchParams({ prefix }).toString()}`)).ids
  }

  /**
   * The post id a typed id or unique prefix names (see parsePostRef): a whole id as it is, a prefix
   * looked up in the daemon's store; UnknownPostError for none, AmbiguousIdError for several.
   *
   * @example
   * ```ts
   * await client.resolvePostId('9a9e') // '9a9e01…' (64 hex characters)
   * ```
   */
  async resolvePostId (typed: string): Promise<string> {
    const ref = parsePostRef(typed)
    return isWholeId(ref) ? ref : pickPostId(ref, await this.postIdsWithPrefix(ref))
  }

  /** One post, reply or vote. */
  async get (id: string): Promise<PostView> {
    return this.request('GET', `/posts/${encodeURIComponent(id)}`)
  }

  /** Posts to a channel. */
  async post (request: PostRequest, options: PostingOptions = {}): Promise<PostResult> {
    return this.posting('/posts', request, options)
  }

  /** Replies to a post or reply. */
  async reply (request: ReplyRequest, options: PostingOptions = {}): Promise<PostResult> {
    return this.posting('/replies', request, options)
  }

  /**
   * Votes on a post or reply; throws StampNotReadyError (saying when to vote again) while this node holds
   * no member stamp, AlreadyVotedError once this node voted on the post (a vote is neither repeated nor changed).
   */
  async vote (request: VoteRequest, options: PostingOptions = {}): Promise<PostResult> {
    return this.posting('/votes', request, options)
  }

  /**
   * The ids of the posts and replies the daemon made for the user since it started (`GET /v1/mine`):
   * held in its memory only, for `murmur watch --mine` and the chat's notifications.
   *
   * @example
   * ```ts
   * const mine = new Set(await client.mine())
   * ```
   */
  async mine (): Promise<string[]> {
    return (await this.request<{ ids: string[] }>('GET', '/mine')).ids
  }

  /** Live events (new posts, status changes) until the signal aborts or the daemon stops. */
  async * events (options: EventsOptions = {}): AsyncGenerator<ApiEvent> {
    const query = options.channel === undefined ? '' : `?${new URLSearchParams({ channel: options.channel }).toString()}`
    const res = await this.fetch('GET', `/events${query}`, undefined, options.signal, 'text/event-stream')
    try {
      for await (const message of sseMessages(res)) {
        if (message.event === 'post') {
          yield { type: 'post', post: JSON.parse(message.data) as PostView }
        } else if (message.event === 'status') {
          yield { type: 'status', status: JSON.parse(message.data) as StatusResponse }
        }
      }
    } catch (err) {
      if (options.signal?.aborted !== true) {
        throw err
      }
    }
  }

  private async posting (path: string, body: unknown, options: PostingOptions): Promise<PostResult> {
    const res = await this.fetch('POST', path, body, options.signal, 'text/event-stream')
    try {
      for await (const message of sseMessages(res)) {
        if (message.event === 'progress') {
          options.onProgress?.(JSON.parse(message.data) as MiningProgress)
        } else if (message.event === 'result') {
          return JSON.parse(message.data) as PostResult
        } else if (message.event === 'error') {
          const event = JSON.parse(message.data) as ErrorEvent
          throw toApiError(event, event.status, this.dataDir)
        }
      }
    } catch (err) {
      if (options.signal?.aborted === true) {
        throw new CancelledError('cancelled while mining proof of work')
      }
      throw err
    }
    throw new ApiError('the daemon closed the connection before answering', 'ERR_CONNECTION_CLOSED', 0)
  }

  /**
   * One call of a JSON route of the control API (docs/API.md; `path` without the `/v1` prefix): the
   * daemon's proof of the token first, a refusal thrown as ApiError. The route families' clients
   * (CircleClient, PlacesClient) are built on it.
   *
   * @example
   * ```ts
   * const { circles } = await client.request<CirclesResponse>('GET', '/circles')
   * ```
   */
  async request<T> (method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body, undefined, 'application/json')
    return await res.json() as T
  }

  /**
   * Sends a request once the daemon proved that it holds the token; throws ApiError for a non-2xx
   * answer, DaemonNotRunningError when nothing listens, UnverifiedDaemonError when the proof fails.
   */
  private async fetch (method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    // the proof is a GET, asked again when the API was too busy to take it
    await retryBusy(async () => { await this.verify(signal) }, signal, busy)
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
    }
    const send = async (): Promise<Response> => {
      try {
        return await apiRequest(this.address, {
          method,
          path: `${API_PREFIX}${path}`,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal
        })
      } catch (err) {
        throw fetchFailure(err, signal)
      }
    }
    // a GET is asked again whenever the API was too busy; a POST only when the daemon cannot have read it
    // (see unread): one it may have read is never sent twice, its ERR_API_BUSY goes to the caller
    const res = await retryBusy(send, signal, method === 'GET' ? busy : unread)
    if (!res.ok) {
      let payload: ErrorResponse
      try {
        payload = await res.json() as ErrorResponse
      } catch {
        throw new ApiError(`the daemon answered HTTP ${res.status}`, 'ERR_HTTP', res.status)
      }
      throw toApiError(payload, res.status, this.dataDir)
    }
    return res
  }

  /**
   * Asks the program at the address for HMAC(token, nonce) with a fresh nonce (docs/API.md, "Proof"), and
   * throws unless it answers right within API_PROOF_TIMEOUT: only then may the token or text go there.
   */
  private async verify (signal: AbortSignal | undefined): Promise<void> {
    const nonce = randomBytes(32).toString('hex')
    const timeout = AbortSignal.timeout(API_PROOF_TIMEOUT)
    let proof: unknown
    try {
      const res = await apiRequest(this.address, {
        method: 'GET',
        path: `${API_PREFIX}/proof?nonce=${nonce}`,
        headers: { accept: 'application/json' },
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout])
      })
      proof = res.ok ? (await smallJson(res) as { proof?: unknown } | undefined)?.proof : undefined
    } catch (err) {
      if (signal?.aborted === true || !timeout.aborted) {
        throw fetchFailure(err, signal)
      }
      // no answer in time: not proven
    }
    const expected = Buffer.from(tokenProof(this.token, nonce), 'hex')
    if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof) || !timingSafeEqual(Buffer.from(proof, 'hex'), expected)) {
      throw new UnverifiedDaemonError(
        `the program listening on ${describeAddress(this.address)} could not prove that it is your murmur daemon (it does not hold the token of api.json), so nothing was sent to it; ` +
        `a daemon that stopped may have left its port to another program: start \`${murmurCommand(['daemon'], this.dataDir ?? resolveDataDir())}\` again`
      )
    }
  }
}

/** The JSON of a response body of at most 1 KiB (an impostor's answer must not fill the memory), or undefined. */
async function smallJson (res: Response): Promise<unknown> {
  const reader = res.body?.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (let read = await reader?.read(); read !== undefined && !read.done; read = await reader?.read()) {
    size += read.value.byteLength
    if (size > 1024) {
      await reader?.cancel()
      return undefined
    }
    chunks.push(read.value)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

/** The SSE messages of a response body. */
async function * sseMessages (res: Response): AsyncGenerator<{ event?: string, data: string }> {
  if (res.body === null) {
    return
  }
  yield * res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
}

/**
 * The error of a refusal: StampNotReadyError (saying when to vote again) for `ERR_STAMP_NOT_READY`,
 * AlreadyVotedError for `ERR_ALREADY_VOTED`, else an ApiError; a refusal in a channel only peeked at
 * names the command that joins it (the node's message names none), for the daemon of `dataDir`.
 */
function toApiError (payload: ErrorResponse, status: number, dataDir = resolveDataDir()): ApiError | StampNotReadyError | AlreadyVotedError {
  const error = payload.error
  const failure = new ApiError(error?.message ?? `the daemon answered HTTP ${status}`, error?.code ?? 'ERR_HTTP', status)
  const now = Math.floor(Date.now() / 1000)
  if (error?.code === 'ERR_STAMP_NOT_READY') {
    const readyAt = typeof error.readyAt === 'number' ? error.readyAt : undefined
    return new StampNotReadyError(stampNotReadyLine(readyAt, now), readyAt, { cause: failure })
  }
  if (error?.code === 'ERR_ALREADY_VOTED') {
    return new AlreadyVotedError(failure.message, { cause: failure })
  }
  if (error?.code === 'ERR_RATE_LIMITED' && typeof error.retryAt === 'number') {
    return new ApiError(`${failure.message}; the next slot opens at ${utcTime(error.retryAt)} (in ${aboutSeconds(error.retryAt - now)})`, failure.code, status)
  }
  if (error?.code === 'ERR_PEEK_ONLY' && typeof error.channel === 'string') {
    return new ApiError(`${failure.message} (\`${murmurCommand(['join', error.channel], dataDir)}\`)`, failure.code, status)
  }
  return failure
}

function notRunning (dataDir: string): DaemonNotRunningError {
  return new DaemonNotRunningError(
    `no murmur daemon is running for ${dataDir} (no live ${apiFilePath(dataDir)}); start one with \`${murmurCommand(['daemon'], dataDir)}\``
  )
}

/** The error of a fetch that got no answer: cancelled, nothing listening, or as it is. */
function fetchFailure (err: unknown, signal: AbortSignal | undefined): Error {
  if (signal?.aborted === true) {
    return new CancelledError()
  }
  const code = (err as { code?: string }).code
  // ENOENT: no socket file; ECONNREFUSED: a socket file or port nobody accepts on
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new DaemonNotRunningError('the murmur daemon is not answering')
  }
  // the daemon took the connection and closed it unanswered: every connection it holds is serving a
  // request (event streams, mining), or it is stopping
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new ApiError('the murmur daemon closed the connection without answering (its control API may be busy serving other connections, or stopping); try again', 'ERR_API_BUSY', 503, { cause: err })
  }
  // EAGAIN: the queue of connections waiting for the daemon (its listen backlog) is full
  if (code === 'EAGAIN') {
    return new ApiError('the murmur daemon has too many connections waiting (another program may be flooding its control API); try again', 'ERR_API_BUSY', 503, { cause: err })
  }
  return err instanceof Error ? err : new Error(String(err))
}

/** Times a request refused by a busy control API (ERR_API_BUSY) is tried again (a POST only when unread). */
const BUSY_RETRIES = 8
/** First wait before a request refused by a busy control API is tried again, doubled each time (ms): 6.4 s in all at most, 3.2 s on average. */
const BUSY_BACKOFF = 25

/** Whether a request failed with ERR_API_BUSY: the daemon's connection cap or listen queue refused it. */
function busy (err: unknown): boolean {
  return (err as Partial<ApiError>).code === 'ERR_API_BUSY'
}

/**
 * Whether a request failed with ERR_API_BUSY before the daemon could read all of it, so that sending it
 * again cannot make it twice: the connection was never made (EAGAIN), the daemon had closed it before the
 * request was written (EPIPE), or the system reset it (ECONNRESET from a read or write: a socket closed
 * with bytes of ours unread in it is reset, one that read them all just ends). Node's own ECONNRESET
 * `socket hang up` (no syscall: the connection ended before an answer) is not one: the daemon may have
 * read and acted on the request.
 */
function unread (err: unknown): boolean {
  if (!busy(err)) return false
  const cause = (err as Error).cause as Partial<NodeJS.ErrnoException> | undefined
  return cause?.code === 'EAGAIN' || cause?.code === 'EPIPE' || (cause?.code === 'ECONNRESET' && cause.syscall !== undefined)
}

/**
 * Runs `attempt`, again after a growing random wait while it fails as `retryable` says (ERR_API_BUSY:
 * the daemon's connection cap or listen queue refused it) up to BUSY_RETRIES times; any other failure,
 * or a cancel, ends it.
 */
async function retryBusy<T> (attempt: () => Promise<T>, signal: AbortSignal | undefined, retryable: (err: unknown) => boolean): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt()
    } catch (err) {
      if (retry >= BUSY_RETRIES || !retryable(err) || signal?.aborted === true) throw err
    }
    // full jitter: clients refused together do not come back together
    const wait = Math.random() * BUSY_BACKOFF * 2 ** retry
    await new Promise<void>((resolve) => { setTimeout(resolve, wait) })
  }
}

/** Whether a process of this user runs with this pid (signal 0 only checks; EPERM: another user's). */
function processAlive (pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    return false
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
