/**
 * `murmur chat` in a real 80x24 terminal (tmux), what it does with what the user typed and which
 * commands it suggests: a post over the body limit is refused with the limit and stays in the input
 * line to be edited (issue 16 item 8), the hints carry the --data-dir in use (item 5), and
 * `--no-local-rendezvous` keeps the chat's own node out of the user's rendezvous directory (item 9).
 */
import { readdir } from 'node:fs/promises'
import { MAX_BODY_BYTES } from '@murmur/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { rendezvousDir } from '../packages/cli/src/paths.ts'
import { Sandbox, TEST_STAMP_BITS, Tmux } from './cli-harness.ts'

const CHAT = ['chat', '--no-mdns', '--no-local-rendezvous', '--listen', '/ip4/127.0.0.1/tcp/0', '--pow-bits', '8', '--stamp-bits', String(TEST_STAMP_BITS)]

describe('murmur chat: the input line and the hints', () => {
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

  it('keeps a post that is too long, shows the limit, and suggests commands for its own data dir', async () => {
    // a data dir with a space: the hint quotes it for the shell
    const dataDir = sandbox.dir('my chat')
    await tmux.start('chat', [...CHAT, '--data-dir', dataDir])
    await tmux.waitForScreen('chat', (s) => s.includes('#lobby: no posts yet'))
    // the own node announced itself nowhere: the user's other murmur processes do not find it
    expect(await readdir(rendezvousDir(sandbox.env)).catch(() => [])).toEqual([])

    const over = 60
    const text = `${'a'.repeat(MAX_BODY_BYTES - 4)} end${'x'.repeat(over)}`
    await tmux.keys('chat', '-l', text)
    // while typing: the notice row says how far over the limit the line is
    await tmux.waitForScreen('chat', (s) => s.includes(`too long to post: ${(MAX_BODY_BYTES + over).toLocaleString('en-US')} bytes, at most ${MAX_BODY_BYTES.toLocaleString('en-US')} (${over} over)`))
    await tmux.keys('chat', 'Enter')
    const refused = await tmux.waitForScreen('chat', (s) => s.replace(/\s+/g, ' ').includes(`the text is too long: ${MAX_BODY_BYTES + over} bytes, at most ${MAX_BODY_BYTES} are allowed (your text is kept: edit it and press Enter)`))
    // the input line still holds it, cursor at its end: the prompt row shows its tail
    expect(refused.replace(/\n$/, '').split('\n')[23]).toMatch(/x{20}$/)

    // cut what is over and post the rest: it is the text typed, not a copy retyped
    for (let i = 0; i < over; i++) await tmux.keys('chat', 'BSpace')
    await tmux.waitForScreen('chat', (s) => !s.includes('too long to post'))
    await tmux.keys('chat', 'Enter')
    // posted: its body's end in the message area (its header scrolled away), the input line empty
    const posted = await tmux.waitForScreen('chat', (s) => /a+ end\n/.test(s))
    expect(posted).not.toContain('x')
    expect(posted.replace(/\n$/, '').split('\n')[23]).toMatch(/^#lobby>\s*$/)

    // a chat's own node mints no stamp: the vote hint names the daemon command for this data dir
    await tmux.type('chat', '/vote 1 up')
    await tmux.waitForScreen('chat', (s) => s.replace(/\s+/g, ' ').includes('run `murmur daemon --data-dir \'' + dataDir.replace(/\s+/g, ' ') + '\'`, and the chat uses it'))

    // an id prefix no post starts with (63 hex characters: no chance of a match) is refused and kept to be edited too
    const unknown = 'f'.repeat(63)
    await tmux.type('chat', `/thread ${unknown}`)
    const kept = await tmux.waitForScreen('chat', (s) => s.replace(/\s+/g, '').includes('inthisnode\'sstore') && s.includes('your text is kept'))
    expect(kept.replace(/\n$/, '').split('\n')[23]).toMatch(/^#lobby> \/thread f{40,}\s*$/)
    await tmux.keys('chat', 'C-d')
  }, 120_000)
})
