/**
 * The control API as a fuzz entry: generated and mutated requests (route, query, JSON body) to a real
 * daemon. A 2xx is `accepted`; a 4xx or 503 with a stable `{ error: { code } }` is a refusal labelled
 * by status and code; a 500, another answer, or a connection closed without one is a crash. A channel
 * joined by a fuzzed body is left again at once, so that the run does not pile up subscriptions.
 */
import fc from 'fast-check'
import { apiRequest, errorCode } from './api-client.ts'
import { mutateText } from './mutate.ts'
import type { ApiEndpoint } from './api-client.ts'
import type { FuzzEntry } from './fuzz-entries.ts'

/** One request: method, path with its query, and the body (POST only). */
export interface ApiInput { method: 'GET' | 'POST', path: string, body?: string }

const ID = 'ab'.repeat(32)
const SEEDS: ApiInput[] = [
  { method: 'POST', path: '/v1/posts', body: '{"channel":"#lobby","body":"hello from the fuzz","ttl":3600}' },
  { method: 'POST', path: '/v1/replies', body: `{"parent":"${ID}","body":"a reply"}` },
  { method: 'POST', path: '/v1/votes', body: `{"post":"${ID}","vote":1}` },
  { method: 'POST', path: '/v1/join', body: '{"channel":"#fuzz"}' },
  { method: 'POST', path: '/v1/leave', body: '{"channel":"#fuzz"}' },
  { method: 'GET', path: '/v1/feed?channel=%23lobby&sort=hot&limit=5' },
  { method: 'GET', path: `/v1/posts/${ID}` },
  { method: 'GET', path: `/v1/threads/${ID}` },
  { method: 'GET', path: '/v1/status' }
]
const POST_PATHS = ['/v1/posts', '/v1/replies', '/v1/votes', '/v1/join', '/v1/leave']
const PATH_PIECES = ['/', 'v1', 'v1/', 'posts', 'threads/', 'feed', 'status', 'events', 'proof', '..', '.', '%2F', '%00', '%', '?', '&', '=', 'channel=', '%23lobby', 'nonce=', ID]
/** Statuses the API answers refusals with (docs/API.md). */
const REFUSALS = new Set([400, 401, 403, 404, 409, 413, 429, 503])

/**
 * The fuzz entry of a daemon's control API.
 *
 * @example
 * ```ts
 * const entry = apiFuzzEntry(await readEndpoint(daemon.dataDir))
 * ```
 */
export function apiFuzzEntry (api: ApiEndpoint): FuzzEntry<ApiInput> {
  const field = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue(), fc.constantFrom('#lobby', ID, 'geo:u4pruyd', '', 1, -1))
  const body = fc.oneof(
    fc.json(),
    fc.record({ channel: field, body: field, ttl: field, parent: field, post: field, vote: field }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
    fc.string({ unit: 'binary' })
  )
  return {
    name: 'http-api',
    seeds: SEEDS,
    arbitrary: fc.oneof(
      fc.record({ method: fc.constant('POST' as const), path: fc.constantFrom(...POST_PATHS), body }),
      fc.record({ method: fc.constant('GET' as const), path: fc.oneof(fc.constantFrom('/v1/feed?channel=', '/v1/posts/', '/v1/threads/').chain((route) => fc.string().map((s) => route + encodeURIComponent(s)))) }),
      // paths built of the pieces a router splits on: empty and dot segments, escaped slashes, queries
      fc.record({ method: fc.constantFrom('GET' as const, 'POST' as const), path: fc.array(fc.constantFrom(...PATH_PIECES), { maxLength: 8 }).map((parts) => `/${parts.join('')}`), body: fc.constant('{}') })
    ),
    mutate: (seed, random) => seed.method === 'POST'
      ? { ...seed, body: mutateText(seed.body ?? '', random) }
      : { ...seed, path: requestPath(mutateText(seed.path, random)) },
    run: async (input) => {
      const answer = await apiRequest(api, input.path, { method: input.method, ...(input.body === undefined ? {} : { body: input.body }) })
      if (answer.status >= 200 && answer.status < 300) {
        if (input.path === '/v1/join') {
          const channel = (answer.json as { channel: string }).channel
          await apiRequest(api, '/v1/leave', { method: 'POST', body: JSON.stringify({ channel }) })
        }
        return 'accepted'
      }
      const code = errorCode(answer)
      if (!REFUSALS.has(answer.status) || code === undefined) {
        throw new Error(`${input.method} ${input.path} answered ${answer.status}: ${answer.text.slice(0, 200)}`)
      }
      return `${answer.status} ${code}`
    },
    show: (input) => JSON.stringify(input).slice(0, 300)
  }
}

/**
 * A mutated path as an HTTP request line can carry it: its UTF-8 bytes, those outside the characters
 * of paths and queries percent-encoded ('%' itself kept: a broken escape is part of the fuzz).
 */
function requestPath (text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~/?&=%:+]/.test(char) ? char : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`
  }
  return out.startsWith('/') ? out : `/${out}`
}
