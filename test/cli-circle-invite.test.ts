/**
 * `murmur circle join` with a damaged invite (issue 15: "a tampered or truncated invite gives a clear
 * one-line error and changes nothing"): each mangling a copy-paste or an attacker makes is refused by
 * the built CLI with one line naming its ERR_INVITE_* code and exit code 8, before any daemon is asked:
 * the data dir is not even created. An invite is the circle's key: `circle join -` reads it from stdin,
 * and its command line (what `ps` shows every local user) does not carry it. The spelling `circle:NAME`
 * is read the same way by every command, and a channel name is never taken for it.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { blake2b } from '@noble/hashes/blake2.js'
import { INVITE_PREFIX, encodeInvite, generateCircleSecret, generateInviteSeed, generateMemberKeys } from '@murmur/protocol'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseChannel } from '../packages/cli/src/commands/options.ts'
import { BIN, Sandbox } from './cli-harness.ts'

/** The exit code of a damaged invite. */
const EXIT_BAD_INVITE = 8

/** A valid invite of a fresh circle, with a name and a bootstrap hint. */
function validInvite (): string {
  return encodeInvite({
    secret: generateCircleSecret(),
    generation: 0,
    owner: generateMemberKeys().ring.publicKey,
    inviteSeed: generateInviteSeed(),
    minRing: 3,
    name: 'book club',
    hints: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo']
  })
}

/** The invite rewritten with another format version and a checksum that matches (a newer Murmur's invite). */
function otherVersion (invite: string): string {
  const bytes = fromString(invite.slice(INVITE_PREFIX.length), 'base32upper')
  const payload = bytes.slice(0, bytes.byteLength - 4)
  payload[0] = 2
  const sum = blake2b(new Uint8Array([...new TextEncoder().encode('murmur/v2/circle/invite-checksum'), ...payload]), { dkLen: 32 }).subarray(0, 4)
  return INVITE_PREFIX + toString(new Uint8Array([...payload, ...sum]), 'base32upper')
}

/** A base32 character other than `c`. */
const otherChar = (c: string): string => c === 'A' ? 'B' : 'A'

describe('murmur circle join with a damaged invite', () => {
  let sandbox: Sandbox
  const invite = validInvite()
  const body = invite.slice(INVITE_PREFIX.length)
  const middle = Math.floor(body.length / 2)

  beforeAll(async () => {
    sandbox = await Sandbox.create()
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  const manglings: Array<[string, string, string]> = [
    ['one character changed', INVITE_PREFIX + body.slice(0, middle) + otherChar(body[middle]!) + body.slice(middle + 1), 'ERR_INVITE_CHECKSUM'],
    ['the last character changed', INVITE_PREFIX + body.slice(0, -1) + otherChar(body.at(-1)!), 'ERR_INVITE_CHECKSUM'],
    ['one character dropped', INVITE_PREFIX + body.slice(0, middle) + body.slice(middle + 1), 'ERR_INVITE_'],
    ['one character doubled', INVITE_PREFIX + body.slice(0, middle) + body[middle]! + body.slice(middle), 'ERR_INVITE_'],
    ['cut in half', invite.slice(0, INVITE_PREFIX.length + middle), 'ERR_INVITE_TRUNCATED'],
    ['its last 8 characters cut', invite.slice(0, -8), 'ERR_INVITE_TRUNCATED'],
    ['its prefix missing', body, 'ERR_INVITE_FORMAT'],
    ['a character outside base32', INVITE_PREFIX + body.slice(0, middle) + '0' + body.slice(middle + 1), 'ERR_INVITE_FORMAT'],
    ['another format version', otherVersion(invite), 'ERR_INVITE_VERSION']
  ]

  for (const [what, mangled, code] of manglings) {
    it(`${what}: one line with ${code}, exit code ${EXIT_BAD_INVITE}, nothing created`, async () => {
      const dataDir = sandbox.dir(`never-${what.replace(/\W+/g, '-')}`)
      const result = await sandbox.run(['circle', 'join', mangled, '--data-dir', dataDir])
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(new RegExp(`^murmur: not joined: [^\\n]+ \\(${code}[A-Z_]*\\)\\n$`))
      expect(result.code).toBe(EXIT_BAD_INVITE)
      // refused before any daemon was looked for: not even the data dir was made
      expect(existsSync(dataDir)).toBe(false)
    })
  }

  it('the intact invite passes the same check (it gets as far as looking for the daemon: exit code 3)', async () => {
    // wrapped as a terminal or a chat wraps it: whitespace and line breaks are forgiven
    const wrapped = invite.replace(/(.{40})/g, '$1\n ').toLowerCase()
    const result = await sandbox.run(['circle', 'join', wrapped, '--data-dir', sandbox.dir('no-daemon')])
    expect(result.stderr).toMatch(/^murmur: no murmur daemon is running for /)
    expect(result.code).toBe(3)
  })

  it('circle join -: the invite comes from stdin, and the command line does not carry it', async () => {
    const child = spawn(process.execPath, [BIN, 'circle', 'join', '-', '--data-dir', sandbox.dir('stdin')], { env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    // 'spawn' comes once the exec is done: from then on cmdline is murmur's, and it waits for its input
    await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
    const cmdline = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).replaceAll('\0', ' ')
    child.stdin.end(`${invite}\n`)
    const code = await exited
    expect(cmdline).toContain(`${BIN} circle join -`)
    expect(cmdline).not.toContain(body.slice(0, 16))
    // read and checked (a damaged one would exit 8): it got as far as looking for the daemon
    expect(stderr).toMatch(/^murmur: no murmur daemon is running for /)
    expect(code).toBe(3)
  })

  it('circle:NAME names a circle wherever a channel is taken, and no channel name reads as one', () => {
    expect(parseChannel('circle:book club')).toBe('circle:book club')
    expect(parseChannel(' Circle:friends ')).toBe('circle:friends')
    expect(parseChannel('circle')).toBe('#circle')
    expect(parseChannel('#circle')).toBe('#circle')
    expect(() => parseChannel('circle:')).toThrow(/needs the circle's name/)
    // a circle's wire channel is never typed: circle:<32 hex> is a local name too
    expect(parseChannel('circle:00112233445566778899aabbccddeeff')).toBe('circle:00112233445566778899aabbccddeeff')
  })
})
