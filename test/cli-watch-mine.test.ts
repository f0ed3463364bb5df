/**
 * `murmur watch --mine` (issue 18, notifications): on daemon A it prints the reply that daemon B makes to
 * A's post, and nothing of a thread that is not A's (B replying to its own post, which A receives too).
 * A knows its posts by the ids its own API returned (GET /v1/mine); nothing is asked of the network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon, LineProcess } from './cli-harness.ts'

/** How long a post may take to reach the other daemon (stem embargo 10 s + Exp(10 s), loaded machine). */
const SPREAD = 75_000

interface Post { id: string, kind: string, parent?: string, body: string }

describe('murmur watch --mine', () => {
  let sandbox: Sandbox
  let a: Daemon
  let b: Daemon
  let watch: LineProcess | undefined

  const json = async <T>(d: Daemon, args: string[]): Promise<T> => {
    const result = await sandbox.run([...args, '--json', '--data-dir', d.dataDir])
    if (result.code !== 0) throw new Error(`murmur ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }
  /** Polls until `d` holds the thread of `root` with at least `posts` posts (no event reaches a separate process). */
  const holds = async (d: Daemon, root: string, posts: number): Promise<void> => {
    const deadline = Date.now() + SPREAD
    for (;;) {
      const result = await sandbox.run(['thread', root, '--json', '--data-dir', d.dataDir])
      if (result.code === 0 && (JSON.parse(result.stdout) as { posts: Post[] }).posts.length >= posts) return
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${posts} posts of ${root}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    ;[a, b] = await sandbox.daemonPair('a', 'b')
  }, 3 * SPREAD)

  afterAll(async () => {
    await watch?.stop()
    await sandbox?.cleanup()
  })

  it('prints a reply from another node to this node\'s post, and no other thread\'s', async () => {
    const mine = (await json<{ id: string }>(a, ['post', 'lobby', 'a post of mine'])).id
    const theirs = (await json<{ id: string }>(b, ['post', 'lobby', 'a post of theirs'])).id
    watch = sandbox.spawn(['watch', '--mine', '--json', '--data-dir', a.dataDir])
    await watch.waitForStderr((line) => line.includes('watching replies and votes on your posts in every channel'))
    await holds(b, mine, 1)

    // B answers itself first, and A receives that reply before B answers A
    await json(b, ['reply', theirs, 'talking to myself'])
    await holds(a, theirs, 2)
    const reply = (await json<{ id: string }>(b, ['reply', mine, 'a reply to you'])).id
    const line = await watch.waitForLine((l) => l.includes(reply), SPREAD)
    expect(JSON.parse(line)).toMatchObject({ id: reply, kind: 'REPLY', parent: mine, body: 'a reply to you' })
    // every line printed is about A's post
    for (const printed of watch.stdout) expect((JSON.parse(printed) as Post).parent).toBe(mine)

    const bare = await sandbox.run(['watch', '--data-dir', a.dataDir])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('--mine')
  }, 6 * SPREAD)
})
