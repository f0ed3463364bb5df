/**
 * Chaos slice, bug B1 (issue 17): the control API's connection cap against a crowd of connections.
 * The daemon accepts everything the kernel queued before it reads any request, so a crowd reconnecting
 * fast enough puts a batch of connections in front of the user's before one is read. Counted against the
 * cap, the batch evicted the user's connection unread (first bug), then, once a fresh connection was kept,
 * got it refused (the last 2 % of `api_abuse_normal_served`). Fresh connections are now held apart from
 * the cap, up to a bound of their own (past it the oldest fresh one makes room), and judged once they had
 * their chance to send a request; a silent connection past its grace still makes room. The user's client tries a refused request again: a GET
 * always, a POST only when the daemon cannot have read it (no double post).
 */
import { createServer } from 'node:http'
import { createConnection } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ControlClient } from '../packages/cli/dist/src/client.js'
import { guardConnections } from '../packages/cli/dist/src/daemon/connections.js'
import { tokenProof } from '../packages/cli/dist/src/daemon/api-file.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

const CAP = 8

let dir: string
let server: Server
let sockets: Socket[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'murmur-crowd-'))
  sockets = []
})

afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  server.closeAllConnections()
  rmSync(dir, { recursive: true, force: true })
})

/** A server answering 200 to every request behind the guard, listening on a socket in `dir`. */
async function serve (freshGrace: number, maxFresh?: number): Promise<{ path: string, drops: string[] }> {
  const drops: string[] = []
  server = createServer((req, res) => {
    guard.serving(req.socket, res, true)
    res.end('ok')
  })
  const guard = guardConnections(server, { maxConnections: CAP, freshGrace, ...(maxFresh === undefined ? {} : { maxFresh }), onDrop: (reason) => { drops.push(reason) } })
  const path = join(dir, 'api.sock')
  await new Promise<void>((resolve) => { server.listen(path, resolve) })
  return { path, drops }
}

/** A connection that sends nothing, once the server accepted it (its 'connection' event ran). */
async function idle (path: string): Promise<Socket> {
  const accepted = new Promise<void>((resolve) => { server.once('connection', () => { resolve() }) })
  const socket = createConnection({ path })
  socket.on('error', () => {})
  sockets.push(socket)
  await accepted
  return socket
}

/** Sends one request on a connection already open; its status, or the socket error's code. */
async function ask (socket: Socket): Promise<string> {
  return await new Promise((resolve) => {
    let text = ''
    socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
    socket.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
    socket.once('close', () => { resolve(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 'closed') })
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  })
}

/** Resolves once the socket closed (at once when it already has). */
async function closed (socket: Socket): Promise<void> {
  await new Promise<void>((resolve) => { if (socket.destroyed || socket.closed) resolve(); else socket.once('close', () => { resolve() }) })
}

describe('chaos: control API cap against a crowd of connections (B1)', () => {
  // a grace far longer than each test, so that a loaded machine cannot age a connection out
  it("keeps the user's fresh connection when a crowd comes before its request is read", async () => {
    const { path, drops } = await serve(60_000)
    const user = await idle(path)
    for (let i = 0; i < 3 * CAP; i++) await idle(path)
    expect(await ask(user)).toBe('200')
    expect(drops).toEqual([])
  })

  it("reads the user's connection that comes after a crowd three times the cap, none of it read yet", async () => {
    // the batch the daemon accepts before reading any of it: the user's connection is at its end
    const { path, drops } = await serve(60_000)
    for (let i = 0; i < 3 * CAP; i++) await idle(path)
    const user = await idle(path)
    expect(await ask(user)).toBe('200')
    expect(drops).toEqual([])
  })

  it('holds at most maxFresh fresh connections: past them the oldest fresh one makes room', async () => {
    const { path, drops } = await serve(60_000, 2 * CAP)
    const crowd: Socket[] = []
    for (let i = 0; i < 2 * CAP; i++) crowd.push(await idle(path))
    const user = await idle(path)
    expect(await ask(user)).toBe('200')
    expect(drops).toEqual(['evicted'])
    await closed(crowd[0]!)
    expect(crowd[0]!.destroyed).toBe(true)
    expect(await ask(crowd[1]!)).toBe('200')
  })

  it('lets a newcomer evict a silent connection past its grace', async () => {
    const { path, drops } = await serve(0)
    const crowd: Socket[] = []
    for (let i = 0; i < CAP; i++) crowd.push(await idle(path))
    const user = await idle(path)
    expect(await ask(user)).toBe('200')
    expect(drops).toEqual(['evicted'])
    // the oldest of the crowd made room
    await closed(crowd[0]!)
    expect(crowd[0]!.destroyed).toBe(true)
  })
})

describe("chaos: the user's client against a refusing daemon (B1)", () => {
  const TOKEN = 'crowd-test-token'

  /**
   * A stand-in daemon on a socket in `dir`: it proves the token, and answers a POST /v1/posts with a
   * result event, except that connections whose number (1 = first) `refuse` names are destroyed as
   * soon as they are accepted (unread, as the cap refuses), and that after reading a POST whole it
   * closes the connection unanswered when `hangUp` says so. Counts the POSTs it read.
   */
  async function daemon (refuse: Set<number>, hangUp: boolean): Promise<{ client: ControlClient, posts: () => number }> {
    let connections = 0
    let posts = 0
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (url.pathname === '/v1/proof') {
        res.end(JSON.stringify({ proof: tokenProof(TOKEN, url.searchParams.get('nonce') ?? '') }))
        return
      }
      req.resume()
      req.on('end', () => {
        posts++
        if (hangUp) {
          req.socket.destroy()
          return
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(`event: result\ndata: ${JSON.stringify({ id: 'ab'.repeat(32) })}\n\n`)
      })
    })
    server.on('connection', (socket: Socket) => {
      connections++
      if (refuse.has(connections)) socket.destroy()
    })
    const path = join(dir, 'api.sock')
    await new Promise<void>((resolve) => { server.listen(path, resolve) })
    return { client: new ControlClient({ socket: path, token: TOKEN }), posts: () => posts }
  }

  it('sends a POST again when the daemon refused it unread, and it is made once', async () => {
    // connection 1: the proof; 2 and 3: the post, refused at accept; 4: the post, answered
    const { client, posts } = await daemon(new Set([2, 3]), false)
    const result = await client.post({ channel: '#lobby', body: 'hello' })
    expect(result.id).toBe('ab'.repeat(32))
    expect(posts()).toBe(1)
  })

  it('never sends a POST again that the daemon read before the connection closed', async () => {
    const { client, posts } = await daemon(new Set(), true)
    await expect(client.post({ channel: '#lobby', body: 'hello' })).rejects.toMatchObject({ code: 'ERR_API_BUSY' })
    expect(posts()).toBe(1)
  })
})
