/**
 * What another user of the machine sees of a post (issue 12, Low 13): a command's arguments are in
 * /proc/<pid>/cmdline, readable by every local user while the client waits for the daemon's proof of
 * work. `murmur post|reply|vote` read the text, and the post replied to or voted on, from stdin or a
 * file; against a real daemon, their command lines carry none of it, and what they read is posted.
 */
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

interface Run { code: number | null, stdout: string, stderr: string, cmdline: string }

/**
 * Runs `murmur ...args` with `input` on its stdin (undefined: stdin is /dev/null), reading its
 * /proc/<pid>/cmdline (what `ps` shows every local user) while it waits for that input.
 */
async function runWithInput (sandbox: Sandbox, args: string[], input?: string): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { env: sandbox.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  // 'spawn' comes once the exec is done: from then on cmdline is murmur's, and the client waits for its input
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
  const cmdline = input === undefined ? '' : (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).replaceAll('\0', ' ')
  child.stdin?.end(input)
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
  const code = await exited
  clearTimeout(timer)
  return { code, stdout, stderr, cmdline }
}

describe('murmur post, reply and vote with their text on stdin', () => {
  let sandbox: Sandbox
  let daemon: Daemon

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    daemon = await sandbox.daemon('a', ['--no-local-rendezvous'])
  }, 120_000)

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  const dataDir = (): string[] => ['--json', '--data-dir', daemon.dataDir]

  it('post lobby -: the body is posted, and the command line does not carry it', async () => {
    const body = 'meet at the north gate, 9pm\nsecond line'
    const posted = await runWithInput(sandbox, ['post', 'lobby', '-', ...dataDir()], `${body}\n`)
    expect(posted.code, posted.stderr).toBe(0)
    expect(posted.cmdline).toContain(BIN)
    expect(posted.cmdline).not.toContain('north gate')
    const { id } = JSON.parse(posted.stdout) as { id: string }
    const shown = await sandbox.run(['thread', id, ...dataDir()])
    expect(shown.code, shown.stderr).toBe(0)
    expect((JSON.parse(shown.stdout) as { posts: Array<{ body: string }> }).posts[0]?.body).toBe(body)
  })

  it('a text left out is read from a stdin that is not a terminal, or from --file', async () => {
    const piped = await runWithInput(sandbox, ['post', 'lobby', ...dataDir()], 'piped without a dash')
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.cmdline).not.toContain('piped without')
    const file = sandbox.dir('note.txt')
    await writeFile(file, 'read from a file\n', { mode: 0o600 })
    const filed = await sandbox.run(['post', 'lobby', '--file', file, ...dataDir()])
    expect(filed.code, filed.stderr).toBe(0)
    const feed = await sandbox.run(['feed', 'lobby', ...dataDir()])
    const bodies = (JSON.parse(feed.stdout) as { posts: Array<{ body: string }> }).posts.map((post) => post.body)
    expect(bodies).toEqual(expect.arrayContaining(['piped without a dash', 'read from a file']))
  })

  it('reply - and vote - read the post id too: the command line names neither the thread nor the vote', async () => {
    const root = JSON.parse((await sandbox.run(['post', 'lobby', 'a root to answer', ...dataDir()])).stdout) as { id: string }
    const prefix = root.id.slice(0, 12)
    const replied = await runWithInput(sandbox, ['reply', '-', ...dataDir()], `${prefix}\nan answer nobody\nsees in ps\n`)
    expect(replied.code, replied.stderr).toBe(0)
    expect(replied.cmdline).not.toContain(prefix)
    expect(replied.cmdline).not.toContain('answer nobody')
    const voted = await runWithInput(sandbox, ['vote', '-', ...dataDir()], `${prefix}\ndown\n`)
    // without a member stamp yet the vote may be refused (exit 5); either way it was read from stdin
    expect([0, 5], voted.stderr).toContain(voted.code)
    expect(voted.cmdline).not.toContain(prefix)
    expect(voted.cmdline).not.toContain('down')
    const thread = JSON.parse((await sandbox.run(['thread', root.id, ...dataDir()])).stdout) as { posts: Array<{ body: string }> }
    expect(thread.posts.slice(1).map((reply) => reply.body)).toEqual(['an answer nobody\nsees in ps'])
  })

  it('an empty stdin is an empty text: refused with exit 2 and one line', async () => {
    const empty = await runWithInput(sandbox, ['post', 'lobby', ...dataDir()])
    expect(empty.code).toBe(2)
    expect(empty.stderr).toBe('murmur: the text is empty: nothing in it would show\n')
  })
})
