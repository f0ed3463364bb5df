/**
 * Membership as the `murmur` commands show it, with daemons that hold no member stamp: a daemon minting
 * at 20 bits (a million expected Argon2id evaluations: it holds no stamp while the test runs) and one
 * started with --no-mint. Their posts are marked unverified in every view and --json; a vote says when the
 * stamp is expected (or that none is minted) and exits 5, with nothing sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NAME, Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

/** A stamp difficulty no mint reaches within the test (the network's: both daemons judge at it). */
const SLOW_STAMP = ['--stamp-bits', '20']
/** How long a post may take to reach the other daemon: its stem's fail-safe embargo is 10 s + Exp(10 s), on a loaded machine. */
const SPREAD = 75_000

describe('murmur without a member stamp', () => {
  let sandbox: Sandbox
  let minting: Daemon
  let off: Daemon

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    ;[minting, off] = await sandbox.daemonPair('minting', 'off', {}, [SLOW_STAMP, [...SLOW_STAMP, '--no-mint']])
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('marks posts of a node without a stamp unverified in post, feed, thread and --json', async () => {
    const watch = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', minting.dataDir])
    await watch.waitForStderr((line) => line.startsWith('watching #lobby'))
    const posted = await sandbox.run(['post', 'lobby', 'no stamp here', '--data-dir', off.dataDir])
    expect(posted.code, posted.stderr).toBe(0)
    expect(posted.stdout).toMatch(/^posted to #lobby: [0-9a-f]{64} \(.+\)\nunverified: signed without a member stamp \(this node has none yet\), so every view marks it so\n$/)
    const id = /posted to #lobby: ([0-9a-f]{64})/.exec(posted.stdout)![1]!
    expect(JSON.parse(await watch.waitForLine((line) => line.includes(`"id":"${id}"`), SPREAD))).toMatchObject({ id, member: false })
    const feed = JSON.parse((await sandbox.run(['feed', 'lobby', '--json', '--data-dir', minting.dataDir])).stdout) as { posts: Array<{ id: string, member: boolean }> }
    expect(feed.posts.find((p) => p.id === id)?.member).toBe(false)
    for (const args of [['feed', 'lobby'], ['thread', id]]) {
      const text = (await sandbox.run([...args, '--data-dir', minting.dataDir])).stdout
      expect(text, args[0]).toMatch(new RegExp(`^${id}\\n  \\+0  0 replies  (just now|\\d+s ago|\\d+m ago)  (23h|1d) left  ${NAME}  unverified\\n {4}no stamp here$`, 'm'))
    }
  }, 2 * SPREAD)

  it('a vote before the stamp says when it is expected, or that this node mints none, and exits 5; nothing is sent', async () => {
    const target = JSON.parse((await sandbox.run(['post', 'lobby', 'vote on me', '--json', '--data-dir', off.dataDir])).stdout) as { id: string }
    const watch = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', off.dataDir])
    await watch.waitForStderr((line) => line.startsWith('watching #lobby'))
    // the minting daemon has the post, and knows its mint's expected end (after its first evaluation)
    await sandbox.waitForMembership(minting.dataDir, (m) => m.minting?.etaSeconds !== null && m.minting?.etaSeconds !== undefined, 'the mint\'s ETA')
    const waitForPost = async (): Promise<void> => {
      const deadline = Date.now() + SPREAD
      while ((await sandbox.run(['thread', target.id, '--json', '--data-dir', minting.dataDir])).code !== 0) {
        if (Date.now() > deadline) throw new Error('the minting daemon never got the post')
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
    await waitForPost()

    const line = /^murmur: not voted: only members' votes count, and this node's member stamp is not ready yet: expected in about \d+ (s|min|h) \(around \d{4}-\d\d-\d\d \d\d:\d\d UTC\); vote again then\n$/
    for (const json of [[], ['--json']]) {
      const voted = await sandbox.run(['vote', target.id, 'up', ...json, '--data-dir', minting.dataDir])
      expect(voted.code, voted.stderr).toBe(5)
      expect(voted.stdout).toBe('')
      expect(voted.stderr).toMatch(line)
    }
    const none = await sandbox.run(['vote', target.id, 'down', '--data-dir', off.dataDir])
    expect(none.code, none.stderr).toBe(5)
    expect(none.stderr).toBe('murmur: not voted: only members\' votes count, and this node\'s member stamp is not ready yet (`murmur status` shows whether it is minting one; --no-mint never does)\n')
    // nothing was sent: a post made after the votes arrives, and no vote came before it
    const after = JSON.parse((await sandbox.run(['post', 'lobby', 'after the votes', '--json', '--data-dir', minting.dataDir])).stdout) as { id: string }
    await watch.waitForLine((l) => l.includes(`"id":"${after.id}"`), SPREAD)
    expect(watch.stdout.filter((l) => l.includes('"kind":"VOTE"'))).toEqual([])
  }, 3 * SPREAD)
})
