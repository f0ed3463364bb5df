/**
 * `murmur chat` in a real 80x24 terminal (tmux): two chats on one machine find each other with no
 * address given, posts and replies travel, /help renders, mining is cancellable, and the chat drives
 * a running daemon when there is one, and shows the daemon's member stamp mint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HIDDEN, HOSTILE_BODY, NAME, Sandbox, TEST_STAMP_BITS, Tmux } from './cli-harness.ts'

/** The time left of a post of a day's lifetime just made (its `created` is 0..119 s before it was). */
const DAY_LEFT = '(23h|1d) left'

const CHAT = ['chat', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--pow-bits', '8', '--stamp-bits', String(TEST_STAMP_BITS)]

describe('murmur chat', () => {
  let sandbox: Sandbox
  let tmux: Tmux

  beforeEach(async () => {
    sandbox = await Sandbox.create()
    tmux = new Tmux(sandbox.env)
  })

  afterEach(async () => {
    await tmux?.kill()
    await sandbox?.cleanup()
  })

  it('two chats without a daemon find each other through the local rendezvous and chat', async () => {
    // no --bootstrap: each chat runs its own node and finds the other in the shared rendezvous dir
    await tmux.start('one', [...CHAT, '--data-dir', sandbox.dir('one')])
    await tmux.waitForScreen('one', (s) => s.includes('#lobby: no posts yet'))
    await tmux.start('two', [...CHAT, '--data-dir', sandbox.dir('two')])
    for (const name of ['one', 'two']) {
      await tmux.waitForScreen(name, (s) => s.includes('● 1 peer, 1 in #lobby'))
    }

    await tmux.type('one', 'hello from the first terminal')
    const two = await tmux.waitForScreen('two', (s) => s.includes('hello from the first terminal'))
    // every post carries its mark: a chat's own node mints no stamp, so its posts are unverified
    expect(two).toMatch(new RegExp(`\\[1\\] \\d\\d:\\d\\d ${NAME} unverified · ${DAY_LEFT}\\n {4}hello from the first terminal`))

    await tmux.type('two', '/reply 1 hi back from the second')
    await tmux.waitForScreen('one', (s) => s.includes('hi back from the second'))
    await tmux.type('one', '/reply 1 glad you are here')
    const one = await tmux.waitForScreen('one', (s) => s.includes('glad you are here') && s.includes('(2↩)'))
    // the author's own reply carries the OP mark, the other's does not
    expect(one).toMatch(new RegExp(`\\[2\\] \\d\\d:\\d\\d ↳\\[1\\] ${NAME} unverified · ${DAY_LEFT}\\n {6}hi back from the second`))
    expect(one).toMatch(new RegExp(`\\[3\\] \\d\\d:\\d\\d ↳\\[1\\] ${NAME} OP unverified · ${DAY_LEFT}\\n {6}glad you are here`))

    // only members vote, and a chat's own node mints no stamp: the header says so, a vote is refused with what to do
    expect((await tmux.waitForScreen('two', (s) => s.includes('not a member'))).split('\n')[0]).toMatch(/ not a member\s*$/)
    await tmux.type('two', '/vote 1 up')
    await tmux.waitForScreen('two', (s) => s.replace(/\s+/g, ' ').includes(`not voted: only members' votes count, and this chat's own node mints no member stamp; run \`murmur daemon --data-dir ${sandbox.dir('two')}\`, and the chat uses it`))

    await tmux.type('two', '/help')
    const help = await tmux.waitForScreen('two', (s) => s.includes('/vote <n> up|down') && s.includes('readers let stand'))
    expect(help).toContain('only members\' votes count')
    for (const line of ['/join <channel>', '/reply <n> <text>', '/thread <n>', '/help']) {
      expect(help).toContain(line)
    }
    const rows = help.replace(/\n$/, '').split('\n')
    expect(rows).toHaveLength(24)
    expect(Math.max(...rows.map((row) => [...row].length))).toBeLessThanOrEqual(80)
    expect(rows[0]).toContain(' murmur  #lobby  ● 1 peer, 1 in #lobby  own node')
    expect(rows[23]).toMatch(/^#lobby>/)

    await tmux.keys('one', 'C-d')
    await tmux.type('two', '/quit')
    await waitGone(tmux, 'one')
    await waitGone(tmux, 'two')
  }, 180_000)

  it('shows mining progress and cancels it with Ctrl-C', async () => {
    await tmux.start('slow', ['chat', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--pow-bits', '40', '--data-dir', sandbox.dir('slow')])
    await tmux.waitForScreen('slow', (s) => s.includes('#lobby: no posts yet'))
    await tmux.type('slow', 'this takes forever')
    // 40 bits, and more for a post without a member stamp (unverified)
    await tmux.waitForScreen('slow', (s) => /mining proof of work \(4\d bits\): [\d,]+ hashes · Ctrl-C cancels/.test(s))
    await tmux.keys('slow', 'C-c')
    const screen = await tmux.waitForScreen('slow', (s) => s.includes('cancelled: nothing was posted'))
    expect(screen).not.toContain('mining proof of work')
    expect(await tmux.alive('slow')).toBe(true)
    await tmux.keys('slow', 'C-c')
    await waitGone(tmux, 'slow')
  })

  it('shows the daemon\'s member stamp mint as a progress line, and murmur status shows it too', async () => {
    // 20 bits: a million expected Argon2id evaluations, so the mint is still running while the test
    // looks (the chance that it ends within the test's first few hundred is below 1 in 2,000)
    const daemon = await sandbox.daemon('minting', ['--stamp-bits', '20'])
    await tmux.start('chat', ['chat', '--data-dir', daemon.dataDir])
    const screen = await tmux.waitForScreen('chat', (s) => /minting stamp ▕[█░]{10}▏ \d+% · about \d+ (s|min|h) left · then your votes count/.test(s))
    expect(screen).not.toMatch(HIDDEN)
    const status = await sandbox.run(['status', '--data-dir', daemon.dataDir])
    expect(status.stdout).toMatch(/^member {4}not yet$/m)
    expect(status.stdout).toMatch(/^minting {3}a stamp: \d+% of the expected work \([\d,]+ of 1,048,576 evaluations\), about \d+ (s|min|h) left$/m)
    await tmux.keys('chat', 'C-d')
    await waitGone(tmux, 'chat')
  })

  it('drives the running daemon and shows what other nodes post', async () => {
    const [daemon, other] = await sandbox.daemonPair('d', 'e')
    await tmux.start('chat', ['chat', '--data-dir', daemon.dataDir])
    await tmux.waitForScreen('chat', (s) => s.includes('● 1 peer, 1 in #lobby  daemon'))
    const posted = await sandbox.run(['post', 'lobby', 'posted from another node', '--data-dir', other.dataDir])
    expect(posted.code).toBe(0)
    await tmux.waitForScreen('chat', (s) => s.includes('posted from another node'))
    // hostile text: nothing hidden reaches the terminal, 30 blank lines take one row
    expect((await sandbox.run(['post', 'lobby', HOSTILE_BODY, '--data-dir', other.dataDir])).code).toBe(0)
    const hostile = await tmux.waitForScreen('chat', (s) => s.includes('\n    end\n'))
    expect(hostile).not.toMatch(HIDDEN)
    const rows = hostile.split('\n')
    const first = rows.findIndex((row) => row.startsWith('    leftright'))
    // the other daemon mints (at TEST_STAMP_BITS): its post is a member's once it signs, unverified before
    expect(rows[first - 1]).toMatch(new RegExp(`^\\[\\d\\] \\d\\d:\\d\\d ${NAME} (unverified|member) · ${DAY_LEFT}$`))
    expect(rows.slice(first, first + 5)).toEqual(['    leftrightiso line', '    sep', '    para zerowidthjoin bomsofthyphen [31mred2Jfill', '', '    end'])
    const watch = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', other.dataDir])
    await watch.waitForStderr((line) => line.startsWith('watching #lobby'))
    await tmux.type('chat', 'and an answer typed in the chat')
    const seen = JSON.parse(await watch.waitForLine((line) => line.includes('and an answer typed in the chat'))) as { kind: string, channel: string }
    expect(seen).toMatchObject({ kind: 'POST', channel: '#lobby' })
    await tmux.waitForScreen('chat', (s) => s.includes('and an answer typed in the chat'))
    // /for: the next post lives an hour (the prompt says so); the time left shown is the daemon's expiry of it
    await tmux.type('chat', '/for 1h')
    await tmux.waitForScreen('chat', (s) => s.split('\n')[23]?.startsWith('#lobby 1h>') === true)
    await tmux.type('chat', 'gone within the hour')
    await tmux.waitForScreen('chat', (s) => /· (5\dm|1h) left\n {4}gone within the hour/.test(s))
    await tmux.keys('chat', 'C-d')
    await waitGone(tmux, 'chat')
    // quitting the chat leaves the daemon running
    expect((await sandbox.run(['status', '--data-dir', daemon.dataDir])).code).toBe(0)
  }, 180_000)
})

/** Polls until the session's program has exited (tmux closes the session then). */
async function waitGone (tmux: Tmux, name: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (Date.now() < deadline) {
    if (!await tmux.alive(name)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not exit`)
}
