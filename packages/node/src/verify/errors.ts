/**
 * Named errors of the verification pool. Match them on `err.name` (or `err.code`), never with `instanceof`.
 */

/** Thrown when a job is refused because `maxQueue` jobs already wait for a worker: the node is overloaded. */
export class VerifyQueueFullError extends Error {
  static override readonly name = 'VerifyQueueFullError'
  override readonly name = 'VerifyQueueFullError'
  readonly code = 'ERR_VERIFY_QUEUE_FULL'

  constructor (message = 'the verification queue is full') {
    super(message)
  }
}

/** Thrown for each job a worker was running when it crashed; the pool replaces the worker and goes on. */
export class VerifyWorkerCrashedError extends Error {
  static override readonly name = 'VerifyWorkerCrashedError'
  override readonly name = 'VerifyWorkerCrashedError'
  readonly code = 'ERR_VERIFY_WORKER_CRASHED'

  constructor (message = 'a verification worker crashed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown for jobs given to (or still waiting in) a pool that was stopped, or whose workers cannot start. */
export class VerifyPoolStoppedError extends Error {
  static override readonly name = 'VerifyPoolStoppedError'
  override readonly name = 'VerifyPoolStoppedError'
  readonly code = 'ERR_VERIFY_POOL_STOPPED'

  constructor (message = 'the verification pool is stopped', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Whether `err` is a refusal of the verification pool (queue full, worker crashed, pool stopped): the job
 * was not judged, which says nothing of the envelope nor of its sender.
 *
 * @example
 * ```ts
 * try { await pool.validate(bytes, options) } catch (err) { if (isVerifyRefusal(err)) retryLater() }
 * ```
 */
export function isVerifyRefusal (err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code
  return code === 'ERR_VERIFY_QUEUE_FULL' || code === 'ERR_VERIFY_WORKER_CRASHED' || code === 'ERR_VERIFY_POOL_STOPPED'
}
