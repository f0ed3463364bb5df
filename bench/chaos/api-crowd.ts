/**
 * The crowd of the api-abuse scenario (api-abuse.ts), in a process of its own: `parallel` workers that
 * each send one request on a fresh connection to the daemon's control API, again as soon as the last
 * ended, until the time is up (`authedShare` of them with the token, the rest without). Another local
 * process is what the scenario stands for; in the scenario's own process, a thousand workers starved the
 * user's client of its event loop and measured that instead of the daemon. Talks to the parent over the
 * IPC channel: one {@link CrowdOrder} in, one {@link CrowdReport} out.
 */
import { apiRequest } from './api-client.ts'
import type { ApiEndpoint } from './api-client.ts'

/** What the parent asks: the crowd's size, its share with the token, and how long it goes on. */
export interface CrowdOrder { api: Pick<ApiEndpoint, 'socket' | 'token'>, parallel: number, authedShare: number, durationMs: number }

/** What the crowd found: answers by kind (HTTP status, or `reset` for a connection refused) and what broke the rules. */
export interface CrowdReport { answers: Record<string, Record<string, number>>, violations: string[] }

/** A refused connection: the daemon's cap, or its listen queue (the designed answer to a crowd). */
export function isReset (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED' || code === 'EAGAIN' || (err as Error).message === 'socket hang up'
}

/**
 * Runs the crowd until `durationMs` passed; its answers and violations.
 *
 * @example
 * ```ts
 * const report = await runCrowd({ api, parallel: 200, authedShare: 0.25, durationMs: 10_000 })
 * ```
 */
export async function runCrowd (order: CrowdOrder): Promise<CrowdReport> {
  const answers: Record<string, Record<string, number>> = {}
  const violations: string[] = []
  const count = (kind: string, result: string): void => {
    const byResult = answers[kind] ??= {}
    byResult[result] = (byResult[result] ?? 0) + 1
  }
  const until = Date.now() + order.durationMs
  await Promise.all(Array.from({ length: order.parallel }, async (_, worker) => {
    const authed = order.authedShare > 0 && worker % Math.round(1 / order.authedShare) === 0
    const kind = authed ? 'parallel-authed' : 'parallel-no-token'
    while (Date.now() < until) {
      try {
        const answer = await apiRequest(order.api, '/v1/status', { noToken: !authed })
        count(kind, String(answer.status))
        if (answer.status !== (authed ? 200 : 401)) violations.push(`a parallel request got ${answer.status}`)
      } catch (err) {
        count(kind, isReset(err) ? 'reset' : (err as Error).message)
        if (!isReset(err)) violations.push(`a ${kind} request failed: ${(err as Error).message}`)
      }
    }
  }))
  return { answers, violations }
}

if (import.meta.main) {
  process.once('message', (order: CrowdOrder) => {
    runCrowd(order).then((report) => { process.send!(report) }, (err: unknown) => {
      process.send!({ answers: {}, violations: [`the crowd process failed: ${(err as Error).stack ?? String(err)}`] })
    })
  })
  // the parent is gone (done, or crashed): nothing of this run may outlive it
  process.on('disconnect', () => { process.exit() })
}
