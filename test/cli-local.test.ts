/**
 * Local attackers (issue 12, Low 13): another user squatting the port of a daemon that stopped must
 * get neither the token nor any text; a dead pid in api.json is refused; the control API bounds its
 * connections and request bodies; data dirs other users may enter are refused; the relay's data dir
 * is created 0700.
 */
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Server, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

interface ApiFile { version: number, pid: number, host: string, port: number, token: string }

interface Seen { method: string, url: string, authorization?: string, body: string }

/** A server squatting `port` that records every request; `answer` decides what it says. */
async function impostor (port: number, answer: 'wrong-proof' | 'silent' | 'not-found'): Promise<{ server: Server, seen: Seen[] }> {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { resolve() })
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

  beforeEach(async () => {
    sandbox = await Sandbox.create()
  })

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close))
    await sandbox?.cleanup()
  })

  /** A daemon killed without cleaning up: its api.json stays, naming its port and token. */
  async function staleDaemon (): Promise<{ dataDir: string, api: ApiFile, apiPath: string }> {
    const daemon = await sandbox.daemon('d')
    const apiPath = join(daemon.dataDir, 'api.json')
    const api = JSON.parse(await readFile(apiPath, 'utf8')) as ApiFile
    await daemon.proc.stop('SIGKILL')
    return { dataDir: daemon.dataDir, api, apiPath }
  }

  it('refuses an api.json whose pid is gone, without connecting to its port', async () => {
    const { dataDir, api } = await staleDaemon()
    const { server, seen } = await impostor(api.port, 'wrong-proof')
    servers.push(server)
    for (const args of [['status'], ['post', 'lobby', 'for my daemon only']]) {
      const result = await sandbox.run([...args, '--data-dir', dataDir])
      expect(result.code, args.join(' ')).toBe(3)
      expect(result.stderr).toBe(`murmur: no murmur daemon is running for ${dataDir} (${dataDir}/api.json names pid ${api.pid}, which is no running process of yours: the daemon did not stop cleanly); start one with \`murmur daemon\`\n`)
    }
    expect(seen).toEqual([])
  })

  it.each(['wrong-proof', 'not-found', 'silent'] as const)('an impostor on the port (%s) gets neither the token nor any text', async (answer) => {
    const { dataDir, api, apiPath } = await staleDaemon()
    // the pid now belongs to another live process (pid reuse): only the proof can tell
    await writeFile(apiPath, JSON.stringify({ ...api, pid: process.pid }), { mode: 0o600 })
    const { server, seen } = await impostor(api.port, answer)
    servers.push(server)
    const secret = 'meet at the north gate at nine'
    const commands = [
      ['post', 'lobby', secret], ['reply', '00'.repeat(32), secret], ['vote', '00'.repeat(32), 'up'],
      ['status'], ['feed', 'lobby'], ['watch', 'lobby']
    ]
    for (const args of answer === 'silent' ? commands.slice(0, 1) : commands) {
      const result = await sandbox.run([...args, '--data-dir', dataDir])
      expect(result.code, args.join(' ')).toBe(3)
      expect(result.stderr).toMatch(new RegExp(`^murmur: the program listening on 127\\.0\\.0\\.1:${api.port} could not prove that it is your murmur daemon .*nothing was sent to it`))
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

  it('a new daemon replaces the stale api.json of a squatted port instead of refusing to start', async () => {
    const { dataDir, api, apiPath } = await staleDaemon()
    await writeFile(apiPath, JSON.stringify({ ...api, pid: process.pid }), { mode: 0o600 })
    const { server } = await impostor(api.port, 'wrong-proof')
    servers.push(server)
    const daemon = await sandbox.daemon('d')
    expect(daemon.ready.api.port).not.toBe(api.port)
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
    const port = daemon.ready.api.port
    const sockets: Socket[] = []
    const closed = new Set<Socket>()
    const allClosed = new Promise<void>((resolve) => {
      for (let i = 0; i < 80; i++) {
        const socket = connect({ host: '127.0.0.1', port })
        socket.on('error', () => {})
        socket.on('close', () => {
          closed.add(socket)
          if (closed.size === 80) resolve()
        })
        sockets.push(socket)
      }
    })
    // past the cap (64), connections are closed at once; the idle ones go at the headers timeout (5 s)
    await expect.poll(() => closed.size, { timeout: 4_000 }).toBeGreaterThanOrEqual(16)
    await allClosed
    const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
    expect(status.code).toBe(0)
  })

  it('closes a connection that has not shown the token after its answer, so tokenless requests cannot hold the slots', async () => {
    const daemon = await sandbox.daemon('d')
    const port = daemon.ready.api.port
    const nonce = 'ab'.repeat(32)
    // 64 kept-alive connections, each asking for a proof (no token needed): each is closed once answered
    const sockets = Array.from({ length: 64 }, () => connect({ host: '127.0.0.1', port }))
    const closed = sockets.map(async (socket) => new Promise<string>((resolve) => {
      let answer = ''
      socket.on('error', () => {})
      socket.on('data', (chunk: Buffer) => { answer += chunk.toString() })
      socket.on('close', () => { resolve(answer) })
      socket.write(`GET /v1/proof?nonce=${nonce} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`)
    }))
    const answers = await Promise.all(closed)
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 200')).length).toBeGreaterThan(0)
    expect(answers.every((a) => a === '' || /connection: close/i.test(a))).toBe(true)
    const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
    expect(status.code).toBe(0)
  })

  it('refuses a request body larger than it reads, before reading it', async () => {
    const daemon = await sandbox.daemon('d')
    const api = JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile
    const headers = { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }
    // raw sockets: the daemon answers and closes while the client is still sending, which a fetch may
    // report as EPIPE instead of the answer
    const answer = async (head: string, body: string[]): Promise<string> => new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: api.port })
      let text = ''
      socket.on('error', () => {})
      socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
      socket.on('close', () => { resolve(text) })
      socket.write(`POST /v1/posts HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nAuthorization: Bearer ${api.token}\r\nContent-Type: application/json\r\n${head}\r\n`)
      for (const part of body) socket.write(part)
    })
    // the JSON body, whatever the transfer framing around it
    const bodyOf = (text: string): unknown => JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1))
    const big = JSON.stringify({ channel: '#lobby', body: 'x'.repeat(1_000_000) })
    const announced = await answer(`Content-Length: ${Buffer.byteLength(big)}\r\n`, [big])
    expect(announced).toMatch(/^HTTP\/1\.1 413 /)
    expect(bodyOf(announced)).toMatchObject({ error: { name: 'PayloadTooLargeError', code: 'ERR_PAYLOAD_TOO_LARGE' } })
    // a chunked body (no content-length) is cut off as it passes the limit
    const chunk = `400\r\n${'x'.repeat(1024)}\r\n`
    const chunked = await answer('Transfer-Encoding: chunked\r\n', [...Array<string>(64).fill(chunk), '0\r\n\r\n'])
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /)
    const ok = await fetch(`http://127.0.0.1:${api.port}/v1/status`, { headers })
    expect(ok.status).toBe(200)
  })
})
