/**
 * The Node.js minting worker: mint-worker in a worker_threads Worker.
 */
import { Worker } from 'node:worker_threads'
import type { MintWorkerHandle } from './miner.js'

/** The worker entry next to this module: its source under type stripping (tests), else the built one. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './mint-worker.ts' : './mint-worker.js', import.meta.url)

/**
 * Starts one minting worker thread. It does not keep the process alive: a node that stops aborts its
 * mint (the nonce reached is saved by the minting service).
 *
 * @example
 * ```ts
 * const miner = createWorkerMiner({ spawn: spawnNodeMintWorker })
 * ```
 */
export function spawnNodeMintWorker (): MintWorkerHandle {
  const worker = new Worker(WORKER_URL)
  worker.unref()
  return {
    post: (request) => { worker.postMessage(request) },
    onReply: (listener) => { worker.on('message', listener) },
    onFailure: (listener) => {
      worker.on('error', listener)
      worker.on('exit', (code) => { listener(new Error(`the worker exited with code ${code}`)) })
    },
    terminate: () => { void worker.terminate() }
  }
}
