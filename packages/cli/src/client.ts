/**
 * Client of a daemon's local control API (see docs/API.md): plain fetch with the bearer token,
 * Server-Sent Events for live streams and for proof-of-work progress.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { ApiError, CancelledError, DaemonNotRunningError } from './errors.js'
import { API_PREFIX } from './constants.js'
import { apiFilePath, readApiFile } from './daemon/api-file.js'
import type {
  ApiEvent, ErrorEvent, ErrorResponse, MiningProgress, PeerResponse, PostRequest, PostResult, PostView, ReplyRequest,
  StatusResponse, VoteRequest
} from './api-types.js'
import type { ApiEndpoint } from './daemon/api-file.js'

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
  private readonly base: string
  private readonly token: string

  /**
   * A client of the daemon that runs for `dataDir`. Throws DaemonNotRunningError when there is none.
   *
   * @example
   * ```ts
   * const client = await ControlClient.connect(resolveDataDir())
   * console.log((await client.status()).peers)
   * ```
   */
  static async connect (dataDir: string): Promise<ControlClient> {
    const endpoint = await readApiFile(dataDir)
    if (endpoint === undefined) {
      throw notRunning(dataDir)
    }
    const client = new ControlClient(endpoint)
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

  constructor (endpoint: Pick<ApiEndpoint, 'host' | 'port' | 'token'>) {
    this.base = `http://${endpoint.host}:${endpoint.port}${API_PREFIX}`
    this.token = endpoint.token
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

  /** Votes on a post or reply. */
  async vote (request: VoteRequest, options: PostingOptions = {}): Promise<PostResult> {
    return this.posting('/votes', request, options)
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
          throw toApiError(event, event.status)
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

  private async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body, undefined, 'application/json')
    return await res.json() as T
  }

  /** Sends a request; throws ApiError for a non-2xx answer, DaemonNotRunningError when nothing listens. */
  private async fetch (method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
    }
    let res: Response
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal
      })
    } catch (err) {
      if (signal?.aborted === true) {
        throw new CancelledError()
      }
      const code = ((err as { cause?: { code?: string } }).cause)?.code
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET') {
        throw new DaemonNotRunningError('the murmur daemon is not answering')
      }
      throw err
    }
    if (!res.ok) {
      let payload: ErrorResponse
      try {
        payload = await res.json() as ErrorResponse
      } catch {
        throw new ApiError(`the daemon answered HTTP ${res.status}`, 'ERR_HTTP', res.status)
      }
      throw toApiError(payload, res.status)
    }
    return res
  }
}

/** The SSE messages of a response body. */
async function * sseMessages (res: Response): AsyncGenerator<{ event?: string, data: string }> {
  if (res.body === null) {
    return
  }
  yield * res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
}

function toApiError (payload: ErrorResponse, status: number): ApiError {
  const error = payload.error
  return new ApiError(error?.message ?? `the daemon answered HTTP ${status}`, error?.code ?? 'ERR_HTTP', status)
}

function notRunning (dataDir: string): DaemonNotRunningError {
  return new DaemonNotRunningError(
    `no murmur daemon is running for ${dataDir} (no live ${apiFilePath(dataDir)}); start one with \`murmur daemon\``
  )
}
