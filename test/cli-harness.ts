/**
 * Harness of the `murmur` CLI tests: runs the built CLI (packages/cli/dist) with this Node.js binary,
 * in temporary data dirs and a private rendezvous dir, and always cleans up its processes.
 */
import { spawn, execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { ChildProcess } from 'node:child_process'

export const BIN = resolve(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'src', 'bin.js')

/**
 * Member stamp difficulty of every test node (`--stamp-bits`): 4 expected Argon2id evaluations, not the
 * network's 1,024 (about a minute of a core each, which a 2-core CI runner cannot give every daemon).
 */
export const TEST_STAMP_BITS = 2

/**
 * A post body as an attacker writes it: bidi overrides and isolates, line and paragraph separators,
 * zero-width and invisible format characters, U+FEFF, a soft hyphen, an escape sequence, an 8-bit
 * CSI, a Hangul filler, then 30 blank lines before its last word.
 */
export const HOSTILE_BODY = 'left\u202eright\u2066iso\u2069 line\u2028sep\u2029para zero\u200bwidth\u2060join bom\ufeffsoft\u00adhy' +
  'phen \u001b[31mred\u009b2J\u3164fill' + '\n'.repeat(30) + 'end'

/** What no view of the CLI may print raw: controls but LF, format characters, separators, default-ignorable characters. */
// eslint-disable-next-line no-control-regex
export const HIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u

/** HOSTILE_BODY as every text view shows it. */
export const HOSTILE_SHOWN = 'leftrightiso line\nsep\npara zerowidthjoin bomsofthyphen [31mred2Jfill\n\nend'

/** A pseudonym's name: 48 bits of its key as three proquints (a look-alike costs 2^40 keys or more). */
export const NAME = '[bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou][bdfghjklmnprstvz](?:-[bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou][bdfghjklmnprstvz]){2}'

/** Fails clearly when the CLI was not built (`npx tsc -b packages/cli`, or `npm test`, builds it). */
export function assertBuilt (): void {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build first with \`npx tsc -b packages/cli\``)
  }
}

/** How long a daemon or relay may take to print its ready line: generous, for a loaded machine (ms). */
const READY_TIMEOUT = 60_000

/** A temporary directory tree for one test suite: data dirs and the rendezvous dir live in it. */
export class Sandbox {
  readonly root: string
  readonly env: NodeJS.ProcessEnv
  private readonly processes = new Set<ChildProcess>()

  private constructor (root: string) {
    this.root = root
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: join(root, 'run'), XDG_DATA_HOME: join(root, 'xdg-data') }
    delete env.MURMUR_DATA_DIR
    delete env.DEBUG
    // text output wraps to COLUMNS when not on a terminal: the tests expect the default, 80
    delete env.COLUMNS
    this.env = env
  }

  static async create (): Promise<Sandbox> {
    assertBuilt()
    return new Sandbox(await mkdtemp(join(tmpdir(), 'murmur-cli-test-')))
  }

  dir (name: string): string {
    return join(this.root, name)
  }

  /** Runs `murmur ...args` to completion (at most 30 s). */
  async run (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number, stdout: string, stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [BIN, ...args], { env: { ...this.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
        this.processes.delete(child)
        const code = err === null ? 0 : (err as { code?: unknown }).code
        if (typeof code !== 'number') {
          reject(new Error(`murmur ${args.join(' ')} did not exit normally: ${String(err)}\n${stderr}`))
          return
        }
        resolve({ code, stdout, stderr })
      })
      this.processes.add(child)
    })
  }

  /**
   * Runs `murmur` once for each argument list, `concurrent` at a time (each run is mostly a Node.js start,
   * and CI has two cores); resolves to the results in the lists' order.
   */
  async runEach (lists: string[][], concurrent = 2): Promise<Array<{ code: number, stdout: string, stderr: string }>> {
    const results: Array<{ code: number, stdout: string, stderr: string }> = []
    let next = 0
    await Promise.all(Array.from({ length: concurrent }, async () => {
      while (next < lists.length) {
        const i = next++
        results[i] = await this.run(lists[i]!)
      }
    }))
    return results
  }

  /** Starts a long-running `murmur ...args` (daemon, watch) whose output lines can be awaited. */
  spawn (args: string[], env: NodeJS.ProcessEnv = {}): LineProcess {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.processes.add(child)
    child.once('exit', () => { this.processes.delete(child) })
    return new LineProcess(child)
  }

  /**
   * Starts a daemon with a data dir of this sandbox on loopback, without mDNS, at 8 PoW bits and
   * TEST_STAMP_BITS (`env`: more environment).
   */
  async daemon (name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
    const dataDir = this.dir(name)
    const proc = this.spawn(['daemon', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--pow-bits', '8',
      '--stamp-bits', String(TEST_STAMP_BITS), '--json', ...extra], env)
    const ready = JSON.parse(await proc.waitForLine((line) => line.includes('"event":"ready"'), READY_TIMEOUT)) as DaemonReady
    return { proc, dataDir, ready, multiaddr: ready.multiaddrs[0] ?? '' }
  }

  /**
   * Starts two daemons, the second bootstrapped from the first (`env`: more environment of the second;
   * `extra`: more arguments of each), and waits until each sees a peer in #lobby.
   */
  async daemonPair (first: string, second: string, env: NodeJS.ProcessEnv = {}, extra: [string[], string[]] = [[], []]): Promise<[Daemon, Daemon]> {
    const a = await this.daemon(first, extra[0])
    const b = await this.daemon(second, ['--bootstrap', a.multiaddr, ...extra[1]], env)
    await Promise.all([a.proc.waitForLine(peersInLobby), b.proc.waitForLine(peersInLobby)])
    return [a, b]
  }

  /**
   * Starts `murmur relay` with a data dir of this sandbox on loopback TCP and WebSockets, without mDNS,
   * requiring TEST_STAMP_BITS of stamps, serving no page (the browser tests serve their own build)
   * (`extra`: more arguments, e.g. `--channel`), and waits for its ready line.
   */
  async relay (extra: string[] = []): Promise<{ proc: LineProcess, ready: RelayReady }> {
    const proc = this.spawn(['relay', '--data-dir', this.dir('relay'), '--listen', '/ip4/127.0.0.1/tcp/0',
      '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--no-mdns', '--no-page', '--stamp-bits', String(TEST_STAMP_BITS), '--json', ...extra])
    const ready = JSON.parse(await proc.waitForLine((line) => line.includes('"event":"ready"'), READY_TIMEOUT)) as RelayReady
    return { proc, ready }
  }

  /**
   * Polls `murmur status --json` of a daemon (every 250 ms: no event reaches a separate process) until
   * `check` holds for its membership, failing after `timeout` ms with the last one seen.
   */
  async waitForMembership (dataDir: string, check: (membership: Membership) => boolean, what: string, timeout = 60_000): Promise<Membership> {
    const deadline = Date.now() + timeout
    for (;;) {
      const result = await this.run(['status', '--json', '--data-dir', dataDir])
      if (result.code !== 0) throw new Error(`murmur status failed (${result.code}): ${result.stderr}`)
      const membership = (JSON.parse(result.stdout) as { membership: Membership }).membership
      if (check(membership)) return membership
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${JSON.stringify(membership)}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  /** Kills whatever is still running and removes the directory tree. */
  async cleanup (): Promise<void> {
    await Promise.all([...this.processes].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }))
    await rm(this.root, { recursive: true, force: true })
  }
}

/** Whether a `murmur daemon --json` line is a status line showing at least one peer in #lobby. */
function peersInLobby (line: string): boolean {
  if (!line.includes('"event":"status"')) return false
  const status = JSON.parse(line) as { channels: Array<{ channel: string, peers: number }> }
  return status.channels.some((c) => c.channel === '#lobby' && c.peers >= 1)
}

/** Environment of a CLI process whose clock (Date.now) is `seconds` ahead (negative: behind). */
export function clockShiftEnv (seconds: number): NodeJS.ProcessEnv {
  const preload = resolve(import.meta.dirname, 'cli-clock-shift.mjs')
  return { NODE_OPTIONS: `--import ${preload}`, MURMUR_TEST_CLOCK_SHIFT: String(seconds) }
}

/** What `murmur relay --json` prints when it is up. */
export interface RelayReady { peerId: string, multiaddrs: string[], browserMultiaddrs: string[], channels: string[], dataDir: string }

/** The `membership` of `murmur status --json` (MembershipStatusResponse). */
export interface Membership {
  minter: boolean
  members: number
  stamp: { week: number, expires: number } | null
  ahead: number[]
  minting: { week: number, evaluations: number, expected: number | null, progress: number, etaSeconds: number | null } | null
  nextMintAt: number | null
  /** Members a vote hides among now (null: not reported). */
  ring: number | null
  /** Whether the node's member signs votes and posts now (null: not reported). */
  signing: boolean | null
}

/** The `ready` line of `murmur daemon --json`. */
export interface DaemonReady {
  peerId: string
  multiaddrs: string[]
  /** Where the control API listens: its Unix-domain socket (TCP host and port on Windows only). */
  api: { socket?: string, host?: string, port?: number, file: string }
  dataDir: string
}

export interface Daemon {
  proc: LineProcess
  dataDir: string
  ready: DaemonReady
  multiaddr: string
}

/** A child process whose stdout and stderr lines are collected and can be awaited. */
export class LineProcess {
  readonly child: ChildProcess
  readonly stdout: string[] = []
  readonly stderr: string[] = []
  private readonly waiters = new Set<() => void>()
  readonly exited: Promise<number | null>

  constructor (child: ChildProcess) {
    this.child = child
    this.exited = new Promise((resolve) => child.once('exit', (code) => { resolve(code) }))
    for (const [stream, lines] of [[child.stdout, this.stdout], [child.stderr, this.stderr]] as const) {
      if (stream !== null) {
        createInterface({ input: stream }).on('line', (line) => {
          lines.push(line)
          for (const wake of this.waiters) wake()
        })
      }
    }
    void this.exited.then(() => { for (const wake of this.waiters) wake() })
  }

  /** Resolves with the first stdout line (already seen or to come) matching `match`. */
  async waitForLine (match: (line: string) => boolean, timeout = 20_000, lines = this.stdout): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(match)
        if (found !== undefined) {
          done()
          resolve(found)
          return true
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done()
          reject(new Error(`process exited before the expected line\nstdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`))
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for a line\nstdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`))
      }, timeout)
      const wake = (): void => { check() }
      const done = (): void => { clearTimeout(timer); this.waiters.delete(wake) }
      this.waiters.add(wake)
      check()
    })
  }

  /** Like waitForLine, on stderr. */
  async waitForStderr (match: (line: string) => boolean, timeout = 20_000): Promise<string> {
    return this.waitForLine(match, timeout, this.stderr)
  }

  /** Sends a signal and resolves with the exit code. */
  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal)
    }
    return this.exited
  }
}

/** A `tmux` server of its own with 80x24 sessions running the CLI in a real terminal. */
export class Tmux {
  private readonly socket = `murmur-test-${process.pid}-${Math.random().toString(36).slice(2)}`

  constructor (private readonly env: NodeJS.ProcessEnv) {}

  async tmux (...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('tmux', ['-L', this.socket, ...args], { env: this.env, timeout: 10_000 }, (err, stdout, stderr) => {
        if (err !== null) {
          reject(new Error(`tmux ${args.join(' ')} failed: ${stderr}`))
        } else {
          resolve(stdout)
        }
      })
    })
  }

  /** Starts `murmur ...args` in a new 80x24 session. */
  async start (name: string, args: string[]): Promise<void> {
    const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ')
    await this.tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', command)
  }

  async capture (name: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', name)
  }

  async keys (name: string, ...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', name, ...keys)
  }

  /** Types a line of text literally and presses Enter. */
  async type (name: string, text: string): Promise<void> {
    await this.tmux('send-keys', '-t', name, '-l', text)
    await this.tmux('send-keys', '-t', name, 'Enter')
  }

  /** Polls the screen until `match` holds (no event exists for screen content), with a deadline. */
  async waitForScreen (name: string, match: (screen: string) => boolean, timeout = 20_000): Promise<string> {
    const deadline = Date.now() + timeout
    let screen = ''
    while (Date.now() < deadline) {
      screen = await this.capture(name)
      if (match(screen)) {
        return screen
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`timed out waiting for the screen of ${name}; it shows:\n${screen}`)
  }

  /** Whether the session still exists (its program has not exited). */
  async alive (name: string): Promise<boolean> {
    try {
      await this.tmux('has-session', '-t', name)
      return true
    } catch {
      return false
    }
  }

  /** Kills the server and every program in it. */
  async kill (): Promise<void> {
    await this.tmux('kill-server').catch(() => {})
  }
}

function shellQuote (value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`
}
