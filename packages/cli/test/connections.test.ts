/**
 * The control API's connection cap (issue 12, Low 13): at the cap a new connection evicts the oldest
 * one without a request in progress, then the oldest serving only requests without the token, so that
 * slow, idle or token-less connections cannot keep the token holder out (S7H bug B1); connections
 * serving a request with the token are never evicted. Plain node:http on loopback TCP, as on Windows.
 */
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { guardConnections } from '../src/daemon/connections.js'
import type { Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

const TOKEN = 't0ken'

interface Client { socket: Socket, closed: Promise<void>, isClosed: () => boolean, data: () => string }

describe('control API connection guard', () => {
  let server: Server
  const clients: Socket[] = []
  const held: ServerResponse[] = []

  afterEach(async () => {
    for (const socket of clients.splice(0)) socket.destroy()
    for (const res of held.splice(0)) res.end()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  /** A server capped at `max` whose `/hold` requests stay in progress until the test ends. */
  async function start (max: number): Promise<{ port: number, drops: string[] }> {
    const drops: string[] = []
    server = createServer((req, res) => {
      guard.serving(req.socket, res, req.headers.authorization === `Bearer ${TOKEN}`)
      if (req.url === '/hold') {
        res.writeHead(200)
        res.write('holding\n')
        held.push(res)
      } else {
        res.end('ok\n')
      }
    })
    // no grace: these cases are about eviction itself (the grace for a fresh connection is chaos-api-crowd's)
    const guard = guardConnections(server, { maxConnections: max, freshGrace: 0, onDrop: (reason) => { drops.push(reason) } })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    return { port: typeof address === 'object' && address !== null ? address.port : 0, drops }
  }

  /** A raw connection, connected (and, with `request`, its request sent, with the token unless `token` is false, and the answer's start read). */
  async function client (port: number, request?: string, token = true): Promise<Client> {
    const socket = connect({ host: '127.0.0.1', port })
    clients.push(socket)
    let closed = false
    let data = ''
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => { data += chunk.toString() })
    const done = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve() }))
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    if (request !== undefined) {
      socket.write(`GET ${request} HTTP/1.1\r\nHost: x\r\n${token ? `Authorization: Bearer ${TOKEN}\r\n` : ''}\r\n`)
      await new Promise<void>((resolve) => { socket.once('data', () => { resolve() }) })
    }
    return { socket, closed: done, isClosed: () => closed, data: () => data }
  }

  it('evicts the oldest idle connection, not the newest, when a new one comes at the cap', async () => {
    const { port, drops } = await start(4)
    const idle: Client[] = []
    for (let i = 0; i < 4; i++) idle.push(await client(port))
    // a slow client: half a request line
    idle[1]?.socket.write('GET /stat')
    const honest = await client(port, '/ok')
    expect(honest.data()).toMatch(/^HTTP\/1\.1 200 /)
    await idle[0]?.closed
    expect(idle.map((c) => c.isClosed())).toEqual([true, false, false, false])
    expect(drops).toEqual(['evicted'])
  })

  it('never evicts a connection serving a request; refuses a new one only when all are serving', async () => {
    const { port, drops } = await start(3)
    const streams = [await client(port, '/hold'), await client(port, '/hold')]
    const idle = await client(port)
    // at the cap: the idle one goes, the streams stay
    const next = await client(port, '/hold')
    await idle.closed
    expect(streams.map((c) => c.isClosed())).toEqual([false, false])
    // now all three serve a request: a fourth connection is refused
    const refused = await client(port)
    await refused.closed
    expect([...streams, next].map((c) => c.isClosed())).toEqual([false, false, false])
    expect(drops).toEqual(['evicted', 'refused'])
  })

  it('evicts the oldest connection serving a request without the token before refusing one', async () => {
    const { port, drops } = await start(3)
    const crowd = [await client(port, '/hold', false), await client(port, '/hold', false)]
    const mine = await client(port, '/hold')
    // at the cap, nothing idle: the oldest token-less request goes, the token holder's stays
    const next = await client(port, '/hold')
    await crowd[0]?.closed
    expect([crowd[1]?.isClosed(), mine.isClosed()]).toEqual([false, false])
    // and the token holder is served while a crowd without the token holds every other slot
    const honest = await client(port, '/ok')
    expect(honest.data()).toMatch(/^HTTP\/1\.1 200 /)
    await crowd[1]?.closed
    expect([mine, next].map((c) => c.isClosed())).toEqual([false, false])
    expect(drops).toEqual(['evicted', 'evicted'])
  })

  it('keeps serving the token holder while 200 slow connections come and go', async () => {
    const { port } = await start(16)
    const attackers = await Promise.all(Array.from({ length: 200 }, async () => client(port).catch(() => undefined)))
    for (const a of attackers) a?.socket.write('G')
    for (let i = 0; i < 5; i++) {
      const honest = await client(port, '/ok')
      expect(honest.data()).toMatch(/^HTTP\/1\.1 200 /)
    }
  })
})
