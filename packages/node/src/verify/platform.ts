/**
 * How the verification pool starts a worker: worker_threads in Node.js, Web Workers in browsers, behind one
 * small handle. The platform is told apart at run time (`process.getBuiltinModule` exists only in Node.js),
 * so browser bundles never import a Node built-in.
 */
import type { FromWorker, ToWorker } from './messages.js'
import type { Worker as NodeWorker } from 'node:worker_threads'

/** One worker as the pool sees it, whatever the platform. */
export interface VerifyWorkerHandle {
  /** Sends a message; `transfer` moves buffers instead of copying them. */
  post(message: ToWorker, transfer?: ArrayBuffer[]): void
  /** Receives its messages, and once, the error it died of (it is gone then: the pool starts another). */
  listen(onMessage: (message: FromWorker) => void, onCrash: (err: Error) => void): void
  /** Whether the worker keeps the process alive (Node.js): only while it has work. */
  keepAlive(on: boolean): void
  /** Stops it; resolves once it is gone. */
  terminate(): Promise<void>
}

/** Starts one verification worker. */
export type SpawnVerifyWorker = () => VerifyWorkerHandle

/** Node.js (and runtimes compatible with it) has `process.getBuiltinModule`; browsers have no `process`. */
const inNode = typeof globalThis.process?.getBuiltinModule === 'function'

/**
 * The worker entry next to this module: `worker.js` once built, `worker.ts` when this module itself runs
 * from source (tests), where Node.js strips the types of the worker as it loads it.
 */
function nodeWorkerUrl (): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)
}

/**
 * Adapts a worker_threads Worker: an uncaught error, a message that cannot be read or an exit the pool did
 * not ask for is a crash, reported once.
 *
 * @example
 * ```ts
 * const handle = nodeWorkerHandle(new Worker(url))
 * ```
 */
export function nodeWorkerHandle (worker: NodeWorker): VerifyWorkerHandle {
  let gone = false
  return {
    post: (message, transfer) => { worker.postMessage(message, transfer) },
    listen: (onMessage, onCrash) => {
      const crash = (err: Error): void => {
        if (gone) return
        gone = true
        void worker.terminate()
        onCrash(err)
      }
      worker.on('message', onMessage)
      worker.on('error', crash)
      worker.on('messageerror', crash)
      worker.on('exit', (code) => { crash(new Error(`the worker exited with code ${code}`)) })
    },
    keepAlive: (on) => { if (on) worker.ref(); else worker.unref() },
    terminate: async () => {
      gone = true
      await worker.terminate()
    }
  }
}

/**
 * Adapts a browser Web Worker. A browser keeps a worker running after an uncaught error, but its state is
 * then unknown, so it is treated as a crash like in Node.js.
 *
 * @example
 * ```ts
 * const handle = webWorkerHandle(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }))
 * ```
 */
export function webWorkerHandle (worker: Worker): VerifyWorkerHandle {
  let gone = false
  return {
    post: (message, transfer) => { worker.postMessage(message, transfer ?? []) },
    listen: (onMessage, onCrash) => {
      const crash = (err: Error): void => {
        if (gone) return
        gone = true
        worker.terminate()
        onCrash(err)
      }
      worker.addEventListener('message', (event: MessageEvent<FromWorker>) => { onMessage(event.data) })
      worker.addEventListener('error', (event) => {
        event.preventDefault()
        crash(new Error(`the worker failed: ${event.message}`))
      })
      worker.addEventListener('messageerror', () => { crash(new Error('a message from the worker could not be read')) })
    },
    keepAlive: () => {},
    terminate: async () => {
      gone = true
      worker.terminate()
    }
  }
}

/**
 * Starts a worker of this platform. The browser form is written out literally
 * (`new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`) so that bundlers (Vite)
 * find the worker and bundle it with `@murmur/protocol`.
 *
 * @example
 * ```ts
 * const handle = spawnVerifyWorker()
 * ```
 */
export function spawnVerifyWorker (): VerifyWorkerHandle {
  if (inNode) {
    const { Worker } = process.getBuiltinModule('node:worker_threads')
    return nodeWorkerHandle(new Worker(nodeWorkerUrl(), { name: 'murmur-verify' }))
  }
  return webWorkerHandle(new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'murmur-verify' }))
}

/**
 * The cores this process may use: `os.availableParallelism()` in Node.js, `navigator.hardwareConcurrency`
 * in browsers, at least 1.
 *
 * @example
 * ```ts
 * availableCores() // 2 on a two-core machine
 * ```
 */
export function availableCores (): number {
  const cores = inNode ? process.getBuiltinModule('node:os').availableParallelism() : globalThis.navigator?.hardwareConcurrency
  return Math.max(1, cores ?? 1)
}
