/**
 * The metrics endpoint does not tell when this node's user posts through the process's figures (sixth
 * read of issue 12, L2): an own post's proof of work is mined on the main thread in 16 ms slices, so the
 * event loop's delay, the garbage collector's runs, the heap and the resident memory move while it
 * mines, and `murmur post` holds a control API connection for as long (an open descriptor and an
 * active handle more). A scrape during such work must read exactly as one before it.
 */
import { createServer, connect } from 'node:net'
import { defaultLogger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { createMetricsEndpoint } from '../src/daemon/metrics.js'
import type { Server, Socket } from 'node:net'

/** How long the main thread is kept busy, in 16 ms slices as the miner does, in ms. */
const BUSY_MS = 400

/** Keeps the main thread busy as proof of work does: slices of hashing-like work with garbage, yielding between them. */
async function mineLike (): Promise<void> {
  const end = Date.now() + BUSY_MS
  let keep = 0
  while (Date.now() < end) {
    const slice = Date.now() + 16
    while (Date.now() < slice) keep ^= new Uint8Array(64).fill(keep & 255)[0] ?? 0
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Opens a loopback TCP connection, as `murmur post` holds one to the daemon while it mines. */
async function openConnection (): Promise<{ server: Server, socket: Socket, close: () => Promise<void> }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const close = async (): Promise<void> => {
    socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
  return { server, socket, close }
}

describe('the metrics endpoint and the process\'s figures', () => {
  it('serves no event loop, GC, heap, memory, descriptor or handle figure (failed: nodejs_eventloop_lag_* and the rest were served)', async () => {
    const endpoint = createMetricsEndpoint({ host: '127.0.0.1', port: 0 })
    endpoint.metrics({ logger: defaultLogger() })
    const text = await endpoint.scrape()
    const names = [...new Set(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => /^\w+/.exec(line)?.[0]))]
    expect(names.sort()).toEqual(['nodejs_version_info', 'process_start_time_seconds'])
    expect(text).not.toMatch(/^(?:nodejs_eventloop|nodejs_gc|nodejs_heap|nodejs_external|nodejs_active|process_resident|process_heap|process_virtual|process_open_fds|process_cpu)/m)
  })

  it('reads the same during mining-like work and a held connection as before it', async () => {
    const endpoint = createMetricsEndpoint({ host: '127.0.0.1', port: 0 })
    endpoint.metrics({ logger: defaultLogger() })
    const before = await endpoint.scrape()
    const held = await openConnection()
    try {
      await mineLike()
      expect(await endpoint.scrape()).toBe(before)
    } finally {
      await held.close()
    }
  })
})
