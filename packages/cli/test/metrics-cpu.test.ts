/**
 * The metrics endpoint does not tell when this node's user posts through its CPU time (issue 12, Low
 * 13): an own post is 1–4 s of proof of work on a worker thread, a relayed one milliseconds, so a
 * scraper (or another user of the machine) that sees the process's CPU seconds sees every own post.
 */
import { Worker } from 'node:worker_threads'
import { defaultLogger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { createMetricsEndpoint } from '../src/daemon/metrics.js'

/** CPU time burnt, as mining an own post burns it: on a worker thread, measured in CPU (not wall-clock) time. */
const BURN_MS = 600

/** Burns BURN_MS of the process's user CPU time on a worker thread. */
async function burnOnWorker (): Promise<void> {
  const worker = new Worker(`
    const start = process.cpuUsage().user
    let x = 0
    while (process.cpuUsage().user - start < ${BURN_MS * 1000}) { for (let i = 0; i < 1e5; i++) x += i }
    require('node:worker_threads').parentPort.postMessage(x)
  `, { eval: true })
  await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
  await worker.terminate()
}

/** The series of a scrape (name and labels) with their values. */
function series (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)))
  }
  return out
}

describe('the metrics endpoint and CPU time', () => {
  it('serves no CPU time, and no figure in seconds moves with a burst of work like an own post\'s mining', async () => {
    const endpoint = createMetricsEndpoint({ host: '127.0.0.1', port: 0 })
    endpoint.metrics({ logger: defaultLogger() })
    const before = await endpoint.scrape()
    expect(before).toMatch(/^process_start_time_seconds /m) // what no work moves is still served
    await burnOnWorker()
    const after = series(await endpoint.scrape())
    expect([...after.keys()].filter((name) => /cpu/i.test(name))).toEqual([])
    const was = series(before)
    // the cumulative figures in seconds (counters and histogram sums): what adds up a burst of work
    const movedBySeconds = [...after].filter(([name, value]) => /^\w*seconds\w*_(?:total|sum)\b/.test(name) &&
      value - (was.get(name) ?? 0) >= BURN_MS / 2000)
    expect(movedBySeconds).toEqual([])
  })
})
