/**
 * `api_abuse_ok`: a real daemon's control API under abuse from another local process, all at once:
 * slow-loris connections dribbling their headers a byte a second, 10 MB bodies (announced, and chunked
 * without a length), malformed JSON, missing and wrong tokens, and a thousand parallel connections.
 * Meanwhile the user's own client (the CLI's ControlClient: the daemon's proof of the token, then the
 * request; a GET tried again when the cap refused it, a POST only when the daemon cannot have read it)
 * asks for the status every PROBE_INTERVAL ms, and every POST_EVERY-th time posts instead. Measured: the
 * daemon's resident memory (its growth), each abuse's answers (a clear 4xx, or a refused connection at
 * the cap; never a 5xx nor a hang), how long a slow-loris connection is held, the normal requests'
 * latency and success during the abuse against a calm baseline, and that no post was made twice; then a
 * normal post still goes through.
 */
import { fork } from 'node:child_process'
import { createConnection } from 'node:net'
import { request } from 'node:http'
import { ControlClient } from '../../packages/cli/dist/src/client.js'
import { Sandbox } from '../../test/cli-harness.ts'
import { apiRequest, errorCode, readEndpoint, rssMb } from './api-client.ts'
import { isReset } from './api-crowd.ts'
import type { ApiAnswer, ApiEndpoint } from './api-client.ts'
import type { CrowdOrder, CrowdReport } from './api-crowd.ts'

/** Options of {@link runApiAbuse}. */
export interface ApiAbuseInit {
  /** Slow-loris connections kept open at once, each sending its headers a byte a second. */
  slowLoris: number
  /** Requests with a 10 MB body at once (half announced with a content-length, half chunked without one). */
  bigBodies: number
  /** POST requests at once whose body is malformed JSON. */
  malformed: number
  /** Requests at once without a token, and as many with a wrong one. */
  badTokens: number
  /** Connections kept coming at once from another process (api-crowd.ts), each with one request (`authedShare` of them with the token, the rest without). */
  parallel: number
  /**
   * Share of the crowd that shows the token (a runaway script of the user's; the rest is another local
   * process without it): 0, 0.25, 0.5 or 1 (every 1/share-th worker). @default 0.25
   */
  authedShare?: number
  /** How long the abuse goes on (ms): each abuser starts again as soon as its last attempt ended. */
  durationMs: number
  /** Calm requests timed before the abuse, for the baseline. @default 20 */
  calmSamples?: number
  /**
   * The user's client: `cli` the CLI's ControlClient (proof, then the request, a refused GET tried
   * again), `raw` one request on one connection and no second try (what the daemon's cap alone gives).
   * @default 'cli'
   */
  userClient?: 'cli' | 'raw'
}

/** Latency figures of the normal client's requests (ms). */
export interface LatencySummary { p50: number, p99: number, max: number, count: number }

/** What {@link runApiAbuse} found. */
export interface ApiAbuseOutcome {
  /** The normal client's `/v1/status` before the abuse. */
  calm: LatencySummary
  /** The normal client's `/v1/status` during the abuse (answered ones). */
  during: LatencySummary
  /** Normal status requests during the abuse, and how many were answered 200. */
  normal: { sent: number, ok: number, failures: string[] }
  /**
   * Normal posts during the abuse (`cli` client only), how many were acknowledged, and how many of them
   * the daemon holds at the end (more than were sent: a post made twice).
   */
  posts: { sent: number, ok: number, held: number, failures: string[] }
  /** Daemon RSS before the abuse, its peak during it, and after the slow-loris connections were dropped (MiB). */
  rss: { before: number, peak: number, after: number }
  /** Slow-loris connections made, the seconds the longest-held one stayed open, and how many the daemon closed. */
  slowLoris: { connections: number, maxHeldSeconds: number, closedByDaemon: number }
  /** Answers by kind of abuse: HTTP status (or `reset` for a connection closed without an answer) → count. */
  answers: Record<string, Record<string, number>>
  /** What broke the rules (a 5xx, a 2xx to abuse, a wrong code, a hang); empty when all went right. */
  violations: string[]
  /** A normal post after the abuse was acknowledged. */
  postAfter: boolean
  /** The daemon process was alive at the end. */
  alive: boolean
}

/** How often the normal client asks during the abuse (ms). */
const PROBE_INTERVAL = 100
/** Every how many asks the normal client (`cli`) posts instead of asking for the status. */
const POST_EVERY = 10
/** Prefix of the normal client's posts during the abuse, to count them in the daemon's feed. */
const PROBE_POST = 'probe post'
/** How often the daemon's RSS is read (ms). */
const RSS_INTERVAL = 100
/** Size of each big body. */
const BIG_BODY_BYTES = 10 * 1024 * 1024
/**
 * How long a slow-loris connection may stay open: the API's headers timeout (5 s) and its check
 * interval (1 s), with a margin for a loaded machine (ms).
 */
const SLOW_LORIS_LIMIT = 20_000

/**
 * Runs the scenario against a fresh daemon in a sandbox of its own, cleaned up afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runApiAbuse({ slowLoris: 20, bigBodies: 2, malformed: 20, badTokens: 20, parallel: 200, durationMs: 10_000 })
 * // outcome.violations.length === 0
 * ```
 */
export async function runApiAbuse (init: ApiAbuseInit): Promise<ApiAbuseOutcome> {
  const sandbox = await Sandbox.create()
  try {
    const daemon = await sandbox.daemon('api', ['--no-mint', '--no-local-rendezvous'])
    const api = await readEndpoint(daemon.dataDir)
    const cli = new ControlClient({ socket: api.socket, token: api.token, dataDir: daemon.dataDir })
    const user = init.userClient === 'raw'
      ? { status: async () => { const answer = await apiRequest(api, '/v1/status', { timeout: 15_000 }); if (answer.status !== 200) throw new Error(`status ${answer.status}`) } }
      : cli
    const calmTimes: number[] = []
    for (let i = 0; i < (init.calmSamples ?? 20); i++) {
      const started = performance.now()
      await user.status()
      calmTimes.push(performance.now() - started)
    }
    const before = await rssMb(api.pid) ?? 0
    let peak = before
    const rssTimer = setInterval(() => {
      void rssMb(api.pid).then((mb) => { if (mb !== undefined && mb > peak) peak = mb })
    }, RSS_INTERVAL)

    const answers: Record<string, Record<string, number>> = {}
    const violations: string[] = []
    const count = (kind: string, result: string): void => {
      const byResult = answers[kind] ??= {}
      byResult[result] = (byResult[result] ?? 0) + 1
    }
    /**
     * One abusive request, its answer counted under `kind`; undefined when its connection was refused
     * (the daemon's connection cap, or the listen backlog: the designed answer to a crowd), counted as `reset`.
     */
    const attempt = async (kind: string, send: () => Promise<ApiAnswer>): Promise<ApiAnswer | undefined> => {
      try {
        const answer = await send()
        count(kind, String(answer.status))
        return answer
      } catch (err) {
        count(kind, isReset(err) ? 'reset' : (err as Error).message)
        if (!isReset(err)) violations.push(`a ${kind} request failed: ${(err as Error).message}`)
        return undefined
      }
    }

    // the normal client, until the abuse is over
    let abusing = true
    const normal = { sent: 0, ok: 0, failures: [] as string[] }
    const posts = { sent: 0, ok: 0, held: 0, failures: [] as string[] }
    const duringTimes: number[] = []
    const probing = (async () => {
      for (let i = 1; abusing; i++) {
        if (init.userClient !== 'raw' && i % POST_EVERY === 0) {
          posts.sent++
          try {
            await cli.post({ channel: '#lobby', body: `${PROBE_POST} ${posts.sent}` })
            posts.ok++
          } catch (err) {
            posts.failures.push(describeFailure(err))
          }
        } else {
          normal.sent++
          const started = performance.now()
          try {
            await user.status()
            normal.ok++
            duringTimes.push(performance.now() - started)
          } catch (err) {
            normal.failures.push(describeFailure(err))
          }
        }
        await sleep(PROBE_INTERVAL)
      }
    })()

    // every abuser loops until the abuse is over: a crowd that keeps coming, not one burst
    const until = Date.now() + init.durationMs
    const loop = (workers: number, job: (worker: number) => Promise<void>): Array<Promise<void>> =>
      Array.from({ length: workers }, async (_, worker) => { while (Date.now() < until) await job(worker) })
    const held: Array<{ heldMs: number, closedByDaemon: boolean }> = []
    const abuse = [
      ...loop(init.slowLoris, async () => { held.push(await slowLoris(api)) }),
      ...loop(init.bigBodies, async (worker) => {
        const result = await bigBody(api, worker % 2 === 0)
        count(worker % 2 === 0 ? 'big-body-announced' : 'big-body-chunked', result)
        if (result !== '413' && result !== 'reset') violations.push(`a 10 MB body got ${result}`)
      }),
      ...loop(init.malformed, async (worker) => {
        const answer = await attempt('malformed-json', async () => await apiRequest(api, '/v1/posts', { method: 'POST', body: MALFORMED[worker % MALFORMED.length] }))
        if (answer !== undefined && (answer.status !== 400 || errorCode(answer) !== 'ERR_BAD_REQUEST')) violations.push(`malformed JSON got ${answer.status} ${errorCode(answer) ?? ''}`)
      }),
      ...loop(init.badTokens * 2, async (worker) => {
        const wrong = worker % 2 === 0
        const answer = await attempt(wrong ? 'wrong-token' : 'missing-token', async () => await apiRequest(api, '/v1/posts', {
          method: 'POST',
          body: JSON.stringify({ channel: '#lobby', body: 'not mine to post' }),
          ...(wrong ? { headers: { authorization: `Bearer ${api.token.slice(0, -1)}${api.token.endsWith('A') ? 'B' : 'A'}` } } : { noToken: true })
        }))
        if (answer !== undefined && (answer.status !== 401 || errorCode(answer) !== 'ERR_UNAUTHORIZED')) violations.push(`a ${wrong ? 'wrong' : 'missing'} token got ${answer.status}`)
      }),
      // the crowd: another local process, as the attacker is (in this one it starved the user's client)
      ...(init.parallel === 0
        ? []
        : [crowdProcess({ api: { socket: api.socket, token: api.token }, parallel: init.parallel, authedShare: init.authedShare ?? 0.25, durationMs: init.durationMs }).then((report) => {
            for (const [kind, byResult] of Object.entries(report.answers)) {
              for (const [result, n] of Object.entries(byResult)) answers[kind] = { ...answers[kind], [result]: (answers[kind]?.[result] ?? 0) + n }
            }
            violations.push(...report.violations)
          })])
    ]
    await Promise.all(abuse)
    abusing = false
    await probing
    clearInterval(rssTimer)
    const after = await rssMb(api.pid) ?? 0
    peak = Math.max(peak, after)

    const closedByDaemon = held.filter((h) => h.closedByDaemon).length
    if (closedByDaemon < held.length) violations.push(`${held.length - closedByDaemon} slow-loris connections were not closed by the daemon within ${SLOW_LORIS_LIMIT} ms`)
    if (normal.ok < normal.sent) violations.push(`${normal.sent - normal.ok} of ${normal.sent} normal requests failed during the abuse: ${[...new Set(normal.failures)].join('; ')}`)
    if (posts.ok < posts.sent) violations.push(`${posts.sent - posts.ok} of ${posts.sent} normal posts failed during the abuse: ${[...new Set(posts.failures)].join('; ')}`)
    const feed = await apiRequest(api, `/v1/feed?${new URLSearchParams({ channel: '#lobby', limit: '1000' }).toString()}`)
    posts.held = ((feed.json as { posts?: Array<{ body?: unknown }> } | undefined)?.posts ?? []).filter((p) => typeof p.body === 'string' && p.body.startsWith(PROBE_POST)).length
    if (posts.held > posts.sent) violations.push(`the daemon holds ${posts.held} normal posts of ${posts.sent} sent: some made twice`)

    const posted = await apiRequest(api, '/v1/posts', { method: 'POST', body: JSON.stringify({ channel: '#lobby', body: 'after the abuse' }) })
    const alive = daemon.proc.child.exitCode === null && daemon.proc.child.signalCode === null
    if (!alive) violations.push('the daemon died')
    if (posted.status !== 200) violations.push(`a normal post after the abuse got ${posted.status}: ${posted.text}`)
    return {
      calm: summarize(calmTimes),
      during: summarize(duringTimes),
      normal,
      posts,
      rss: { before, peak, after },
      slowLoris: { connections: held.length, maxHeldSeconds: Math.max(0, ...held.map((h) => h.heldMs)) / 1000, closedByDaemon },
      answers,
      violations,
      postAfter: posted.status === 200,
      alive
    }
  } finally {
    await sandbox.cleanup()
  }
}

/** Bodies that are not JSON, or JSON of the wrong shape for the API (not an object). */
const MALFORMED = ['{nope', '', '{"channel": "#lobby", "body": ', '\u0000\u0001\u0002', '{"a":' + '['.repeat(5_000), '[1, 2]', 'null', '"text"', '{"x": 1}}', '\ud800']

/**
 * One slow-loris connection: a request line, then one header byte a second until the daemon closes
 * the connection (or SLOW_LORIS_LIMIT passes, when it is closed here).
 */
async function slowLoris (api: Pick<ApiEndpoint, 'socket'>): Promise<{ heldMs: number, closedByDaemon: boolean }> {
  return await new Promise((resolve) => {
    const started = Date.now()
    const socket = createConnection({ path: api.socket })
    let closedHere = false
    let timer: NodeJS.Timeout | undefined
    const limit = setTimeout(() => { closedHere = true; socket.destroy() }, SLOW_LORIS_LIMIT)
    socket.on('connect', () => {
      socket.write('GET /v1/status HTTP/1.1\r\nHost: localhost\r\nX-Slow: ')
      timer = setInterval(() => { socket.write('a') }, 1_000)
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(limit)
      resolve({ heldMs: Date.now() - started, closedByDaemon: !closedHere })
    })
  })
}

/**
 * POSTs a 10 MB body, announced with its content-length or chunked without one; the status answered,
 * or `reset` when the connection was closed before an answer was read.
 */
async function bigBody (api: ApiEndpoint, announced: boolean): Promise<string> {
  return await new Promise((resolve) => {
    const headers: Record<string, string> = { host: 'localhost', authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }
    if (announced) headers['content-length'] = String(BIG_BODY_BYTES)
    let settled = false
    const settle = (result: string): void => { if (!settled) { settled = true; resolve(result) } }
    const req = request({ socketPath: api.socket, path: '/v1/posts', method: 'POST', headers, agent: false }, (res) => {
      res.resume()
      settle(String(res.statusCode))
    })
    req.setTimeout(60_000, () => { req.destroy(); settle('hang') })
    req.on('error', (err) => { settle(isReset(err) ? 'reset' : err.message) })
    // the daemon answers 413 and closes while the body is still being written: node's client has let go
    // of the socket by then, and the write's EPIPE would otherwise be an uncaught error of this process
    req.on('socket', (socket) => { socket.on('error', () => {}) })
    const chunk = Buffer.alloc(64 * 1024, 'a')
    let sent = 0
    const pump = (): void => {
      while (sent < BIG_BODY_BYTES && !req.destroyed) {
        sent += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', pump)
          return
        }
      }
      if (!req.destroyed) req.end()
    }
    pump()
  })
}

/** A failed normal request in one line: the error's name and code, and the system error under it. */
function describeFailure (err: unknown): string {
  const { code, cause } = err as { code?: unknown, cause?: Partial<NodeJS.ErrnoException> }
  const under = cause?.code === undefined ? '' : ` (${cause.syscall ?? 'no syscall'} ${cause.code})`
  return `${(err as Error).name}${typeof code === 'string' ? ` ${code}` : ''}${under}: ${(err as Error).message}`
}

/** Runs the crowd (api-crowd.ts) in a process of its own; its report once it is over. */
async function crowdProcess (order: CrowdOrder): Promise<CrowdReport> {
  // as scenario.ts runs: Node's full TypeScript transform
  const child = fork(new URL('./api-crowd.ts', import.meta.url), [], { execArgv: ['--experimental-transform-types', '--no-warnings'] })
  try {
    return await new Promise<CrowdReport>((resolve, reject) => {
      child.once('message', (report: CrowdReport) => { resolve(report) })
      child.once('exit', (code, signal) => { reject(new Error(`the crowd process exited (${code ?? signal}) before its report`)) })
      child.send(order)
    })
  } finally {
    child.kill()
  }
}

function summarize (times: number[]): LatencySummary {
  if (times.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, count: 0 }
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]!, count: sorted.length }
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
