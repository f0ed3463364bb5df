/**
 * What a person sees when something is wrong: one clear line on stderr, a stable exit code, no stack
 * trace (unless DEBUG is set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

const UNKNOWN_ID = '00'.repeat(32)
describe('murmur errors', () => {
  let sandbox: Sandbox

  beforeAll(async () => {
    sandbox = await Sandbox.create()
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('says the daemon is not running and how to start it, exit 3', async () => {
    const dataDir = sandbox.dir('nothing-here')
    const commands = [['status'], ['feed', 'lobby'], ['post', 'lobby', 'hi'], ['peers'], ['watch', 'lobby']]
    const results = await sandbox.runEach(commands.map((args) => [...args, '--data-dir', dataDir]))
    for (const [i, result] of results.entries()) {
      expect(result.code, commands[i]!.join(' ')).toBe(3)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe(`murmur: no murmur daemon is running for ${dataDir} (no live ${dataDir}/api.json); start one with \`murmur daemon --data-dir ${dataDir}\`\n`)
    }
  })

  it('refuses bad arguments before contacting any daemon, exit 2', async () => {
    const dataDir = sandbox.dir('nothing-here')
    const cases: Array<[string[], string]> = [
      [['post', 'bad channel!', 'hi'], 'murmur: bad channel name "bad channel!"'],
      [['post', 'lobby', 'x'.repeat(3000)], 'murmur: the text is too long: 3000 bytes, at most 2048 are allowed'],
      [['post', 'lobby', '   '], 'murmur: the text is empty'],
      [['reply', 'abc', 'hi'], 'murmur: post id prefix "abc" is too short: give at least 4 hex characters of the id'],
      [['vote', UNKNOWN_ID, 'sideways'], 'murmur: bad vote "sideways": expected up or down'],
      [['thread', 'zz'], 'murmur: bad post id "zz"']
    ]
    const results = await sandbox.runEach(cases.map(([args]) => [...args, '--data-dir', dataDir]))
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i]!
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr.startsWith(message), result.stderr).toBe(true)
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    }
  })

  it('reports unknown commands and options through commander, exit 2', async () => {
    const [unknown, limit, sort, missing] = await sandbox.runEach([['frobnicate'], ['feed', 'lobby', '--limit', '0'], ['feed', 'lobby', '--sort', 'old'], ['vote']])
    expect(unknown!.code).toBe(2)
    expect(unknown!.stderr).toContain("error: unknown command 'frobnicate'")
    expect(limit!.code).toBe(2)
    expect(limit!.stderr).toContain("error: option '--limit <n>' argument '0' is invalid. expected a positive integer")
    expect(sort!.code).toBe(2)
    expect(sort!.stderr).toContain('Allowed choices are hot, new, top')
    // (a text left out is read from stdin: cli-private-args.test)
    expect(missing!.code).toBe(2)
    expect(missing!.stderr).toContain("error: missing required argument 'post-id'")
  })

  it('prints help for every command, exit 0', async () => {
    const commands = ['init', 'daemon', 'chat', 'post', 'reply', 'vote', 'feed', 'thread', 'watch', 'join', 'leave', 'peers', 'status']
    const results = await sandbox.runEach(commands.map((command) => [command, '--help']))
    for (const [i, command] of commands.entries()) {
      const result = results[i]!
      expect(result.code, command).toBe(0)
      expect(result.stdout).toContain(`Usage: murmur ${command}`)
    }
  })

  it('refuses a stamp or proof-of-work difficulty below the network\'s on a public address before it starts, exit 2', async () => {
    // one at a time: both create the data dir's identity before they refuse
    for (const flag of [['--stamp-bits', '2'], ['--pow-bits', '8']]) {
      const result = await sandbox.run(['daemon', '--data-dir', sandbox.dir('weak'), '--listen', '/ip4/0.0.0.0/tcp/0', '--no-mdns', ...flag])
      expect(result.code, flag[0]).toBe(2)
      expect(result.stderr, flag[0]).toMatch(/^murmur: .* is below the network's \d+: peers on the public network reject such/m)
    }
    const bad = await sandbox.run(['daemon', '--data-dir', sandbox.dir('weak'), '--stamp-bits', 'ten'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("error: option '--stamp-bits <bits>' argument 'ten' is invalid. expected an integer between 0 and 64")
  })

  it('refuses to chat without a terminal, exit 2', async () => {
    const result = await sandbox.run(['chat', '--data-dir', sandbox.dir('nothing-here')])
    expect(result.code).toBe(2)
    // the hint is a command for the data dir in use, ready to paste
    expect(result.stderr).toBe(`murmur: murmur chat needs a terminal; in scripts read with \`murmur watch lobby --data-dir ${sandbox.dir('nothing-here')}\` and write with murmur post (the same --data-dir)\n`)
  })

  describe('with a daemon', () => {
    let daemon: Daemon

    beforeAll(async () => {
      daemon = await sandbox.daemon('d')
    })

    it('says which post is unknown, exit 1, without a stack trace', async () => {
      const reply = await sandbox.run(['reply', UNKNOWN_ID, 'hi', '--data-dir', daemon.dataDir])
      expect(reply.code).toBe(1)
      expect(reply.stderr).toBe(`murmur: post ${UNKNOWN_ID} is not in the local store (never received, or expired)\n`)
      const thread = await sandbox.run(['thread', UNKNOWN_ID, '--data-dir', daemon.dataDir])
      expect(thread.code).toBe(1)
      expect(thread.stderr).toBe(`murmur: no thread ${UNKNOWN_ID} in the local store (never received, or expired)\n`)
    })

    it('shows the stack trace only when DEBUG is set', async () => {
      const result = await sandbox.run(['vote', UNKNOWN_ID, 'up', '--data-dir', daemon.dataDir], { DEBUG: 'murmur:nothing' })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^murmur: post 0{64} is not in the local store/)
      expect(result.stderr).toContain('ApiError')
      expect(result.stderr).toMatch(/\n\s+at /)
    })

    it('refuses a second daemon on the same data dir', async () => {
      const second = await sandbox.run(['daemon', '--data-dir', daemon.dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'])
      expect(second.code).toBe(1)
      expect(second.stderr).toContain(`murmur: a murmur daemon already runs for ${daemon.dataDir} (pid ${daemon.proc.child.pid ?? ''})`)
    })
  })
})
