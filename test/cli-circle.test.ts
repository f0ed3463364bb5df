/**
 * Circles through two real daemons and the built `murmur` (issue 15, the CLI's part): create, invite (the
 * string and its QR code, the bootstrap hint shown and not dialed), join, members, list; a circle below
 * its minimum ring and a newcomer are refused before anything is mined (exit code 10), a damaged invite
 * and an unknown circle change nothing (8, 9); once members are past the newcomer delay (both daemons
 * restarted with their clocks a day and an hour on: the delay is the protocol's, and this test waits for no
 * day), posts, replies and votes travel and read with the member mark, one vote per member; every
 * command's `--json` shape.
 */
import { NEWCOMER_DELAY_SECONDS } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox, Tmux, clockShiftEnv } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

/** How long a frame may take to reach the other daemon (a loaded machine, a stem embargo if any), in ms. */
const SPREAD = 75_000
/** Clocks of the restarted daemons: past the newcomer delay of every member, by an hour. */
const LATER = NEWCOMER_DELAY_SECONDS + 3600
const EXIT = { CANNOT_POST: 10, BAD_INVITE: 8, UNKNOWN_CIRCLE: 9, ALREADY_VOTED: 6 }

interface Summary { name: string, generation: number, members: number, minRing: number, owner: boolean, canPost: boolean, warnings: Array<{ code: string }> }
interface Member { key: string, name?: string, joinedAt: number, inviter?: string, self: boolean, eligible: boolean }
interface Post { id: string, kind: string, body: string, member: boolean, circle?: string, score: number, replies: number, channel: string }

describe('murmur circle, two daemons', () => {
  let sandbox: Sandbox
  let tmux: Tmux
  let a: Daemon
  let b: Daemon
  let invite: string

  /** Runs murmur and parses its --json output, failing with its stderr on a non-zero exit. */
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await sandbox.run([...args, '--json'])
    if (result.code !== 0) throw new Error(`murmur ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }

  /** Polls `check` (no event reaches a separate process) until it returns a value, at most `timeout` ms. */
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeout = SPREAD): Promise<T> => {
    const deadline = Date.now() + timeout
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  const members = async (d: Daemon): Promise<Member[]> =>
    (await json<{ circle: string, members: Member[] }>(['circle', 'members', 'friends', '--data-dir', d.dataDir])).members

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    tmux = new Tmux(sandbox.env)
    ;[a, b] = await sandbox.daemonPair('a', 'b')
  }, 3 * SPREAD)

  afterAll(async () => {
    await tmux?.kill()
    await sandbox?.cleanup()
  })

  /** The screen of a tmux session as one line (the chat wraps notices at 80 columns). */
  const flat = (screen: string): string => screen.replace(/\s+/g, ' ')

  it('create: owned, one member, and says it cannot be posted in before anything is typed (alone, even the owner has a ring below the minimum)', async () => {
    const text = await sandbox.run(['circle', 'create', 'friends', '--min-ring', '2', '--data-dir', a.dataDir])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^created circle:friends {2}1 member {2}min ring 2 {2}owner {2}cannot post yet\n/)
    expect(text.stderr).toContain('circle:friends: you cannot post yet: a post would hide among 1 member, below this circle\'s minimum of 2')

    const taken = await sandbox.run(['circle', 'create', 'friends', '--data-dir', a.dataDir])
    expect(taken.stderr).toMatch(/^murmur: you have a circle named "friends" already/)
    expect(taken.code).toBe(2)

    const list = await json<{ circles: Summary[] }>(['circle', 'list', '--data-dir', a.dataDir])
    expect(list.circles).toEqual([expect.objectContaining({ name: 'friends', generation: 0, members: 1, minRing: 2, owner: true, canPost: false })])
    expect(list.circles[0]!.warnings.map((w) => w.code)).toContain('RING_BELOW_MINIMUM')

    const refused = await sandbox.run(['post', 'circle:friends', 'too early', '--data-dir', a.dataDir])
    // the owner is never a newcomer (every invite names its key), but alone its ring is below the minimum
    expect(refused.stderr).toMatch(/^murmur: not posted: circle:friends: you cannot post yet: a post would hide among 1 member, below this circle's minimum of 2 [^\n]+\n$/)
    expect(refused.stderr).not.toContain('mining')
    expect(refused.code).toBe(EXIT.CANNOT_POST)
  }, 2 * SPREAD)

  it('invite: the string, a terminal QR code, the hint; --json carries what the invite holds', async () => {
    const made = await json<{ circle: string, invite: string, expires: number, hints: string[] }>(
      ['circle', 'invite', 'friends', '--hint', a.multiaddr, '--data-dir', a.dataDir])
    expect(made.circle).toBe('friends')
    expect(made.invite).toMatch(/^MURMUR:CIRCLE:[A-Z2-7]+$/)
    expect(made.hints).toEqual([a.multiaddr])
    expect(made.expires).toBeGreaterThan(Date.now() / 1000 + 6 * 86_400)
    invite = made.invite

    const shown = await sandbox.run(['circle', 'invite', 'friends', '--data-dir', a.dataDir])
    expect(shown.code, shown.stderr).toBe(0)
    const lines = shown.stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(/^MURMUR:CIRCLE:[A-Z2-7]+$/)
    // the QR code above it: rows of half blocks (on white and black, ANSI colours), all one width
    // eslint-disable-next-line no-control-regex
    const qr = lines.slice(0, -1).map((row) => row.replace(/\u001b\[\d+m/g, ''))
    expect(qr.length).toBeGreaterThan(10)
    expect(qr.join('')).toMatch(/[▀▄█]/)
    expect(new Set(qr.map((row) => [...row].length)).size).toBe(1)
    expect(shown.stderr).toContain('send it only over a channel you trust')

    const bare = await sandbox.run(['circle', 'invite', 'friends', '--no-qr', '--data-dir', a.dataDir])
    expect(bare.stdout).toMatch(/^MURMUR:CIRCLE:[A-Z2-7]+\n$/)
  }, 2 * SPREAD)

  it('join: a damaged invite changes nothing; the hint is shown, not dialed; the newcomer may not post yet', async () => {
    const before = await json<{ circles: Summary[] }>(['circle', 'list', '--data-dir', b.dataDir])
    expect(before.circles).toEqual([])
    const damaged = await sandbox.run(['circle', 'join', invite.slice(0, -6), '--data-dir', b.dataDir])
    expect(damaged.stderr).toMatch(/^murmur: not joined: [^\n]+ \(ERR_INVITE_TRUNCATED\)\n$/)
    expect(damaged.code).toBe(EXIT.BAD_INVITE)
    expect((await json<{ circles: Summary[] }>(['circle', 'list', '--data-dir', b.dataDir])).circles).toEqual([])

    const joined = await sandbox.run(['circle', 'join', invite, '--member-name', 'bee', '--json', '--data-dir', b.dataDir])
    expect(joined.code, joined.stderr).toBe(0)
    const result = JSON.parse(joined.stdout) as { circle: Summary, hints: string[], dialed: string[] }
    expect(result.circle).toMatchObject({ name: 'friends', generation: 0, minRing: 2, owner: false, canPost: false })
    expect(result.hints).toEqual([a.multiaddr])
    expect(result.dialed).toEqual([])
    expect(joined.stderr).toContain(`  ${a.multiaddr}`)
    expect(joined.stderr).toContain('not dialed: this node keeps to its own peers')
    expect(joined.stderr).toContain('you joined less than a day ago')

    const early = await sandbox.run(['post', 'circle:friends', 'too early', '--data-dir', b.dataDir])
    expect(early.stderr).toMatch(/^murmur: not posted: circle:friends: you joined less than a day ago: [^\n]+\n$/)
    expect(early.code).toBe(EXIT.CANNOT_POST)

    const unknown = await sandbox.run(['feed', 'circle:enemies', '--data-dir', b.dataDir])
    expect(unknown.stderr).toBe('murmur: no circle "enemies" here; yours: circle:friends\n')
    expect(unknown.code).toBe(EXIT.UNKNOWN_CIRCLE)
  }, 2 * SPREAD)

  it('members: the owner\'s roster gets the newcomer, named, invited by the owner, not yet in rings', async () => {
    const roster = await until('a to see b\'s join', async () => {
      const list = await members(a)
      return list.length === 2 ? list : undefined
    })
    const self = roster.find((m) => m.self)!
    const bee = roster.find((m) => !m.self)!
    expect(self.key).toMatch(/^[0-9a-f]{64}$/)
    expect(bee).toMatchObject({ name: 'bee', inviter: self.key, eligible: false, self: false })
    expect(typeof bee.joinedAt).toBe('number')
    const text = await sandbox.run(['circle', 'members', 'friends', '--data-dir', a.dataDir])
    expect(text.stdout).toContain(`  ${bee.key.slice(0, 12)}  bee  joined `)
    expect(text.stdout).toContain('invited by you  newcomer: in no ring yet')
  }, 2 * SPREAD)

  it('the chat: a newcomer sees why it cannot post before typing; its text is kept; /list and /circle', async () => {
    await tmux.start('newcomer', ['chat', 'circle:friends', '--data-dir', b.dataDir])
    // said before anything is typed: in the timeline, and on the last line
    const screen = await tmux.waitForScreen('newcomer', (s) => flat(s).includes('circle:friends: you joined less than a day ago: read now, post from') && s.includes('● 1 peer'))
    expect(screen).toContain('read only: circle:friends cannot be posted in yet')
    expect(screen.split('\n')[0]).toMatch(/^ murmur {2}circle:friends {2}● 1 peer, 2 members {2}daemon/)
    await tmux.type('newcomer', 'can anyone read this?')
    const refused = await tmux.waitForScreen('newcomer', (s) => flat(s).includes('your text is kept'))
    expect(flat(refused)).toContain('not posted: circle:friends: you joined less than a day ago')
    expect(refused.split('\n').at(-2)).toMatch(/^circle:friends> can anyone read this\?/)
    await tmux.keys('newcomer', 'C-u')
    await tmux.type('newcomer', '/list')
    const list = await tmux.waitForScreen('newcomer', (s) => s.includes('channels: #lobby'))
    expect(flat(list)).toContain('circle:friends 2 members min ring 2 cannot post yet')
    await tmux.type('newcomer', '/join lobby')
    await tmux.waitForScreen('newcomer', (s) => s.split('\n')[0]!.includes(' #lobby '))
    await tmux.type('newcomer', '/circle friends')
    await tmux.waitForScreen('newcomer', (s) => s.split('\n')[0]!.includes(' circle:friends '))
    await tmux.type('newcomer', '/circle enemies')
    await tmux.waitForScreen('newcomer', (s) => flat(s).includes('no circle "enemies" here; yours: circle:friends'))
    await tmux.type('newcomer', '/quit')
  }, 2 * SPREAD)

  it('a day later: posts, replies and votes travel, read with the member mark; one vote per member', async () => {
    await Promise.all([a.proc.stop(), b.proc.stop()])
    const later = clockShiftEnv(LATER)
    a = await sandbox.daemon('a', [], later)
    b = await sandbox.daemon('b', ['--bootstrap', a.multiaddr], later)
    const ready = await json<{ circles: Summary[] }>(['circle', 'list', '--data-dir', a.dataDir])
    expect(ready.circles[0]).toMatchObject({ name: 'friends', members: 2, canPost: true })

    const posted = await sandbox.run(['post', 'circle:friends', 'hello, circle', '--json', '--data-dir', a.dataDir])
    expect(posted.code, posted.stderr).toBe(0)
    const post = JSON.parse(posted.stdout) as { id: string, ring: number }
    expect(post.ring).toBe(2)
    const text = await sandbox.run(['post', 'circle:friends', 'in words', '--data-dir', a.dataDir])
    expect(text.stdout).toContain('ring-signed among 2 members of circle:friends: none of them can tell which member you are')

    const seen = await until('b to read a\'s post', async () => {
      const feed = await json<{ channel: string, joined: boolean, posts: Post[] }>(['feed', 'circle:friends', '--data-dir', b.dataDir])
      return feed.posts.find((p) => p.id === post.id)
    })
    expect(seen).toMatchObject({ kind: 'POST', body: 'hello, circle', member: true, circle: 'friends' })
    expect(seen.channel).toMatch(/^circle:[0-9a-f]{32}$/)
    const feedText = await sandbox.run(['feed', 'circle:friends', '--data-dir', b.dataDir])
    expect(feedText.stdout).toMatch(new RegExp(`${post.id}\\s+\\+0  0 replies  .+  member\\n    hello, circle`))

    // b replies by an id prefix and votes; a reads both with the member mark
    const reply = await json<{ id: string }>(['reply', post.id.slice(0, 8), 'hi from a member', '--data-dir', b.dataDir])
    const vote = await json<{ id: string }>(['vote', post.id, 'up', '--data-dir', b.dataDir])
    const again = await sandbox.run(['vote', post.id, 'up', '--data-dir', b.dataDir])
    expect(again.code).toBe(EXIT.ALREADY_VOTED)
    expect(vote.id).toMatch(/^[0-9a-f]{64}$/)
    const thread = await until('a to read b\'s reply and vote', async () => {
      const got = await json<{ root: string, posts: Post[] }>(['thread', post.id, '--data-dir', a.dataDir])
      return got.posts.some((p) => p.id === reply.id) && got.posts[0]!.score === 1 ? got : undefined
    })
    expect(thread.posts.map((p) => [p.kind, p.member, p.circle])).toEqual([['POST', true, 'friends'], ['REPLY', true, 'friends']])
  }, 6 * SPREAD)

  it('the chat: a member reads the circle with the member mark and posts in it', async () => {
    await tmux.start('member', ['chat', 'circle:friends', '--data-dir', a.dataDir])
    const screen = await tmux.waitForScreen('member', (s) => s.includes('hello, circle'))
    // with its score and reply count: b's vote and reply
    expect(screen).toMatch(/\d\d:\d\d \S+ member \(\+1 1↩\)(?: · \S+ left)?\n {4}hello, circle/)
    expect(screen).not.toContain('read only')
    await tmux.type('member', 'said in the chat')
    await tmux.waitForScreen('member', (s) => flat(s).includes('ring-signed among 2 members of circle:friends'))
    await until('b to read the chat\'s post', async () => {
      const feed = await json<{ posts: Post[] }>(['feed', 'circle:friends', '--data-dir', b.dataDir])
      return feed.posts.find((p) => p.body === 'said in the chat' && p.member)
    })
    await tmux.type('member', '/quit')
  }, 2 * SPREAD)

  it('remove: owner only (exit 11), by a key prefix; the removed member can post no more; leave forgets the circle', async () => {
    const roster = await members(a)
    const owner = roster.find((m) => m.self)!
    const bee = roster.find((m) => !m.self)!

    const notOwner = await sandbox.run(['circle', 'remove', 'friends', owner.key.slice(0, 8), '--data-dir', b.dataDir])
    expect(notOwner.stderr).toMatch(/^murmur: not removed: only the owner of circle:friends can remove members[^\n]+\n$/)
    expect(notOwner.code).toBe(11)
    const nobody = await sandbox.run(['circle', 'remove', 'friends', 'ffff0000', '--data-dir', a.dataDir])
    expect(nobody.stderr).toBe('murmur: no member of circle:friends has a key starting with ffff0000\n')
    expect(nobody.code).toBe(2)

    const removed = await json<{ circle: Summary, removed: string[] }>(['circle', 'remove', 'friends', bee.key.slice(0, 12), '--data-dir', a.dataDir])
    expect(removed.removed).toEqual([bee.key])
    expect(removed.circle).toMatchObject({ name: 'friends', generation: 1, members: 1, owner: true })

    // the rotation reaches b on the old key: b learns it is out, and can post no more
    await until('b to see the rotation that left it out', async () => {
      const list = await json<{ circles: Array<Summary & { removed?: boolean }> }>(['circle', 'list', '--data-dir', b.dataDir])
      return list.circles[0]?.removed === true ? list : undefined
    })
    const refused = await sandbox.run(['post', 'circle:friends', 'am I still here?', '--data-dir', b.dataDir])
    expect(refused.stderr).toMatch(/^murmur: not posted: circle:friends: [^\n]+\n$/)
    expect(refused.code).toBe(EXIT.CANNOT_POST)

    const left = await json<{ circle: string, circles: Summary[] }>(['circle', 'leave', 'friends', '--data-dir', b.dataDir])
    expect(left).toEqual({ circle: 'friends', circles: [] })
    const gone = await sandbox.run(['feed', 'circle:friends', '--data-dir', b.dataDir])
    expect(gone.stderr).toBe('murmur: no circle "friends" here; you are in none yet: `murmur circle create NAME`, or `murmur circle join INVITE`\n')
    expect(gone.code).toBe(EXIT.UNKNOWN_CIRCLE)
  }, 2 * SPREAD)
})
