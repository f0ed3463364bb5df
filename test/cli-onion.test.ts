/**
 * `--onion` through the real CLI: four daemons running it on loopback, the author bootstrapped from the
 * other three (its mixes). A post of the author reaches another daemon through an exit (a mix reports
 * it delivered one), and `murmur status` shows the onion on, the mixes known and no post left pending;
 * `--help` says what the option hides and costs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon, LineProcess } from './cli-harness.ts'
import type { OnionStatus } from '@murmur/node'

describe('murmur daemon --onion', () => {
  let sandbox: Sandbox
  let author: Daemon
  let mixes: Daemon[]
  let watch: LineProcess
  let help: { code: number, stdout: string }

  /** `murmur status --json` of a daemon's onion, polled every 250 ms (no event reaches another process) until `check` holds. */
  async function onionOf (daemon: Daemon, check: (onion: OnionStatus) => boolean, what: string, timeout = 10_000): Promise<OnionStatus> {
    const deadline = Date.now() + timeout
    for (;;) {
      const result = await sandbox.run(['status', '--json', '--data-dir', daemon.dataDir])
      expect(result.code, result.stderr).toBe(0)
      const { onion } = JSON.parse(result.stdout) as { onion: OnionStatus }
      if (check(onion)) return onion
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${JSON.stringify(onion)}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    // each step a few Node.js starts at once: CI has two cores
    ;[mixes, help] = await Promise.all([Promise.all(['b', 'c', 'd'].map(async (name) => sandbox.daemon(name, ['--onion']))), sandbox.run(['daemon', '--help'])])
    watch = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', mixes[0]!.dataDir])
    ;[author] = await Promise.all([
      sandbox.daemon('author', ['--onion', ...mixes.flatMap((mix) => ['--bootstrap', mix.multiaddr])]),
      watch.waitForStderr((line) => line.startsWith('watching #lobby'))
    ])
  }, 30_000)

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('says in --help what it hides and what it costs', () => {
    expect(help.code).toBe(0)
    const text = help.stdout.replace(/\s+/g, ' ')
    expect(text).toContain('--onion')
    expect(text).toMatch(/experimental, off by default.*3 mixes.*~1\.8 s more per post.*~19 KB\/min/)
  })

  it('sends a post through the mixes to another daemon; status shows the onion', async () => {
    await onionOf(author, (onion) => onion.enabled && onion.mixes === 3, 'the author knows its 3 mixes')
    const posted = await sandbox.run(['post', 'lobby', 'wrapped three times', '--json', '--data-dir', author.dataDir])
    expect(posted.code, posted.stderr).toBe(0)
    const { id } = JSON.parse(posted.stdout) as { id: string }
    await watch.waitForLine((line) => line.includes(id), 10_000)
    // an exit published it: one of the mixes, not the author's stem
    const delivered = await Promise.all(mixes.map(async (mix) => (await onionOf(mix, () => true, 'a status')).delivered))
    expect(delivered.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1)
    expect(await onionOf(author, (onion) => onion.pending === 0, 'the post seen in gossip')).toMatchObject({ enabled: true, mixes: 3, pending: 0, delivered: 0 })
    const text = await sandbox.run(['status', '--data-dir', author.dataDir])
    expect(text.stdout).toMatch(/^onion {5}on, 3 mixes known, 0 posts pending, 0 of 0 loops back, 0 delivered as an exit$/m)
  })
})
