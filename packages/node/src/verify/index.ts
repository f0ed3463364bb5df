/**
 * Verification off the main thread, on every core: ring signatures (bLSAG), whole-envelope validation,
 * member stamps (Argon2id) and proof-of-work mining run in worker threads (Node.js) or Web Workers
 * (browsers), so that a flood of ring-signed posts does not stall the node's event loop. Every job
 * resolves to exactly what the `@murmur/protocol` function of the same name returns on the main thread.
 *
 * @example
 * ```ts
 * const pool = createVerifyPool()
 * const result = await pool.validate(bytes, { topic: 'murmur/2/#lobby' }, { signal: AbortSignal.timeout(5000) })
 * await pool.stop()
 * ```
 */
import { WorkerPool } from './pool.js'
import { availableCores, spawnVerifyWorker } from './platform.js'
import type { RunOptions, VerifyPriority } from './pool.js'
import type { SpawnVerifyWorker } from './platform.js'
import type { MinePowOptions, MintStampOptions, RingVerifyInput, Stamp, StampVerification, ValidateOptions, ValidationResult, VerifyStampOptions } from '@murmur/protocol'

export { VerifyPoolStoppedError, VerifyQueueFullError, VerifyWorkerCrashedError } from './errors.js'
export { availableCores, nodeWorkerHandle, spawnVerifyWorker, webWorkerHandle } from './platform.js'
export type { SpawnVerifyWorker, VerifyWorkerHandle } from './platform.js'
export { MAX_PRIORITY_OVERTAKES, MAX_STAMP_OVERTAKES, MAX_START_FAILURES, WORKER_PIPELINE } from './pool.js'
export type { VerifyPriority } from './pool.js'

/** Jobs that may wait for a worker before more are refused: about 12 s of n = 16 ring checks on two cores, 8 MiB of envelopes at most. @default 2048 */
export const VERIFY_MAX_QUEUE = 2048

/** Options of {@link createVerifyPool}. */
export interface VerifyPoolInit {
  /** Worker threads. @default availableCores(): every core of the machine */
  size?: number
  /** Jobs that may wait for a worker; one more is refused with VerifyQueueFullError. @default VERIFY_MAX_QUEUE */
  maxQueue?: number
  /** How a worker is started. @default spawnVerifyWorker: worker_threads in Node.js, a module Web Worker in browsers */
  spawn?: SpawnVerifyWorker
}

/** Options of one verification. */
export interface VerifyJobOptions {
  /** Cancels the job: a waiting one leaves the queue, a running one rejects at once. */
  signal?: AbortSignal
  /**
   * The address group of the peer the job is for. When the queue is full, the group with the most jobs
   * waiting gives way (its newest is refused with VerifyQueueFullError), not the newcomer, unless the
   * newcomer's group is that group. @default '' (one group for every job without one)
   */
  group?: string
  /**
   * How urgent an envelope check (validate, ringVerify) is: 'high' for the stem's frames and the node's own
   * posts (a stem hop must be judged within the stem's timers), 'normal' for gossip, 'low' for history sync.
   * More urgent checks take a worker first; a class passed over MAX_PRIORITY_OVERTAKES times goes next.
   * Stamp checks and mining keep their own order. @default 'normal'
   */
  priority?: VerifyPriority
}

/**
 * A pool of verification workers. Jobs reject with VerifyQueueFullError (overloaded),
 * VerifyWorkerCrashedError (the worker running it died; the pool goes on with a new one),
 * VerifyPoolStoppedError (stopped, or workers cannot start) or AbortError (its signal); otherwise they
 * settle exactly as the `@murmur/protocol` function of the same name.
 */
export interface VerifyPool {
  /** Workers. */
  readonly size: number
  /** Jobs waiting for a worker now. */
  readonly queued: number
  /** `validateEnvelope(bytes, options)` on a worker (the bytes are copied, never moved). */
  validate(bytes: Uint8Array, options: ValidateOptions, job?: VerifyJobOptions): Promise<ValidationResult>
  /** `ringVerify(input)` on a worker. */
  ringVerify(input: RingVerifyInput, job?: VerifyJobOptions): Promise<boolean>
  /**
   * `verifyStamp(stamp, options)` on a worker: one Argon2id evaluation (64 MiB of the worker's memory). It
   * waits behind envelope checks (at most MAX_STAMP_OVERTAKES of them) and holds at most `size - 1` workers.
   */
  verifyStamp(stamp: Stamp, options?: VerifyStampOptions, job?: VerifyJobOptions): Promise<StampVerification>
  /** `minePow(digest, bits, options)` on a worker; `signal` and `onProgress` work as on the main thread. */
  minePow(digest: Uint8Array, bits: number, options?: MinePowOptions): Promise<bigint>
  /** `mintStamp(options)` on a worker; `signal` and `onProgress` work as on the main thread. */
  mintStamp(options: MintStampOptions): Promise<Stamp>
  /** Stops every worker; resolves once they are gone. Jobs still waiting or running reject. */
  stop(): Promise<void>
}

/**
 * The priority of an envelope check by the path its envelope came on: the stem's frames and the node's own
 * posts 'high', gossip 'normal', history sync 'low' (unknown: 'normal').
 *
 * @example
 * ```ts
 * await pool.validate(bytes, options, { group, priority: priorityOfPath('stem') })
 * ```
 */
export function priorityOfPath (path?: 'own' | 'stem' | 'gossip' | 'sync'): VerifyPriority {
  if (path === 'own' || path === 'stem') return 'high'
  return path === 'sync' ? 'low' : 'normal'
}

/**
 * Starts a verification pool of `size` workers (all cores by default). Idle workers do not keep a Node.js
 * process alive; `stop()` ends them.
 *
 * @example
 * ```ts
 * const pool = createVerifyPool({ size: 2 })
 * if (await pool.ringVerify({ message: id, ring, scopes, c0, s, tags })) console.log('valid')
 * const nonce = await pool.minePow(digest, 16, { signal: AbortSignal.timeout(10_000) })
 * await pool.stop()
 * ```
 */
export function createVerifyPool (init: VerifyPoolInit = {}): VerifyPool {
  const size = init.size ?? availableCores()
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`expected a pool size of at least 1 worker, got ${size}`)
  const maxQueue = init.maxQueue ?? VERIFY_MAX_QUEUE
  // every job waits in the queue at least until a worker takes it: a bound of 0 would refuse them all
  if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new RangeError(`expected a queue bound of at least 1 job, got ${maxQueue}`)
  const pool = new WorkerPool({ size, maxQueue, spawn: init.spawn ?? spawnVerifyWorker })
  const runOptionsOf = (job?: VerifyJobOptions): RunOptions => ({ signal: job?.signal, group: job?.group, priority: job?.priority })
  return {
    size,
    get queued () { return pool.queued },
    validate: async (bytes, options, job) => {
      // a compact copy, moved: a view into a larger buffer would otherwise send the whole buffer along.
      // Never bytes.slice(): on a Buffer it is a view, and moving its memory would detach the caller's
      if (!(bytes instanceof Uint8Array)) return await pool.run({ kind: 'validate', bytes, options }, runOptionsOf(job))
      const copy = new Uint8Array(bytes)
      return await pool.run({ kind: 'validate', bytes: copy, options }, runOptionsOf(job), [copy.buffer])
    },
    ringVerify: async (input, job) => await pool.run({ kind: 'ringVerify', input }, runOptionsOf(job)),
    verifyStamp: async (stamp, options = {}, job) => await pool.run({ kind: 'verifyStamp', stamp, options }, runOptionsOf(job)),
    minePow: async (digest, bits, options = {}) => await pool.run({ kind: 'minePow', digest, bits, sliceMs: options.sliceMs }, options),
    mintStamp: async ({ signal, onProgress, ...mint }) => await pool.run({ kind: 'mintStamp', ...mint }, { signal, onProgress }),
    stop: async () => { await pool.stop() }
  }
}
