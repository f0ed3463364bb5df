/**
 * `crash_acked_lost`: a real daemon (on-disk store) posting through its control API as fast as it
 * acknowledges, killed with SIGKILL at random points of the flood (each time at once on an answer: the
 * worst moment for the post just acknowledged) and restarted on the same data dir. Every post whose API
 * call answered 200 must be readable after the last restart, every channel joined through it still
 * joined, and the store must open each time.
 *
 * With `peer` (the default), the daemon is bootstrapped from a second daemon, so that its own posts go
 * out through the stem, come back by gossip and move from its on-disk own-pending records into the post
 * store while the kills fall: both write paths are under fire. Without it, every post stays queued.
 */
import { fromHex } from '@murmur/protocol'
import { createPostStore, openDatabase } from '@murmur/node/internal'
import { Sandbox, TEST_STAMP_BITS } from '../../test/cli-harness.ts'
import { seededRandom } from '../lib/random.ts'
import { apiRequest, readEndpoint } from './api-client.ts'
import type { ApiEndpoint } from './api-client.ts'
import type { Daemon } from '../../test/cli-harness.ts'

/** Refused posts (non-200 answers) after which the flood gives up: the daemon takes no more posts. */
const MAX_REFUSALS = 1_000

/** How long a (re)started daemon may take to see its peer in #lobby: generous, for a loaded machine (ms). */
const PEER_TIMEOUT = 60_000

/** Options of {@link runCrash}. */
export interface CrashInit {
  /** Posts acknowledged in all (across every run of the daemon). */
  posts: number
  /** SIGKILLs at random points of the flood; one more falls on the last acknowledgement. */
  killPoints: number
  /** Requests in flight at once. @default 4 */
  concurrency?: number
  /** Seed of the kill points. @default 1 */
  seed?: number
  /** Bootstrap the daemon from a second daemon (posts go out and come back). @default true */
  peer?: boolean
  /**
   * Before each restart, this many starts killed at a random moment of their startup (the store's open,
   * its recovery, the own posts resent): the start after them must still find everything. @default 0
   */
  startupKills?: number
}

/** What {@link runCrash} found. */
export interface CrashOutcome {
  /** Posts whose API call answered 200. */
  acked: number
  /** Acknowledged posts not readable after the last restart (must be 0); their ids. */
  lost: string[]
  /** Channels joined through the API (one per run, acknowledged just before its flood) missing after the last restart (must be none). */
  lostJoins: string[]
  /** SIGKILLs sent (the random points and the last one). */
  kills: number
  /** Restarts on the same data dir that reached the daemon's ready line (the store opened). */
  restarts: number
  /** Starts killed during their startup (before or around their ready line), on top of `kills`. */
  startupKills: number
  /** Seconds from each restart's spawn to its ready line. */
  restartSeconds: number[]
  /** Requests in flight when a kill fell (unacknowledged: either outcome is allowed). */
  inFlightAtKill: number
  /**
   * Acknowledged posts found in the post store itself after a clean stop (the others are the daemon's
   * own posts not back from the network yet, kept in its own-pending records): how much of the flood
   * went the whole way, through the store's write path, while the kills fell.
   */
  inStore: number
  /** Answers other than 200 during the flood, by status (a full outbox is 503, say). */
  refused: Record<number, number>
}

/**
 * Runs the scenario in a sandbox of its own, cleaned up afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runCrash({ posts: 100, killPoints: 2 })
 * // outcome.lost.length === 0
 * ```
 */
export async function runCrash (init: CrashInit): Promise<CrashOutcome> {
  const random = seededRandom(init.seed ?? 1)
  const concurrency = init.concurrency ?? 4
  // the kill points: distinct ack counts spread over the flood (never the first few, nor the end)
  const points = new Set<number>()
  while (points.size < init.killPoints) {
    points.add(Math.max(1, Math.floor(init.posts * (0.1 + 0.8 * random()))))
  }
  const killAt = [...points].sort((a, b) => a - b)
  killAt.push(init.posts)

  const sandbox = await Sandbox.create()
  const outcome: CrashOutcome = { acked: 0, lost: [], lostJoins: [], kills: 0, startupKills: 0, restarts: 0, restartSeconds: [], inFlightAtKill: 0, inStore: 0, refused: {} }
  const acked: string[] = []
  const joins: string[] = []
  try {
    const peer = init.peer === false ? undefined : await sandbox.daemon('peer', ['--no-local-rendezvous'])
    const args = ['--no-mint', '--no-local-rendezvous', ...(peer === undefined ? [] : ['--bootstrap', peer.multiaddr])]
    let daemon = await sandbox.daemon('crash', args)
    for (const [run, until] of killAt.entries()) {
      // the first posts go out at once (the later runs' queued posts go once the peer is back): without it,
      // posts made before the peer is in the channel stay queued through a short run and never reach the store
      if (peer !== undefined && run === 0) await daemon.proc.waitForLine(peerInLobby, PEER_TIMEOUT)
      const api = await readEndpoint(daemon.dataDir)
      // an acknowledged join is kept for the next start (channels.json): the kill falls a flood later
      const joined = await apiRequest(api, '/v1/join', { method: 'POST', body: JSON.stringify({ channel: `#crash-run-${run}` }) })
      if (joined.status !== 200) throw new Error(`join answered ${joined.status}: ${joined.text}`)
      joins.push(`#crash-run-${run}`)
      outcome.inFlightAtKill += await floodUntilKill(daemon, api, { until, concurrency, run, acked, refused: outcome.refused })
      outcome.kills++
      for (let k = 0; k < (init.startupKills ?? 0); k++) {
        // anywhere in a startup as long as the last one took
        await killDuringStartup(sandbox, args, random() * 1_000 * (outcome.restartSeconds.at(-1) ?? 5))
        outcome.startupKills++
      }
      const started = Date.now()
      daemon = await sandbox.daemon('crash', args)
      outcome.restartSeconds.push((Date.now() - started) / 1000)
      outcome.restarts++
    }
    const api = await readEndpoint(daemon.dataDir)
    const status = await apiRequest(api, '/v1/status')
    const channels = new Set((status.json as { channels: Array<{ channel: string }> }).channels.map((c) => c.channel))
    outcome.lostJoins = joins.filter((channel) => !channels.has(channel))
    for (const id of acked) {
      const answer = await apiRequest(api, `/v1/posts/${id}`)
      if (answer.status !== 200) outcome.lost.push(id)
    }
    outcome.acked = acked.length
    await daemon.proc.stop('SIGTERM')
    const db = await openDatabase(daemon.dataDir)
    try {
      const store = createPostStore({ db })
      for (const id of acked) {
        if (await store.has(fromHex(id))) outcome.inStore++
      }
    } finally {
      await db.close()
    }
    return outcome
  } finally {
    await sandbox.cleanup()
  }
}

/**
 * Posts with `concurrency` requests in flight until `until` posts are acknowledged in all, then kills
 * the daemon with SIGKILL in the same turn as that answer; resolves with the requests left in flight.
 */
async function floodUntilKill (daemon: Daemon, api: ApiEndpoint, options: { until: number, concurrency: number, run: number, acked: string[], refused: Record<number, number> }): Promise<number> {
  const { acked, refused } = options
  let killed = false
  let inFlight = 0
  let inFlightAtKill = 0
  let sent = 0
  const kill = (): void => {
    if (killed) return
    killed = true
    inFlightAtKill = inFlight
    daemon.proc.child.kill('SIGKILL')
  }
  const worker = async (): Promise<void> => {
    while (!killed) {
      const body = JSON.stringify({ channel: '#lobby', body: `chaos crash run ${options.run} post ${sent++}` })
      inFlight++
      try {
        const answer = await apiRequest(api, '/v1/posts', { method: 'POST', body })
        inFlight--
        if (killed) return
        if (answer.status === 200) {
          acked.push((answer.json as { id: string }).id)
          if (acked.length >= options.until) kill()
        } else {
          refused[answer.status] = (refused[answer.status] ?? 0) + 1
          if (Object.values(refused).reduce((a, b) => a + b, 0) > MAX_REFUSALS) {
            throw new Error(`the daemon refused more than ${MAX_REFUSALS} posts: ${JSON.stringify(refused)} (last: ${answer.text})`)
          }
          // a full outbox (no peer) or a rate limit: wait for room rather than spin
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      } catch (err) {
        inFlight--
        // a connection cut by the kill is expected; any other failure is not
        if (!killed) throw err
        return
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  await daemon.proc.exited
  return inFlightAtKill
}

/** Starts the daemon as Sandbox.daemon does (`extra`: more arguments) and SIGKILLs it after `delay` ms. */
async function killDuringStartup (sandbox: Sandbox, extra: string[], delay: number): Promise<void> {
  const proc = sandbox.spawn(['daemon', '--data-dir', sandbox.dir('crash'), '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--pow-bits', '8',
    '--stamp-bits', String(TEST_STAMP_BITS), '--json', ...extra])
  const timer = setTimeout(() => { proc.child.kill('SIGKILL') }, delay)
  const code = await proc.exited
  clearTimeout(timer)
  // a start that failed on its own (not killed) is a finding: the store did not open
  if (proc.child.signalCode !== 'SIGKILL') throw new Error(`a daemon start exited by itself (${String(code)}) before its kill:\n${proc.stderr.join('\n')}`)
}

/** Whether a `murmur daemon --json` line is a status line showing a peer in #lobby. */
function peerInLobby (line: string): boolean {
  if (!line.includes('"event":"status"')) return false
  const status = JSON.parse(line) as { channels?: Array<{ channel: string, peers: number }> }
  return status.channels?.some((c) => c.channel === '#lobby' && c.peers >= 1) === true
}
