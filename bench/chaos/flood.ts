/**
 * `flood_honest_delivery`: honest Murmur nodes posting while one peer floods valid posts (built and
 * published straight into gossip, as fast as `floodPerSecond` lets this one process) and another floods
 * invalid ones (tampered envelopes); measured: the share of (honest post, honest node) pairs delivered,
 * the honest p99 latency (post() called to the post stored at another honest node) against a calm phase
 * of the same size before the flood, and the process's resident memory per node at the end.
 */
import { buildEnvelope, channelTopic, requiredPowBits } from '@murmur/protocol'
import { seededRandom } from '../lib/random.ts'
import { CHAOS_CHANNEL, CHAOS_POW_BITS, ChaosNet, waitHeld, waitMeshed } from './net.ts'
import type { ChaosNetInit } from './net.ts'
import type { Murmur } from '@murmur/node'

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

/** What {@link runFlood} found. */
export interface FloodOutcome {
  honest: number
  calm: { delivery: number, latency: PairLatency }
  flood: { delivery: number, latency: PairLatency }
  /** Posts each flooder published during the flood phase. */
  floodedValid: number
  floodedInvalid: number
  /** How long the flood went on (s). */
  floodSeconds: number
  /** Resident memory of this process per node at the end (MiB). */
  rssPerNodeMb: number
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
  const net = await ChaosNet.create({ nodes: init.honest + 2, random, sync: init.sync })
  try {
    await waitMeshed(net, init.waitMs)
    const [validFlooder, invalidFlooder, ...honest] = net.running() as [Murmur, Murmur, ...Murmur[]]
    // when each honest node stored each post (performance.now())
    const arrived = honest.map(() => new Map<string, number>())
    honest.forEach((node, i) => { node.addEventListener('post', (evt) => { arrived[i]!.set(evt.detail.id, performance.now()) }) })
    const failed: string[] = []

    const phase = async (label: string): Promise<{ delivery: number, latency: PairLatency }> => {
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
      return { delivery: total === 0 ? 0 : (total - missed) / total, latency: summarize(times, pairs) }
    }

    const calm = await phase('calm')
    let flooding = true
    let floodedValid = 0
    let floodedInvalid = 0
    const topic = channelTopic(CHAOS_CHANNEL)
    const powBits = requiredPowBits('POST', 0, { POST: CHAOS_POW_BITS })
    const floodLoop = async (node: Murmur, valid: boolean): Promise<void> => {
      const gap = 1000 / init.floodPerSecond
      while (flooding) {
        const started = performance.now()
        const built = await buildEnvelope({ channel: CHAOS_CHANNEL, body: `flood ${floodedValid + floodedInvalid}`, powBits })
        const bytes = built.bytes.slice()
        // invalid: one byte of the signature or proof flipped (same size and shape, fails its check)
        if (!valid) bytes[bytes.length - 1 - Math.floor(random() * 32)]! ^= 0x01
        await node.libp2p.services.pubsub.publish(topic, bytes).catch(() => undefined)
        if (valid) floodedValid++
        else floodedInvalid++
        const wait = gap - (performance.now() - started)
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)))
      }
    }
    const floodStarted = performance.now()
    const floods = [floodLoop(validFlooder, true), floodLoop(invalidFlooder, false)]
    const underFlood = await phase('flood').finally(() => { flooding = false })
    await Promise.all(floods)
    const floodSeconds = (performance.now() - floodStarted) / 1000
    return {
      honest: honest.length,
      calm,
      flood: underFlood,
      floodedValid,
      floodedInvalid,
      floodSeconds,
      rssPerNodeMb: process.memoryUsage().rss / 1024 / 1024 / net.slots.length,
      failed
    }
  } finally {
    await net.close()
  }
}

function summarize (times: number[], pairs: number): PairLatency {
  if (times.length === 0) return { p50: Number.NaN, p99: Number.NaN, count: 0 }
  const sorted = [...times].sort((a, b) => a - b)
  // pairs never delivered count as the slowest: a p99 of the delivered only would hide them
  const at = (q: number): number => { const k = Math.min(pairs - 1, Math.floor(q * pairs)); return k < sorted.length ? sorted[k]! : Number.POSITIVE_INFINITY }
  return { p50: at(0.5), p99: at(0.99), count: sorted.length }
}
