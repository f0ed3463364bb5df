/**
 * The messages between a minting worker and the thread that started it (Node worker_threads or a browser
 * Worker: both structured-clone them).
 */
import type { Stamp, StampProgress } from '@murmur/protocol'

/** What a worker is asked to mint: one stamp, from one nonce on. */
export interface MintRequest {
  memberKey: Uint8Array
  week: number
  bits: number
  startNonce: number
}

/** What a worker answers: progress after every evaluation, then the stamp or an error. */
export type MintReply =
  | { type: 'progress', progress: StampProgress }
  | { type: 'stamp', stamp: Stamp }
  | { type: 'error', message: string, code?: string }
