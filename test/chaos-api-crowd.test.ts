/**
 * Chaos slice, bug B1 (issue 17): the control API's connection cap against a crowd of idle connections.
 * A newcomer at the cap used to evict the oldest connection without a request in progress, so a crowd
 * opening connections faster than the daemon read them reset the user's connection before its request
 * was read, every time. A connection within its grace is now kept, and the newcomer refused instead
 * (the client tries a refused GET again); a silent connection past its grace still makes room.
 */
import { createServer } from 'node:http'
import { createConnection } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { guardConnections } from '../packages/cli/dist/src/daemon/connections.js'
import type { Server } from 'node:http'
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
async function serve (freshGrace: number): Promise<{ path: string, drops: string[] }> {
  const drops: string[] = []
  server = createServer((req, res) => {
    guard.serving(req.socket, res, true)
    res.end('ok')
  })
  const guard = guardConnections(server, { maxConnections: CAP, freshGrace, onDrop: (reason) => { drops.push(reason) } })
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

describe('chaos: control API cap against a crowd of idle connections (B1)', () => {
  it("keeps the user's fresh connection when a crowd comes before its request is read", async () => {
    // a grace far longer than the test, so that a loaded machine cannot age the user's connection out
    const { path, drops } = await serve(60_000)
    const user = await idle(path)
    for (let i = 0; i < 3 * CAP; i++) await idle(path)
    expect(await ask(user)).toBe('200')
    // the crowd was refused past the cap, nobody evicted
    expect(drops.filter((d) => d === 'evicted')).toEqual([])
    expect(drops.filter((d) => d === 'refused').length).toBe(2 * CAP + 1)
  })

  it('lets a newcomer evict a silent connection past its grace', async () => {
    const { path, drops } = await serve(0)
    const crowd: Socket[] = []
    for (let i = 0; i < CAP; i++) crowd.push(await idle(path))
    const user = await idle(path)
    expect(await ask(user)).toBe('200')
    expect(drops).toEqual(['evicted'])
    // the oldest of the crowd made room
    await new Promise<void>((resolve) => { if (crowd[0]!.destroyed || crowd[0]!.closed) resolve(); else crowd[0]!.once('close', () => { resolve() }) })
    expect(crowd[0]!.destroyed).toBe(true)
  })
})
