/**
 * Minting stamps off the main thread: a {@link StampMiner} runs protocol mintStamp in a worker it spawns
 * per stamp (Node worker_threads, or a browser Worker) and stops it by terminating it.
 */
import { AbortError, STAMP_BITS, StampError } from '@murmur/protocol'
import { MembershipError } from './errors.js'
import type { MintReply, MintRequest } from './mint-messages.js'
import type { MintStampOptions, Stamp, StampErrorCode } from '@murmur/protocol'

/** Something that mints a stamp: protocol `{ mint: mintStamp }` on this thread, or createWorkerMiner. */
export interface StampMiner {
  /** Mints a stamp as protocol mintStamp does; rejects with an AbortError when `signal` aborts. */
  mint: (options: MintStampOptions) => Promise<Stamp>
}

/** One worker running one mint, as the platform gives it (worker-node.ts, worker-browser.ts). */
export interface MintWorkerHandle {
  /** Sends the worker its request. */
  post: (request: MintRequest) => void
  /** Hears the worker's replies. */
  onReply: (listener: (reply: MintReply) => void) => void
  /** Hears the worker fail or exit. */
  onFailure: (listener: (err: Error) => void) => void
  /** Stops the worker at once (mid-evaluation). */
  terminate: () => void
}

/** Options of {@link createWorkerMiner}. */
export interface WorkerMinerInit {
  /** Starts one worker (spawnNodeMintWorker in Node, spawnBrowserMintWorker in a browser). */
  spawn: () => MintWorkerHandle
}

/**
 * A miner that runs each mint in a worker of its own, so that minting never blocks the node's event loop;
 * aborting terminates the worker at once.
 *
 * @example
 * ```ts
 * const miner = createWorkerMiner({ spawn: spawnNodeMintWorker })
 * const stamp = await miner.mint({ memberKey, week, signal, onProgress: (p) => { console.log(p.etaSeconds) } })
 * ```
 */
export function createWorkerMiner (init: WorkerMinerInit): StampMiner {
  return {
    mint: async (options) => {
      const { signal, onProgress } = options
      if (signal?.aborted === true) throw new AbortError('stamp minting was aborted')
      const worker = init.spawn()
      return new Promise<Stamp>((resolve, reject) => {
        let settled = false
        const settle = (outcome: () => void): void => {
          if (settled) return
          settled = true
          signal?.removeEventListener('abort', onAbort)
          worker.terminate()
          outcome()
        }
        const onAbort = (): void => { settle(() => { reject(new AbortError('stamp minting was aborted')) }) }
        signal?.addEventListener('abort', onAbort, { once: true })
        worker.onReply((reply) => {
          if (settled) return
          if (reply.type === 'progress') onProgress?.(reply.progress)
          else if (reply.type === 'stamp') settle(() => { resolve({ ...reply.stamp, memberKey: new Uint8Array(reply.stamp.memberKey) }) })
          else settle(() => { reject(reply.code === undefined ? new MembershipError('ERR_MINT_WORKER', reply.message) : new StampError(reply.code as StampErrorCode, reply.message)) })
        })
        worker.onFailure((err) => { settle(() => { reject(new MembershipError('ERR_MINT_WORKER', `the minting worker failed: ${err.message}`, { cause: err })) }) })
        worker.post({ memberKey: options.memberKey, week: options.week, bits: options.bits ?? STAMP_BITS, startNonce: options.startNonce ?? 0 })
      })
    }
  }
}
