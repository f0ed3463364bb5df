/**
 * `murmur` installed as a user installs it: the three workspaces packed with `npm pack`, installed
 * together from their tarballs into a temporary prefix (no @murmur package comes from a registry,
 * nothing is installed globally), then run from outside the repository with the Node.js 22 of the
 * `node@22` devDependency on PATH: `--version`, `init`, `daemon` (its own data dir and rendezvous
 * dir, loopback, no mDNS) and `post`. The other dependencies come from npm's cache, or the registry
 * for what the cache lacks. Takes 1–4 minutes, almost all of it `npm install`.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LineProcess, TEST_STAMP_BITS } from './cli-harness.js'

const ROOT = resolve(import.meta.dirname, '..')
const WORKSPACES = ['packages/protocol', 'packages/node', 'packages/cli']
/** The Node.js 22 binary of the `node@22` devDependency, whatever node runs the tests. */
const NODE22 = join(ROOT, 'node_modules', 'node', 'bin', 'node')
const run = promisify(execFile)

describe('murmur installed from packed tarballs', () => {
  let tmp: string
  let murmur: string
  let env: NodeJS.ProcessEnv
  const daemons: LineProcess[] = []

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'murmur-install-test-'))
    const packs = join(tmp, 'packs')
    const prefix = join(tmp, 'prefix')
    await mkdir(packs)
    await mkdir(prefix)
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packs, ...WORKSPACES.flatMap((w) => ['-w', w])],
      { cwd: ROOT, timeout: 120_000, maxBuffer: 64 << 20 })
    const tarballs = (JSON.parse(stdout) as Array<{ filename: string }>).map((p) => join(packs, p.filename))
    expect(tarballs).toHaveLength(3)
    // from a folder of its own, as a user outside the repository: the workspaces' links must not help
    await run('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', ...tarballs],
      { cwd: tmp, timeout: 420_000, maxBuffer: 64 << 20 })
    murmur = join(prefix, 'node_modules', '.bin', 'murmur')
    env = {
      ...process.env,
      PATH: [dirname(NODE22), ...(process.env.PATH ?? '').split(delimiter)].join(delimiter),
      // its own runtime dir (the local rendezvous) and data home: never the user's
      XDG_RUNTIME_DIR: join(tmp, 'run'),
      XDG_DATA_HOME: join(tmp, 'xdg-data')
    }
    // as a user's shell: not inside an npm script (the hints would then say `npm run murmur --`)
    for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name]
    delete env.MURMUR_DATA_DIR
    delete env.DEBUG
  }, 600_000)

  afterAll(async () => {
    await Promise.all(daemons.map(async (daemon) => daemon.stop('SIGKILL')))
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
  })

  it('runs --version, init, daemon and post, and every hint names the data dir in use', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }
    const murmurRun = async (args: string[]): Promise<{ stdout: string, stderr: string }> => run(murmur, args, { cwd: tmp, env, timeout: 60_000 })
    expect((await murmurRun(['--version'])).stdout.trim()).toBe(version)

    const dataDir = join(tmp, 'my node')
    const init = await murmurRun(['init', '--data-dir', dataDir])
    expect(init.stdout).toContain(`start your node with: murmur daemon --data-dir '${dataDir}'`)

    const daemon = new LineProcess(spawn(murmur, ['daemon', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns',
      '--pow-bits', '8', '--stamp-bits', String(TEST_STAMP_BITS), '--json'], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] }))
    daemons.push(daemon)
    const ready = JSON.parse(await daemon.waitForLine((line) => line.includes('"event":"ready"'), 60_000)) as { dataDir: string }
    expect(ready.dataDir).toBe(dataDir)

    const post = await murmurRun(['post', '--data-dir', dataDir, 'lobby', 'hello from a packed install'])
    expect(post.stdout).toMatch(/^posted to #lobby: [0-9a-f]{64}/)
    const feed = JSON.parse((await murmurRun(['feed', '--data-dir', dataDir, 'lobby', '--json'])).stdout) as { posts: Array<{ body: string }> }
    expect(feed.posts.map((p) => p.body)).toContain('hello from a packed install')
    expect(await daemon.stop('SIGTERM')).toBe(0)
  }, 120_000)

  it('on a Node.js older than 22, says so in one line and exits 1 before loading anything', async () => {
    const bin = join(tmp, 'prefix', 'node_modules', '@murmur', 'cli', 'dist', 'src', 'bin.js')
    // the system's node, when older than 22 (the CI image's is 20): else there is nothing to check here
    const system = await run('node', ['--version'], { env: { ...process.env, PATH: (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules')).join(delimiter) } })
      .then(({ stdout }) => stdout.trim(), () => '')
    const major = Number(/^v(\d+)\./.exec(system)?.[1])
    if (!(major < 22)) return
    const systemPath = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules')).join(delimiter)
    const result = await run('node', [bin, '--version'], { env: { ...env, PATH: systemPath } }).then(() => undefined, (err: { code: number, stderr: string }) => err)
    expect(result?.code).toBe(1)
    expect(result?.stderr).toBe(`Murmur needs Node.js 22 or newer (this is ${system}); install Node.js 22, or from a Murmur checkout run \`npm run murmur -- <command>\` in the Murmur folder (it brings Node.js 22)\n`)
  })
})
