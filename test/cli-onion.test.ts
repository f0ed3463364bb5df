/**
 * `--onion` through the real CLI: an author daemon running it, bootstrapped from its 3 mixes (Node.js
 * nodes running the onion in this process: a daemon's start is mostly a Node.js start, and CI has two
 * cores), and a reader daemon bootstrapped from one of them. The author's post reaches the reader through
 * an exit (a mix counts it delivered), and `murmur status` shows the onion on, the mixes known and no
 * post left pending; `--help` says what the option hides and costs.
 */
import { createProgram } from '@murmur/cli'
import { createMurmur } from '@murmur/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox, TEST_STAMP_BITS } from './cli-harness.ts'
import type { Daemon, LineProcess } from './cli-harness.ts'
import type { Murmur, OnionStatus } from '@murmur/node'

describe('murmur daemon --onion', () => {
  let sandbox: Sandbox
  let author: Daemon
  let reader: Daemon
  let nodes: Murmur[] = []
  let watch: LineProcess

  /** `murmur status` of the author, polled every 250 ms (no event reaches another process) until its onion line matches. */
  async function onionLine (line: RegExp, timeout = 10_000): Promise<void> {
    const deadline = Date.now() + timeout
    for (;;) {
      const result = await sandbox.run(['status', '--data-dir', author.dataDir])
      expect(result.code, result.stderr).toBe(0)
      if (line.test(result.stdout)) return
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${String(line)}:\n${result.stdout}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    const mix = async (): Promise<Murmur> => createMurmur({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, powBits: 8, channels: ['#lobby'], membership: { stampBits: TEST_STAMP_BITS, mint: false }, onion: true })
    nodes = await Promise.all([mix(), mix(), mix()])
    const bootstrap = nodes.map((node) => node.getMultiaddrs().map(String).find((addr) => addr.includes('/tcp/'))!)
    ;[author, reader] = await Promise.all([
      sandbox.daemon('author', ['--onion', ...bootstrap.flatMap((addr) => ['--bootstrap', addr])]),
      sandbox.daemon('reader', ['--bootstrap', bootstrap[0]!])
    ])
    watch = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', reader.dataDir])
    await watch.waitForStderr((line) => line.startsWith('watching #lobby'))
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map(async (node) => node.stop()))
    await sandbox?.cleanup()
  })

  it('says in the --help of daemon and chat what it hides and what it costs', () => {
    // the program's own help text (what `murmur daemon --help` prints), without one more Node.js start
    for (const name of ['daemon', 'chat']) {
      const help = createProgram().commands.find((command) => command.name() === name)!.helpInformation().replace(/\s+/g, ' ')
      expect(help).toMatch(/--onion experimental, off by default.*3 mixes.*no direct peer can tell them from relayed ones.*~1\.8 s more per post.*~19 KB\/min of loop cover traffic/)
    }
  })

  it('sends a post through the mixes to another daemon; status shows the onion', async () => {
    await onionLine(/^onion {5}on, 3 mixes known,/m)
    const posted = await sandbox.run(['post', 'lobby', 'wrapped three times', '--json', '--data-dir', author.dataDir])
    expect(posted.code, posted.stderr).toBe(0)
    const { id } = JSON.parse(posted.stdout) as { id: string }
    await watch.waitForLine((line) => line.includes(id), 10_000)
    // an exit published it: one of the mixes, not the author's stem
    expect(nodes.reduce((sum, node) => sum + node.onion.delivered, 0)).toBe(1)
    // seen in gossip when it came back to the author: nothing left pending; the reader runs no onion
    const [json, readerText] = await Promise.all([
      sandbox.run(['status', '--json', '--data-dir', author.dataDir]),
      sandbox.run(['status', '--data-dir', reader.dataDir]),
      // a loop a minute: one may have left (and come back) by now
      onionLine(/^onion {5}on, 3 mixes known, 0 posts pending, [01] of [01] loops? back, 0 delivered as an exit$/m)
    ])
    expect((JSON.parse(json.stdout) as { onion: OnionStatus }).onion).toMatchObject({ enabled: true, mixes: 3, delivered: 0 })
    expect(readerText.stdout).toMatch(/^onion {5}off$/m)
  })
})
