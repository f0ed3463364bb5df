/**
 * What the verification pool every Murmur node of a run shares went through in the measured window: jobs
 * by kind, each job's time from the node's call to its answer (waiting for a worker, the work, and the
 * main thread's turn to take the answer), and the queue's length sampled every {@link SAMPLE_MS} ms.
 */
import type { VerifyPool } from '@murmur/node'

/** How often the queue length is sampled. */
const SAMPLE_MS = 50

/** One kind of job in the window: how many, and their call-to-answer times (ms). */
export interface PoolKindStats { jobs: number, p50Ms: number, p99Ms: number, maxMs: number }

/** The pool in the window. */
export interface PoolStats {
  workers: number
  byKind: Record<string, PoolKindStats>
  queuedMean: number
  queuedMax: number
}

type Kind = 'validate' | 'ringVerify' | 'verifyStamp' | 'minePow' | 'mintStamp'

/** Wraps `pool` so that the window's jobs are timed; `start()` opens the window, `stop()` closes it. */
export function watchPool (pool: VerifyPool, quantile: (values: number[], q: number) => number): { pool: VerifyPool, start(): void, stop(): PoolStats } {
  const times = new Map<Kind, number[]>()
  const samples: number[] = []
  let sampler: ReturnType<typeof setInterval> | undefined
  const timed = async <T>(kind: Kind, job: () => Promise<T>): Promise<T> => {
    if (sampler === undefined) return await job()
    const started = performance.now()
    try {
      return await job()
    } finally {
      times.set(kind, [...times.get(kind) ?? [], performance.now() - started])
    }
  }
  const watched: VerifyPool = {
    get size () { return pool.size },
    get queued () { return pool.queued },
    validate: async (bytes, options, job) => await timed('validate', async () => await pool.validate(bytes, options, job)),
    ringVerify: async (input, job) => await timed('ringVerify', async () => await pool.ringVerify(input, job)),
    verifyStamp: async (stamp, options, job) => await timed('verifyStamp', async () => await pool.verifyStamp(stamp, options, job)),
    minePow: async (digest, bits, options) => await timed('minePow', async () => await pool.minePow(digest, bits, options)),
    mintStamp: async (options) => await timed('mintStamp', async () => await pool.mintStamp(options)),
    stop: async () => { await pool.stop() }
  }
  return {
    pool: watched,
    start: () => { sampler = setInterval(() => { samples.push(pool.queued) }, SAMPLE_MS) },
    stop: () => {
      clearInterval(sampler)
      sampler = undefined
      const byKind: Record<string, PoolKindStats> = {}
      for (const [kind, ms] of times) byKind[kind] = { jobs: ms.length, p50Ms: quantile(ms, 0.5), p99Ms: quantile(ms, 0.99), maxMs: Math.max(...ms) }
      return { workers: pool.size, byKind, queuedMean: samples.reduce((s, v) => s + v, 0) / Math.max(1, samples.length), queuedMax: Math.max(0, ...samples) }
    }
  }
}
