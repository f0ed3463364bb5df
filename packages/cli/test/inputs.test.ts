import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseChatInput } from '../src/chat/input.js'
import { ControlClient } from '../src/client.js'
import { parseChannel } from '../src/commands/options.js'
import { ensureDataDir } from '../src/files.js'

describe('channel names as typed', () => {
  it('fold case, full-width and composed forms into one channel', () => {
    // spaces around a bare name are trimmed before it becomes a #name (it was '# lobby', refused with 'try #-lobby')
    for (const typed of ['lobby', '#lobby', 'Lobby', '#LOBBY', 'ＬＯＢＢＹ', '＃ｌｏｂｂｙ', ' lobby ', '\tlobby']) expect(parseChannel(typed), JSON.stringify(typed)).toBe('#lobby')
    expect(parseChannel('cafe\u0301')).toBe('#caf\u00e9')
    expect(parseChannel('geo:u4pruy')).toBe('geo:u4pruy')
  })

  it('refuse a name with a space, in the chat too, instead of joining its first word', () => {
    const input = parseChatInput('/join Random Stuff')
    expect(input).toEqual({ type: 'join', channel: 'Random Stuff' })
    expect(() => parseChannel('Random Stuff')).toThrow('bad channel name "Random Stuff": a channel name is one word (try "#random-stuff")')
  })

  it('say the problem once, and cut long input', () => {
    let message = ''
    try {
      parseChannel('#a/b')
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toBe('bad channel name "#a/b": U+002F is a space, \'/\', \'#\', or a character drawn as nothing or blank (use #name, name, or geo:<geohash>)')
    expect(message.match(/bad channel name/g)).toHaveLength(1)
    expect(() => parseChannel('x'.repeat(500))).toThrow(/^bad channel name "x{39}…": channel name is 501 bytes, at most 64 allowed/)
  })
})

describe('a --data-dir that is a file', () => {
  let dir: string
  let file: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-inputs-'))
    file = join(dir, 'a-file')
    await writeFile(file, 'not a directory')
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is said so when creating it and when connecting to its daemon, not as EEXIST or ENOTDIR', async () => {
    for (const attempt of [ensureDataDir, ControlClient.connect]) {
      await expect(attempt(file)).rejects.toMatchObject({ name: 'DataDirError', message: `the data dir ${file} is a file, not a directory: give --data-dir a directory (it is created when missing)` })
    }
    for (const attempt of [ensureDataDir, ControlClient.connect]) {
      await expect(attempt(join(file, 'sub'))).rejects.toMatchObject({ name: 'DataDirError', message: expect.stringContaining('is inside a file, not a directory') })
    }
  })
})
