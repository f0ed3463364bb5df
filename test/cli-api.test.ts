/**
 * The daemon's local control API: a 0600 Unix-domain socket in the data dir and no TCP port, a bearer
 * token on every request, 0600 files, and a clean shutdown that loses nothing.
 */
import { request } from 'node:http'
import { chmod, readdir, readFile, readlink, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { readSealedFile } from '@murmur/node/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

interface ApiFile { version: number, pid: number, socket: string, token: string }

/** One HTTP request to the API on its socket with full control over the headers. */
async function call (socket: string, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number, json: unknown, headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, json: text === '' ? undefined : JSON.parse(text), headers: res.headers })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('murmur control API', () => {
  let sandbox: Sandbox
  let daemon: Daemon
  let api: ApiFile

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    daemon = await sandbox.daemon('d')
    api = JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('keeps the token and the identity in 0600 files in a 0700 data dir', async () => {
    expect(api).toMatchObject({ version: 2, socket: join(daemon.dataDir, 'api.sock'), pid: daemon.proc.child.pid })
    expect(daemon.ready.api.socket).toBe(api.socket)
    expect(api.token.length).toBeGreaterThanOrEqual(32)
    expect(await mode(join(daemon.dataDir, 'api.json'))).toBe(0o600)
    expect((await stat(api.socket)).isSocket()).toBe(true)
    expect(await mode(api.socket)).toBe(0o600)
    expect(await mode(join(daemon.dataDir, 'identity.json'))).toBe(0o600)
    expect(await mode(daemon.dataDir)).toBe(0o700)
    // the token is never printed
    expect([...daemon.proc.stdout, ...daemon.proc.stderr].join('\n')).not.toContain(api.token)
  })

  it('refuses requests without the right bearer token', async () => {
    const host = 'localhost'
    const none = await call(api.socket, '/v1/status', { host })
    expect(none.status).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer realm="murmur"')
    expect(none.json).toMatchObject({ error: { code: 'ERR_UNAUTHORIZED' } })
    const wrong = await call(api.socket, '/v1/status', { host, authorization: `Bearer ${api.token.slice(1)}x` })
    expect(wrong.status).toBe(401)
    const basic = await call(api.socket, '/v1/status', { host, authorization: `Basic ${api.token}` })
    expect(basic.status).toBe(401)
    const post = await call(api.socket, '/v1/posts', { host, 'content-type': 'application/json' }, 'POST', JSON.stringify({ channel: '#lobby', body: 'x' }))
    expect(post.status).toBe(401)
    const ok = await call(api.socket, '/v1/status', { host, authorization: `Bearer ${api.token}` })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ peerId: daemon.ready.peerId, pid: api.pid })
  })

  it('answers malformed requests with 400 and unknown routes with 404', async () => {
    const headers = { host: 'localhost', authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }
    const badJson = await call(api.socket, '/v1/posts', headers, 'POST', '{nope')
    expect(badJson).toMatchObject({ status: 400, json: { error: { code: 'ERR_BAD_REQUEST' } } })
    const badChannel = await call(api.socket, '/v1/posts', headers, 'POST', JSON.stringify({ channel: 'no hash', body: 'x' }))
    expect(badChannel).toMatchObject({ status: 400, json: { error: { name: 'InvalidChannelError', code: 'ERR_BAD_CHANNEL' } } })
    const tooLong = await call(api.socket, '/v1/posts', headers, 'POST', JSON.stringify({ channel: '#lobby', body: 'x'.repeat(2049) }))
    expect(tooLong).toMatchObject({ status: 400, json: { error: { code: 'ERR_BODY_TOO_LONG' } } })
    const route = await call(api.socket, '/v1/nothing', headers)
    expect(route).toMatchObject({ status: 404, json: { error: { code: 'ERR_NOT_FOUND' } } })
  })

  it('opens no TCP port besides the libp2p listener of its multiaddr', async () => {
    // the daemon's own sockets (inodes of /proc/<pid>/fd), matched against the kernel's TCP tables
    const pid = daemon.proc.child.pid ?? 0
    const inodes = new Set<string>()
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      if (inode !== undefined) inodes.add(inode)
    }
    const listening: number[] = []
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of (await readFile(table, 'utf8')).split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/)
        if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) listening.push(parseInt(fields[1]?.split(':')[1] ?? '', 16))
      }
    }
    const libp2pPorts = daemon.ready.multiaddrs.map((addr) => Number(/\/tcp\/(\d+)/.exec(addr)?.[1]))
    expect(listening.sort()).toEqual(libp2pPorts.sort())
  })

  it('murmur init keeps the existing identity and prints its public key', async () => {
    const identity = JSON.parse(new TextDecoder().decode(await readSealedFile(daemon.dataDir, 'identity.json'))) as { publicKey: string, secretKey: string }
    const result = await sandbox.run(['init', '--json', '--data-dir', daemon.dataDir])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      dataDir: daemon.dataDir,
      identity: join(daemon.dataDir, 'identity.json'),
      publicKey: identity.publicKey,
      created: false
    })
    expect(result.stdout).not.toContain(identity.secretKey)
  })

  it('stops cleanly on SIGTERM: api.json removed, posts kept across a restart', async () => {
    const posted = await sandbox.run(['post', 'lobby', 'survives a restart', '--json', '--data-dir', daemon.dataDir])
    expect(posted.code).toBe(0)
    const id = (JSON.parse(posted.stdout) as { id: string }).id
    expect(await daemon.proc.stop('SIGTERM')).toBe(0)
    expect(daemon.proc.stdout.at(-1)).toBe('{"event":"stopped"}')
    await expect(stat(join(daemon.dataDir, 'api.json'))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(stat(join(daemon.dataDir, 'api.sock'))).rejects.toMatchObject({ code: 'ENOENT' })

    const again = await sandbox.daemon('d')
    const feed = await sandbox.run(['feed', 'lobby', '--json', '--data-dir', again.dataDir])
    expect((JSON.parse(feed.stdout) as { posts: Array<{ id: string }> }).posts.map((p) => p.id)).toContain(id)
    expect(await again.proc.stop('SIGINT')).toBe(0)
  })
})

describe('murmur control API with a long data dir path', () => {
  it('puts its socket in the private runtime dir when the data dir path is too long for one', async () => {
    const sandbox = await Sandbox.create()
    try {
      const daemon = await sandbox.daemon(`deep/${'d'.repeat(100)}`)
      const api = JSON.parse(await readFile(join(daemon.dataDir, 'api.json'), 'utf8')) as ApiFile
      expect(api.socket).toMatch(new RegExp(`^${sandbox.dir('run/murmur/api-')}[0-9a-f]{16}\\.sock$`))
      expect(await mode(api.socket)).toBe(0o600)
      expect(await mode(sandbox.dir('run/murmur'))).toBe(0o700)
      const status = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
      expect(status.code, status.stderr).toBe(0)
    } finally {
      await sandbox.cleanup()
    }
  })
})

describe('murmur init', () => {
  it('creates the data dir (0700) and the identity (0600)', async () => {
    const sandbox = await Sandbox.create()
    try {
      const dataDir = sandbox.dir('fresh/nested')
      const result = await sandbox.run(['init', '--data-dir', dataDir])
      expect(result.code).toBe(0)
      const identity = JSON.parse(new TextDecoder().decode(await readSealedFile(dataDir, 'identity.json'))) as { version: number, publicKey: string }
      expect(identity.version).toBe(1)
      expect(result.stdout).toBe(`created your author identity in ${dataDir}/identity.json\npublic key: ${identity.publicKey}\nstart your node with: murmur daemon --data-dir ${dataDir}\n`)
      expect(await mode(dataDir)).toBe(0o700)
      expect(await mode(join(dataDir, 'identity.json'))).toBe(0o600)
    } finally {
      await sandbox.cleanup()
    }
  })

  it('uses MURMUR_DATA_DIR, then XDG_DATA_HOME/murmur', async () => {
    const sandbox = await Sandbox.create()
    try {
      const viaEnv = await sandbox.run(['init', '--json'], { MURMUR_DATA_DIR: sandbox.dir('env-dir') })
      expect((JSON.parse(viaEnv.stdout) as { dataDir: string }).dataDir).toBe(sandbox.dir('env-dir'))
      const viaXdg = await sandbox.run(['init', '--json'])
      expect((JSON.parse(viaXdg.stdout) as { dataDir: string }).dataDir).toBe(join(sandbox.dir('xdg-data'), 'murmur'))
    } finally {
      await sandbox.cleanup()
    }
  })

  it('refuses an identity file other users can read', async () => {
    const sandbox = await Sandbox.create()
    try {
      const dataDir = sandbox.dir('loose')
      expect((await sandbox.run(['init', '--data-dir', dataDir])).code).toBe(0)
      await chmod(join(dataDir, 'identity.json'), 0o644)
      const result = await sandbox.run(['init', '--data-dir', dataDir])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`${dataDir}/identity.json has mode 0644: other users could read your author key; run \`chmod 600`)
    } finally {
      await sandbox.cleanup()
    }
  })
})
