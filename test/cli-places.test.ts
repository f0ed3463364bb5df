/**
 * Location channels through three real daemons and the built `murmur` (issue 18): two join by
 * coordinates a few km apart (`murmur join --near`) and read each other's posts in the cells their
 * covers share; a third peeks at one of those cells (`murmur peek LAT,LON`), reads the posts and is
 * refused posting there. Input errors exit with what is wrong, and no coordinates reach the status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

/** How long a post may take to reach another daemon (a loaded machine, the stem embargo), in ms. */
const SPREAD = 75_000
/** Two points ~2.4 km apart in Aalborg, and a radius that holds both. */
const HARBOUR = '57.0500,9.9200'
const UNIVERSITY = '57.0300,9.9050'

interface Cover { level: number, channels: string[], home: string, joined: string[] }
interface Post { id: string, body: string, channel: string }

describe('murmur join --near and murmur peek, three daemons', () => {
  let sandbox: Sandbox
  let a: Daemon
  let b: Daemon
  let c: Daemon

  /** Runs murmur and parses its --json output, failing with its stderr on a non-zero exit. */
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await sandbox.run([...args, '--json'])
    if (result.code !== 0) throw new Error(`murmur ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }

  /** Polls (no event reaches a separate process) until `check` returns a value, at most SPREAD ms. */
  const until = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + SPREAD
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out after ${SPREAD} ms waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  const postIn = async (d: Daemon, channel: string, body: string): Promise<Post | undefined> =>
    (await json<{ posts: Post[] }>(['feed', channel, '--data-dir', d.dataDir])).posts.find((p) => p.body === body)

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    ;[a, b] = await sandbox.daemonPair('a', 'b')
    c = await sandbox.daemon('c', ['--bootstrap', a.multiaddr])
  }, 3 * SPREAD)

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('joins by coordinates and reads the other daemon\'s posts in a shared cell; a peeker reads and may not post', async () => {
    const [near, other] = await Promise.all([
      json<Cover>(['join', '--near', HARBOUR, '--radius', '5km', '--data-dir', a.dataDir]),
      json<Cover>(['join', '--near', UNIVERSITY, '--radius', '5km', '--data-dir', b.dataDir])
    ])
    expect(near.level).toBe(other.level)
    expect(near.joined).toEqual(expect.arrayContaining(near.channels))
    // each point is within the other's radius: its home cell is in the other's cover
    expect(other.channels).toContain(near.home)
    expect(near.channels).toContain(other.home)

    await Promise.all([
      json(['post', near.home, 'ferry is late again', '--data-dir', a.dataDir]),
      json(['post', other.home, 'library open till 22', '--data-dir', b.dataDir])
    ])
    await Promise.all([
      until('b to read a\'s post', async () => postIn(b, near.home, 'ferry is late again')),
      until('a to read b\'s post', async () => postIn(a, other.home, 'library open till 22'))
    ])

    // the status lists the cells, never the coordinates
    const status = await sandbox.run(['status', '--data-dir', a.dataDir, '--json'])
    expect(status.stdout).toContain(near.home)
    expect(status.stdout).not.toMatch(/57\.05|9\.92/)
    expect((JSON.parse(status.stdout) as { places: { near: Cover } }).places.near.home).toBe(near.home)

    const peek = await json<{ channel: string, peeked: string[] }>(['peek', HARBOUR, '--level', String(near.level), '--data-dir', c.dataDir])
    expect(peek.channel).toBe(near.home)
    expect(peek.peeked).toEqual([near.home])
    expect((await sandbox.run(['status', '--data-dir', c.dataDir])).stdout).toMatch(new RegExp(`peeking +${near.home} \\(read only\\)`))
    const seen = await until('c to read the peeked cell', async () => postIn(c, near.home, 'ferry is late again'))

    // refused by the node (PeekOnlyError, ERR_PEEK_ONLY); the control API answers 409 with its message
    const [refused, reply] = await sandbox.runEach([['post', near.home, 'not from here', '--data-dir', c.dataDir], ['reply', seen.id, 'nor this', '--data-dir', c.dataDir]])
    // the node's words, then the CLI's command for this data dir (the client adds it: the node names none)
    expect(refused!.code).not.toBe(0)
    expect(refused!.stderr).toBe(`murmur: ${near.home} is only peeked at: join it to post, reply or vote there (\`murmur join ${near.home} --data-dir ${c.dataDir}\`)\n`)
    expect(reply!.code).not.toBe(0)
    expect(reply!.stderr).toContain(`only peeked at: join it to post, reply or vote there (\`murmur join ${near.home} --data-dir ${c.dataDir}\`)`)
    expect(await postIn(c, near.home, 'not from here')).toBeUndefined()

    const left = await json<{ peeked: string[] }>(['peek', near.home, '--leave', '--data-dir', c.dataDir])
    expect(left.peeked).toEqual([])
  }, 4 * SPREAD)

  it('says what is wrong with coordinates, a radius or a place', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['join', '--near', '57.05', '--data-dir', a.dataDir], /LAT,LON/],
      [['join', '--near', '91,10', '--data-dir', a.dataDir], /latitude/],
      [['join', '--near', HARBOUR, '--radius', '5mi', '--data-dir', a.dataDir], /m or km/],
      [['join', '--near', HARBOUR, '--radius', '500km', '--data-dir', a.dataDir], /100 m to 100 km/],
      [['join', '--near', HARBOUR, '--level', '3', '--data-dir', a.dataDir], /2, 4, 5, 6/],
      [['peek', 'geo:u4pa', '--data-dir', a.dataDir], /bad place/]
    ]
    const results = await sandbox.runEach(cases.map(([args]) => args))
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i]!
      expect(result.code, args.join(' ')).not.toBe(0)
      expect(result.stderr).toMatch(message)
    }
  })
})
