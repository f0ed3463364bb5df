/**
 * Local attackers (issue 12, Low 13): the control API is a Unix-domain socket other users cannot
 * connect to, and a local process holding many slow connections cannot keep the token holder out; a
 * program squatting the address of a daemon that stopped gets neither the token nor any text; a dead
 * pid in api.json is refused; the control API bounds its connections and request bodies; data dirs
 * other users may enter are refused; the relay's data dir is created 0700.
 */
import { spawn } from 'node:child_process'
import { createServer, request } from 'node:http'
import { connect } from 'node:net'
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { ChildProcess } from 'node:child_process'
import type { Server, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

interface ApiFile { version: number, pid: number, socket?: string, host?: string, port?: number, token: string }

/** Where a net.connect reaches the API of an api.json (its socket; host and port on Windows, and before issue 12). */
const targetOf = (api: ApiFile): { path: string } | { host: string, port: number } =>
  api.socket !== undefined ? { path: api.socket } : { host: api.host ?? '127.0.0.1', port: api.port ?? 0 }

/**
 * A slow-loris attacker, run as its own process: holds `count` connections to the API, each sending
 * the start of a request one byte a second and reconnecting 250 ms after the daemon drops it. Prints
 * `connected` or `refused <code>` per attempt; a refused slot gives up (another user: EACCES).
 */
const SLOW_LORIS = `
const { connect } = require('node:net')
const target = JSON.parse(process.argv[1])
const head = 'GET /v1/status HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n'
const open = () => {
  const socket = connect(target)
  let timer
  let refused = false
  socket.on('connect', () => {
    console.log('connected')
    let i = 0
    timer = setInterval(() => { socket.write(head[i++ % head.length]) }, 1000)
  })
  socket.on('error', (err) => { if (err.code === 'EACCES' || err.code === 'ECONNREFUSED') { refused = true; console.log('refused ' + err.code) } })
  socket.on('close', () => { clearInterval(timer); if (!refused) setTimeout(open, 250) })
}
for (let i = 0; i < Number(process.argv[2]); i++) open()
`

/** Starts the slow-loris attacker (`uid`: as that user) and resolves once each of its `count` slots connected or was refused. */
async function slowLoris (target: object, count: number, uid?: number): Promise<{ child: ChildProcess, connected: number, refused: string[] }> {
  const child = spawn(process.execPath, ['-e', SLOW_LORIS, JSON.stringify(target), String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(uid === undefined ? {} : { uid, gid: uid })
  })
  const result = { child, connected: 0, refused: [] as string[] }
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => { reject(new Error(`the attacker exited early (${code})`)) })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'connected') result.connected++
      else result.refused.push(line)
      if (result.connected + result.refused.length === count) resolve()
    })
  })
  return result
}

interface Seen { method: string, url: string, authorization?: string, body: string }

/** A server squatting the socket of a daemon that stopped, recording every request; `answer` decides what it says. */
async function impostor (path: string, answer: 'wrong-proof' | 'silent' | 'not-found'): Promise<{ server: Server, seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') })
      if (answer === 'silent') return
      res.writeHead(answer === 'wrong-proof' ? 200 : 404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ proof: 'ab'.repeat(32), peers: 0 }))
    })
  })
  await rm(path, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => { resolve() })
  })
  return { server, seen }
}

async function close (server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('murmur against a local attacker', () => {
  let sandbox: Sandbox
  const servers: Server[] = []
  const attackers: ChildProcess[] = []

  beforeEach(async () => {
    sandbox = await Sandbox.create()
  })

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close))
    await Promise.all(attackers.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }))
    await sandbox?.cleanup()
  })

  /** A daemon killed without cleaning up: its api.json stays, naming its socket and token. */
  async function staleDaemon (): Promise<{ dataDir: string, api: ApiFile & { socket: string }, apiPath: string }> {
    const daemon = await sandbox.daemon('d')
    const apiPath = join(daemon.dataDir, 'api.json')
    const api = JSON.parse(await readFile(apiPath, 'utf8')) as ApiFile & { socket: string }
    await daemon.proc.stop('SIGKILL')
    return { dataDir: daemon.dataDir, api, apiPath }
  }

  it('refuses an api.json whose pid is gone, without connecting to its socket', async () => {
    const { dataDir, api } = await staleDaemon()
    const { server, seen } = await impostor(api.socket, 'wrong-proof')
    servers.push(server)
    for (const args of [['status'], ['post', 'lobby', 'for my daemon only']]) {
      const result = await sandbox.run([...args, '--data-dir', dataDir])
      expect(result.code, args.join(' ')).toBe(3)
      expect(result.stderr).toBe(`murmur: no murmur daemon is running for ${dataDir} (${dataDir}/api.json names pid ${api.pid}, which is no running process of yours: the daemon did not stop cleanly); start one with \`murmur daemon --data-dir ${dataDir}\`\n`)
    }
    expect(seen).toEqual([])
  })

  it.each(['wrong-proof', 'not-found', 'silent'] as const)('an impostor on the socket (%s) gets neither the token nor any text', async (answer) => {
    const { dataDir, api, apiPath } = await staleDaemon()
    // the pid now belongs to another live process (pid reuse): only the proof can tell
    await writeFile(apiPath, JSON.stringify({ ...api, pid: process.pid }), { mode: 0o600 })
    const { server, seen } = await impostor(api.socket, answer)
    servers.push(server)
    const secret = 'meet at the north gate at nine'
    const commands = [
      ['post', 'lobby', secret], ['reply', '00'.repeat(32), secret], ['vote', '00'.repeat(32), 'up'],
      ['status'], ['feed', 'lobby'], ['watch', 'lobby']
    ]
    for (const args of answer === 'silent' ? commands.slice(0, 1) : commands) {
      const result = await sandbox.run([...args, '--data-dir', dataDir])
      expect(result.code, args.join(' ')).toBe(3)
      expect(result.stderr).toMatch(/^murmur: the program listening on (\S+) could not prove that it is your murmur daemon .*nothing was sent to it/)
      expect(result.stderr).toContain(`listening on ${api.socket} could not prove`)
    }
    expect(seen.length).toBeGreaterThan(0)
    for (const request of seen) {
      expect(request.method).toBe('GET')
      expect(request.url).toMatch(/^\/v1\/proof\?nonce=[0-9a-f]{64}$/)
      expect(request.authorization).toBeUndefined()
      expect(`${request.url}${request.body}`).not.toContain(api.token)
      expect(request.body).toBe('')
    }
  })

  it('a new daemon replaces the stale api.json and socket of a squatter instead of refusing to start', async () => {
    const { dataDir, api, apiPath } = await staleDaemon()
    await writeFile(apiPath, JSON.stringify({ ...api, pid: process.pid }), { mode: 0o600 })
    const { server, seen } = await impostor(api.socket, 'wrong-proof')
    servers.push(server)
    const daemon = await sandbox.daemon('d')
    expect(daemon.ready.api.socket).toBe(api.socket)
    expect(seen.every((request) => request.authorization === undefined)).toBe(true)
    const status = await sandbox.run(['status', '--json', '--data-dir', dataDir])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ peerId: daemon.ready.peerId })
  })

  it('refuses a data dir with group or other permission bits, saying the chmod to run', async () => {
    const daemon = await sandbox.daemon('d')
    const dataDir = daemon.dataDir
    await chmod(dataDir, 0o750)
    const status = await sandbox.run(['status', '--data-dir', dataDir])
    expect(status.code).toBe(1)
    expect(status.stderr).toBe(`murmur: the data dir ${dataDir} has mode 0750: other users could read or replace your author key and the control API token; run \`chmod 700 ${dataDir}\`\n`)
    await daemon.proc.stop('SIGTERM')

    await chmod(dataDir, 0o705)
    const second = await sandbox.run(['daemon', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
    expect(second.code).toBe(1)
    expect(second.stderr).toBe(`murmur: the data dir ${dataDir} has mode 0705: other users could read or replace your author key and the control API token; run \`chmod 700 ${dataDir}\`\n`)

    const init = await sandbox.run(['init', '--data-dir', dataDir])
    expect(init.code).toBe(1)
    expect(init.stderr).toContain(`has mode 0705: other users could read or replace your author key and the control API token; run \`chmod 700 ${dataDir}\``)

    const relayDir = sandbox.dir('relay with space')
    await mkdir(relayDir, { mode: 0o755 })
    await chmod(relayDir, 0o755)
    const relay = await sandbox.run(['relay', '--data-dir', relayDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
    expect(relay.code).toBe(1)
    expect(relay.stderr).toContain(`has mode 0755: other users could read or replace your author key and the control API token; run \`chmod 700 '${relayDir}'\``)
  })

  it('murmur relay creates its data dir 0700', async () => {
    const dataDir = sandbox.dir('new/relay')
    const proc = sandbox.spawn(['relay', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--json'])
    await proc.waitForLine((line) => line.includes('"event":"ready"'))
    expect(await mode(dataDir)).toBe(0o700)
    expect(await mode(sandbox.dir('new'))).toBe(0o700)
    expect(await proc.stop('SIGTERM')).toBe(0)
  })

  it('caps the control API\'s connections and drops idle ones; honest requests get through again', async () => {
    const daemon = await sandbox.daemon('d')
    const target = targetOf(JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile)
    const sockets: Socket[] = []
    const closed = new Set<Socket>()
    const allClosed = new Promise<void>((resolve) => {
      for (let i = 0; i < 80; i++) {
        const socket = connect(target)
        socket.on('error', () => {})
        socket.on('close', () => {
          closed.add(socket)
          if (closed.size === 80) resolve()
        })
        sockets.push(socket)
      }
    })
    // silent connections are held apart for their first 100 ms (FRESH_CONNECTION_GRACE), then count against
    // the cap (64): the oldest are evicted as newcomers arrive (connections.test, chaos-api-crowd), and
    // every one of these is closed by the headers timeout (5 s); the user's request then gets through
    await allClosed
    const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
    expect(status.code).toBe(0)
  })

  it('closes a connection that has not shown the token after its answer, so tokenless requests cannot hold the slots', async () => {
    const daemon = await sandbox.daemon('d')
    const target = targetOf(JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile)
    const nonce = 'ab'.repeat(32)
    // 64 kept-alive connections, each asking for a proof (no token needed): each is closed once answered
    const sockets = Array.from({ length: 64 }, () => connect(target))
    const closed = sockets.map(async (socket) => new Promise<string>((resolve) => {
      let answer = ''
      socket.on('error', () => {})
      socket.on('data', (chunk: Buffer) => { answer += chunk.toString() })
      socket.on('close', () => { resolve(answer) })
      socket.write(`GET /v1/proof?nonce=${nonce} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`)
    }))
    const answers = await Promise.all(closed)
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 200')).length).toBeGreaterThan(0)
    expect(answers.every((a) => a === '' || /connection: close/i.test(a))).toBe(true)
    const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
    expect(status.code).toBe(0)
  })

  it('refuses a request body larger than it keeps, and a client still sending it reads the 413', async () => {
    const daemon = await sandbox.daemon('d')
    const api = JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile
    // raw sockets: the daemon answers and closes while the client is still sending, which a fetch may
    // report as EPIPE instead of the answer
    const answer = async (head: string, body: string[]): Promise<string> => new Promise((resolve) => {
      const socket = connect(targetOf(api))
      let text = ''
      socket.on('error', () => {})
      socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
      socket.on('close', () => { resolve(text) })
      socket.write(`POST /v1/posts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${api.token}\r\nContent-Type: application/json\r\n${head}\r\n`)
      for (const part of body) socket.write(part)
    })
    // the JSON body, whatever the transfer framing around it
    const bodyOf = (text: string): unknown => JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1))
    const big = JSON.stringify({ channel: '#lobby', body: 'x'.repeat(1_000_000) })
    // the daemon answered and closed while the client still wrote: a write error could end the client's
    // socket before it read the answer (seen once in CI); 20 tries make that race show
    for (let i = 0; i < 20; i++) {
      const announced = await answer(`Content-Length: ${Buffer.byteLength(big)}\r\n`, [big])
      expect(announced).toMatch(/^HTTP\/1\.1 413 /)
      expect(bodyOf(announced)).toMatchObject({ error: { name: 'PayloadTooLargeError', code: 'ERR_PAYLOAD_TOO_LARGE' } })
    }
    // a chunked body (no content-length) is cut off as it passes the limit
    const chunk = `400\r\n${'x'.repeat(1024)}\r\n`
    const chunked = await answer('Transfer-Encoding: chunked\r\n', [...Array<string>(64).fill(chunk), '0\r\n\r\n'])
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /)
    const ok = await new Promise<number>((resolve, reject) => {
      request({ socketPath: api.socket, path: '/v1/status', headers: { authorization: `Bearer ${api.token}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject).end()
    })
    expect(ok).toBe(200)
  })

  it('serves `murmur status` while a local process holds 200 slow connections to the API', async () => {
    const daemon = await sandbox.daemon('d')
    const api = JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile
    // the same user here (any user, before the socket): past the cap, the oldest idle connection goes
    const attack = await slowLoris(targetOf(api), 200)
    attackers.push(attack.child)
    expect(attack.connected).toBe(200)
    for (let i = 0; i < 3; i++) {
      const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
      expect(status.stderr).toBe('')
      expect(status.code).toBe(0)
    }
  })

  it.runIf(process.getuid?.() === 0)('another user cannot connect to the API at all (run as root: the attacker is nobody)', async () => {
    const daemon = await sandbox.daemon('d')
    const api = JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile
    const attack = await slowLoris(targetOf(api), 200, 65534)
    attackers.push(attack.child)
    expect(attack.connected).toBe(0)
    expect(new Set(attack.refused)).toEqual(new Set(['refused EACCES']))
    const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
    expect(status.code).toBe(0)
  })
})
