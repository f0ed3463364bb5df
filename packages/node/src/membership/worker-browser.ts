/**
 * The browser minting worker: mint-worker in a module Worker. Bundlers (Vite, webpack) recognise the
 * `new Worker(new URL(…, import.meta.url))` form and bundle the worker with its imports.
 */
import type { MintReply } from './mint-messages.js'
import type { MintWorkerHandle } from './miner.js'

/**
 * Starts one minting Web Worker. A page must mint in a worker: hidden tabs throttle main-thread timers to
 * once a minute, which would stall a miner that yields after every evaluation.
 *
 * @example
 * ```ts
 * const miner = createWorkerMiner({ spawn: spawnBrowserMintWorker })
 * ```
 */
export function spawnBrowserMintWorker (): MintWorkerHandle {
  const worker = new Worker(new URL('./mint-worker.js', import.meta.url), { type: 'module' })
  return {
    post: (request) => { worker.postMessage(request) },
    onReply: (listener) => { worker.addEventListener('message', (event: MessageEvent<MintReply>) => { listener(event.data) }) },
    onFailure: (listener) => {
      worker.addEventListener('error', (event) => { listener(new Error(event.message)) })
      worker.addEventListener('messageerror', () => { listener(new Error('a message from the worker could not be read')) })
    },
    terminate: () => { worker.terminate() }
  }
}
