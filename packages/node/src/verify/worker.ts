/**
 * The verification worker: runs the CPU-heavy functions of `@murmur/protocol` for the pool (pool.ts).
 * One file for Node.js worker_threads and browser Web Workers. It imports nothing of this package at run
 * time (types only), so that it also runs type-stripped straight from `src/` in tests.
 */
import { minePow, mintStamp, ready, ringVerify, validateEnvelope, verifyStamp } from '@murmur/protocol'
import type { FromWorker, ToWorker, VerifyJob, WorkerError } from './messages.js'

/** Where this worker's messages come from and go to: Node's parentPort, or the Web Worker's global scope. */
interface ParentEndpoint {
  post(message: FromWorker): void
  listen(onMessage: (message: ToWorker) => void): void
}

function parentEndpoint (): ParentEndpoint {
  const port = globalThis.process?.getBuiltinModule?.('node:worker_threads').parentPort
  if (port != null) {
    return { post: (message) => { port.postMessage(message) }, listen: (on) => { port.on('message', on) } }
  }
  const scope = globalThis as unknown as { postMessage(message: unknown): void, addEventListener(type: 'message', on: (event: MessageEvent<ToWorker>) => void): void }
  return { post: (message) => { scope.postMessage(message) }, listen: (on) => { scope.addEventListener('message', (event) => { on(event.data) }) } }
}

function describeError (err: unknown): WorkerError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const code = (err as { code?: unknown }).code
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) }
}

const parent = parentEndpoint()
/** Mining jobs in progress here, by id: the pool cancels one through its controller. */
const mining = new Map<number, AbortController>()

async function run (id: number, job: VerifyJob, progress: boolean): Promise<unknown> {
  const onProgress = progress ? (value: unknown) => { parent.post({ type: 'progress', id, progress: value }) } : undefined
  switch (job.kind) {
    case 'validate':
      return validateEnvelope(job.bytes, job.options)
    case 'ringVerify':
      return ringVerify(job.input)
    case 'verifyStamp':
      return verifyStamp(job.stamp, job.options)
    case 'minePow':
    case 'mintStamp': {
      const controller = new AbortController()
      mining.set(id, controller)
      try {
        if (job.kind === 'minePow') return await minePow(job.digest, job.bits, { signal: controller.signal, onProgress, sliceMs: job.sliceMs })
        return await mintStamp({ memberKey: job.memberKey, week: job.week, bits: job.bits, startNonce: job.startNonce, signal: controller.signal, onProgress })
      } finally {
        mining.delete(id)
      }
    }
  }
}

parent.listen((message) => {
  if (message.type === 'cancel') {
    mining.get(message.id)?.abort()
    return
  }
  const { id, job, progress } = message
  run(id, job, progress).then(
    (result) => { parent.post({ type: 'done', id, result }) },
    (err: unknown) => { parent.post({ type: 'failed', id, error: describeError(err) }) }
  )
})
// libsodium compiles its WebAssembly asynchronously, and the protocol's checks throw until it has: the
// worker says it is ready only then. A failure here is a worker that dies before it is ready, which the
// pool counts towards giving up (MAX_START_FAILURES).
await ready()
parent.post({ type: 'ready' })
