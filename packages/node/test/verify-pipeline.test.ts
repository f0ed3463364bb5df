/**
 * Issue 14 §3 (E6): a worker that answered a check waited, idle, until the main thread's event loop took
 * the answer and sent the next job; with many nodes on one event loop (the network bench: 2,452 checks
 * in 8.8 s, 68 waiting on average, 248 ms from call to answer at p50, each check 0.25 ms of work) the pool
 * ran at the main thread's pace. Each worker now holds WORKER_PIPELINE envelope checks at once.
 */
import { Worker } from 'node:worker_threads'
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { WORKER_PIPELINE, createVerifyPool, nodeWorkerHandle } from '../src/verify/index.js'
import type { VerifyPool, VerifyWorkerHandle } from '../src/verify/index.js'

const OPTIONS = { topic: channelTopic('#pipeline'), powBits: { POST: 0, REPLY: 0, VOTE: 0 } }
const envelope = (await buildEnvelope({ channel: '#pipeline', body: 'pipelined', powBits: 0 })).bytes

let pools: VerifyPool[] = []
afterEach(async () => {
  await Promise.all(pools.map(async (p) => { await p.stop() }))
  pools = []
})

/** A pool of one real worker whose every 'run' message is counted, with the answers it has sent. */
function countedPool (): { pool: VerifyPool, sent: () => number, answered: () => number } {
  let sent = 0
  let answered = 0
  const spawn = (): VerifyWorkerHandle => {
    const handle = nodeWorkerHandle(new Worker(new URL('../src/verify/worker.ts', import.meta.url)))
    return {
      ...handle,
      post: (message, transfer) => { if (message.type === 'run') sent++; handle.post(message, transfer) },
      listen: (onMessage, onCrash) => { handle.listen((message) => { if (message.type === 'done') answered++; onMessage(message) }, onCrash) }
    }
  }
  const pool = createVerifyPool({ size: 1, spawn })
  pools.push(pool)
  return { pool, sent: () => sent, answered: () => answered }
}

describe('verification pool: a worker holds several envelope checks', () => {
  it('sends a worker WORKER_PIPELINE checks before its first answer, the rest as answers come', async () => {
    const { pool, sent, answered } = countedPool()
    expect((await pool.validate(envelope, OPTIONS)).ok).toBe(true)
    const before = sent()
    const checks = Array.from({ length: WORKER_PIPELINE + 3 }, async () => await pool.validate(envelope, OPTIONS))
    // synchronously, no answer can have come in: the worker holds WORKER_PIPELINE of them, the rest wait
    expect(answered()).toBe(1)
    expect(sent() - before).toBe(WORKER_PIPELINE)
    expect(pool.queued).toBe(3)
    expect((await Promise.all(checks)).every((result) => result.ok)).toBe(true)
    expect(sent() - before).toBe(WORKER_PIPELINE + 3)
  }, 60_000)
})
