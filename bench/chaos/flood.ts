/**
 * `flood_honest_delivery`: honest Murmur nodes posting while one peer floods valid posts (built and
 * published straight into gossip as fast as it mines them, at most `floodPerSecond`) and another floods
 * invalid ones (tampered envelopes). The flooders run in a process of their own (flooder.ts), so that
 * their mining is not on the honest nodes' event loop. Measured: the share of (honest post, honest node)
 * pairs delivered, the honest p99 latency (post() called to the post stored at another honest node)
 * against a calm phase of the same size before the flood, and the resident memory of the honest nodes'
 * process per honest node at the end.
 */
import { fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { seededRandom } from '../lib/random.ts'
import { CHAOS_CHANNEL, ChaosNet, loopbackAddress, waitHeld, waitMeshed } from './net.ts'
import type { FromFlooder, ToFlooder } from './flooder.ts'
import type { ChaosNetInit } from './net.ts'
import type { ChildProcess } from 'node:child_process'

/** Longest wait for the 'post' events of posts every node was seen to hold (ms). */
const ANNOUNCE_WAIT_MS = 2_000

/** Options of {@link runFlood}. */
export interface FloodInit {
  /** Honest nodes (two more are the flooders). */
  honest: number
  /** Posts the honest nodes make in each phase (calm, then flood). */
  honestPosts: number
  /** Posts a second each flooder publishes at most. */
  floodPerSecond: number
  /** Longest wait for delivery in each phase (ms). */
  waitMs: number
  /** @default 1 */
  seed?: number
  /** History sync of every node. @default the node's defaults */
  sync?: ChaosNetInit['sync']
}

/** Latency summary (ms) of (honest post, receiving honest node) pairs. */
export interface PairLatency { p50: number, p99: number, count: number }

/** What one phase (calm, or under the flood) found. */
export interface PhaseOutcome {
  delivery: number
  latency: PairLatency
  /**
   * Share of the phase the honest nodes' process's event loop was busy (0..1): near 1, the process is
   * short of CPU (all honest nodes share it), and every queue in it waits for the CPU, whatever its order.
   */
  eventLoopBusy: number
}

/** What {@link runFlood} found. */
export interface FloodOutcome {
  honest: number
  calm: PhaseOutcome
  flood: PhaseOutcome
  /** Posts each flooder published during the flood phase. */
  floodedValid: number
  floodedInvalid: number
  /** How long the flood went on (s). */
  floodSeconds: number
  /** Resident memory of the honest nodes' process per honest node at the end (MiB). */
  rssPerNodeMb: number
  /** What each honest node's store held of public channels at the end (the channel quota evicts past 10,000 posts or 32 MiB). */
  stored: Array<{ posts: number, bytes: number }>
  /** Posts each honest node missed at the end of the flood phase. */
  floodMissing: number[]
  failed: string[]
}

/**
 * Runs the flood scenario on a fresh network, closed afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runFlood({ honest: 8, honestPosts: 8, floodPerSecond: 50, waitMs: 60_000 })
 * ```
 */
export async function runFlood (init: FloodInit): Promise<FloodOutcome> {
  const random = seededRandom(init.seed ?? 1)
  const net = await ChaosNet.create({ nodes: init.honest, random, sync: init.sync })
  const flooder = new Flooder()
  try {
    await waitMeshed(net, init.waitMs)
    const honest = net.running()
    await flooder.ask({ type: 'start', bootstrap: honest.map(loopbackAddress), floodPerSecond: init.floodPerSecond, seed: (init.seed ?? 1) + 1, waitMs: init.waitMs }, 'ready')
    // when each honest node stored each post (performance.now())
    const arrived = honest.map(() => new Map<string, number>())
    honest.forEach((node, i) => { node.addEventListener('post', (evt) => { arrived[i]!.set(evt.detail.id, performance.now()) }) })
    const failed: string[] = []

    const phase = async (label: string): Promise<PhaseOutcome & { missing: number[] }> => {
      const busyFrom = performance.eventLoopUtilization()
      const phaseFrom = performance.now()
      const sent: Array<{ id: string, from: number, at: number }> = []
      for (let i = 0; i < init.honestPosts; i++) {
        const from = Math.floor(random() * honest.length)
        const at = performance.now()
        try {
          sent.push({ id: (await honest[from]!.post(CHAOS_CHANNEL, `${label} ${i}`)).id, from, at })
        } catch (err) {
          failed.push((err as Error).message)
        }
      }
      const held = await waitHeld(honest, sent.map((s) => s.id), init.waitMs)
      // a node announces a post a turn after storing it: the last ones seen held may not have said so yet
      const announced = (): boolean => sent.every((s) => honest.every((_, i) => i === s.from || arrived[i]!.has(s.id)))
      for (const until = performance.now() + ANNOUNCE_WAIT_MS; held.seconds !== undefined && !announced() && performance.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const times: number[] = []
      let pairs = 0
      for (const s of sent) {
        honest.forEach((_, i) => {
          if (i === s.from) return
          pairs++
          const t = arrived[i]!.get(s.id)
          if (t !== undefined) times.push(t - s.at)
        })
      }
      const missed = held.missing.reduce((a, b) => a + b, 0)
      const total = sent.length * honest.length
      const eventLoopBusy = performance.eventLoopUtilization(busyFrom).utilization
      return { delivery: total === 0 ? 0 : (total - missed) / total, latency: summarize(times, pairs, performance.now() - phaseFrom), eventLoopBusy, missing: held.missing }
    }

    const calm = await phase('calm')
    flooder.tell({ type: 'flood' })
    const underFlood = await phase('flood')
    const flooded = await flooder.ask({ type: 'stop' }, 'stopped')
    return {
      honest: honest.length,
      calm: { delivery: calm.delivery, latency: calm.latency, eventLoopBusy: calm.eventLoopBusy },
      flood: { delivery: underFlood.delivery, latency: underFlood.latency, eventLoopBusy: underFlood.eventLoopBusy },
      floodedValid: flooded.valid,
      floodedInvalid: flooded.invalid,
      floodSeconds: flooded.seconds,
      rssPerNodeMb: process.memoryUsage().rss / 1024 / 1024 / honest.length,
      stored: await Promise.all(honest.map(async (node) => await node.storeUsage())),
      floodMissing: underFlood.missing,
      failed
    }
  } finally {
    flooder.close()
    await net.close()
  }
}

/** The flooder process (flooder.ts) and the replies it owes. */
class Flooder {
  private readonly child: ChildProcess
  private readonly waiting: Array<{ type: FromFlooder['type'], resolve: (message: FromFlooder) => void, reject: (err: Error) => void }> = []

  constructor () {
    // as scenario.ts runs: Node's full TypeScript transform
    this.child = fork(new URL('./flooder.ts', import.meta.url), [], { execArgv: ['--experimental-transform-types', '--no-warnings'] })
    this.child.on('message', (message: FromFlooder) => {
      if (message.type === 'error') {
        this.fail(new Error(`flooder: ${message.message}`))
        return
      }
      const index = this.waiting.findIndex((w) => w.type === message.type)
      this.waiting.splice(index, 1)[0]?.resolve(message)
    })
    this.child.on('exit', (code, signal) => { this.fail(new Error(`the flooder process exited (${code ?? signal})`)) })
  }

  /** Sends a request and resolves with the first reply of type `reply`. */
  async ask<T extends FromFlooder['type']> (message: ToFlooder, reply: T): Promise<Extract<FromFlooder, { type: T }>> {
    const answer = new Promise<FromFlooder>((resolve, reject) => { this.waiting.push({ type: reply, resolve, reject }) })
    this.child.send(message)
    return await answer as Extract<FromFlooder, { type: T }>
  }

  /** Sends a request that has no reply. */
  tell (message: ToFlooder): void {
    this.child.send(message)
  }

  /** Ends the process (it stops its nodes on 'stop'; past that it is killed). */
  close (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill()
  }

  private fail (err: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(err)
  }
}

function summarize (times: number[], pairs: number, waitedMs: number): PairLatency {
  if (times.length === 0) return { p50: waitedMs, p99: waitedMs, count: 0 }
  const sorted = [...times].sort((a, b) => a - b)
  // pairs never delivered count as the slowest, as having waited the whole phase (a lower bound): a p99 of
  // the delivered only would hide them, and Infinity is no figure (JSON writes it as null)
  const at = (q: number): number => { const k = Math.min(pairs - 1, Math.floor(q * pairs)); return k < sorted.length ? sorted[k]! : waitedMs }
  return { p50: at(0.5), p99: at(0.99), count: sorted.length }
}
