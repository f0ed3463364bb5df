/**
 * The messages between the verification pool and its workers. Types only: the worker imports them with
 * `import type`, so that it loads nothing but `@murmur/protocol` (it also runs as TypeScript, type-stripped,
 * straight from `src/` in tests).
 */
import type { RingVerifyInput, Stamp, StampProgress, StampVerification, ValidateOptions, ValidationResult, VerifyStampOptions, PowProgress } from '@murmur/protocol'

/** One unit of work a worker runs: a main-thread function of `@murmur/protocol` and its arguments. */
export type VerifyJob =
  | { kind: 'validate', bytes: Uint8Array, options: ValidateOptions }
  | { kind: 'ringVerify', input: RingVerifyInput }
  | { kind: 'verifyStamp', stamp: Stamp, options: VerifyStampOptions }
  | { kind: 'minePow', digest: Uint8Array, bits: number, sliceMs?: number }
  | { kind: 'mintStamp', memberKey: Uint8Array, week: number, bits?: number, startNonce?: number }

/** What each kind of job resolves to: exactly what the main-thread function returns. */
export interface VerifyJobResults {
  validate: ValidationResult
  ringVerify: boolean
  verifyStamp: StampVerification
  minePow: bigint
  mintStamp: Stamp
}

/** Progress each kind of job reports (the mining kinds only). */
export interface VerifyJobProgress {
  minePow: PowProgress
  mintStamp: StampProgress
}

/** An error thrown inside a worker, as it crosses back: enough to rebuild the named error. */
export interface WorkerError {
  name: string
  message: string
  code?: string
}

/** Pool → worker. */
export type ToWorker =
  | { type: 'run', id: number, job: VerifyJob, progress: boolean }
  | { type: 'cancel', id: number }

/** Worker → pool. `ready` once `@murmur/protocol` (libsodium) has loaded; no job is sent before it. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done', id: number, result: unknown }
  | { type: 'failed', id: number, error: WorkerError }
  | { type: 'progress', id: number, progress: unknown }
