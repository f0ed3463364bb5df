/**
 * The entry of a stamp-minting worker, for Node's worker_threads and a browser's module Worker alike: it
 * mints one stamp (protocol mintStamp), posting progress after every evaluation. Stopping it is
 * terminating it, mid-evaluation if need be; the last progress says where to resume.
 *
 * Self-contained on purpose (only @murmur/protocol, and node:worker_threads looked up at run time): Node
 * runs it from source under type stripping, and browser bundlers need not resolve a Node built-in.
 */
import { mintStamp } from '@murmur/protocol'
import type { MintReply, MintRequest } from './mint-messages.js'
import type { MessagePort } from 'node:worker_threads'

interface Endpoint {
  post: (reply: MintReply) => void
  onRequest: (handler: (request: MintRequest) => void) => void
}

async function endpoint (): Promise<Endpoint> {
  const scope = globalThis as unknown as {
    WorkerGlobalScope?: unknown
    postMessage: (message: unknown) => void
    addEventListener: (type: 'message', listener: (event: { data: MintRequest }) => void) => void
  }
  if (scope.WorkerGlobalScope !== undefined) {
    return { post: (reply) => { scope.postMessage(reply) }, onRequest: (handler) => { scope.addEventListener('message', (event) => { handler(event.data) }) } }
  }
  // a variable specifier, so that browser bundlers leave the Node built-in alone
  const threads = 'node:worker_threads'
  const { parentPort } = await import(threads) as { parentPort: MessagePort | null }
  if (parentPort === null) throw new Error('the mint worker must run in a worker thread')
  return { post: (reply) => { parentPort.postMessage(reply) }, onRequest: (handler) => { parentPort.once('message', handler) } }
}

const port = await endpoint()
port.onRequest((request) => {
  mintStamp({ ...request, onProgress: (progress) => { port.post({ type: 'progress', progress }) } })
    .then((stamp) => { port.post({ type: 'stamp', stamp }) })
    .catch((err: unknown) => { port.post({ type: 'error', message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code }) })
})
