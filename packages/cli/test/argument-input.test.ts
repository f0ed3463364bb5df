/**
 * Arguments read from stdin or a file, which other users of the machine cannot see in `ps` (issue 12,
 * Low 13): `-` reads an argument and the ones after it, one a line; a text left out comes from
 * `--file`, else from stdin when it is not a terminal; an input too long or not UTF-8 is refused.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_INPUT_BYTES, commandArguments } from '../src/argument-input.js'

/** A stdin giving `chunks`; a terminal when `tty`. */
function stdin (chunks: Array<string | Uint8Array>, tty = false): Readable & { isTTY?: boolean } {
  return Object.assign(Readable.from(chunks.map((c) => typeof c === 'string' ? Buffer.from(c) : Buffer.from(c))), { isTTY: tty })
}

const usage = (message: string): unknown => expect.objectContaining({ name: 'UsageError', code: 'ERR_USAGE', message: expect.stringContaining(message) })

describe('commandArguments', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'murmur-input-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('takes arguments as typed when none is - or left out, and reads nothing', async () => {
    const never = stdin([])
    never.on('data', () => { throw new Error('read stdin') })
    expect(await commandArguments(['channel', 'text'], ['lobby', 'hi'], { stdin: never })).toEqual(['lobby', 'hi'])
  })

  it('- reads the text from stdin, without the final line breaks an echo adds, keeping the rest exact', async () => {
    expect(await commandArguments(['channel', 'text'], ['lobby', '-'], { stdin: stdin(['two\n\nlines ', ' \n', '\n']) })).toEqual(['lobby', 'two\n\nlines  '])
  })

  it('- in place of an earlier argument reads it and the ones after it, one a line, the text being the rest', async () => {
    expect(await commandArguments(['post-id', 'text'], ['-', undefined], { stdin: stdin(['  9a9e \nline one\nline two\n']) })).toEqual(['9a9e', 'line one\nline two'])
    expect(await commandArguments(['post-id', 'direction'], ['-', undefined], { stdin: stdin(['9a9e\nup\n']) })).toEqual(['9a9e', 'up'])
    // lines that are not there are empty: the argument checks refuse them
    expect(await commandArguments(['post-id', 'direction'], ['-', undefined], { stdin: stdin(['9a9e']) })).toEqual(['9a9e', ''])
  })

  it('refuses an argument typed after -, and - with --file', async () => {
    await expect(commandArguments(['post-id', 'text'], ['-', 'hi'], { stdin: stdin([]) })).rejects.toEqual(usage('leave out the text'))
    await expect(commandArguments(['channel', 'text'], ['lobby', '-'], { stdin: stdin([]), file: 'x' })).rejects.toEqual(usage('not both'))
  })

  it('reads a text left out from stdin when it is not a terminal, and refuses to wait on a terminal', async () => {
    expect(await commandArguments(['channel', 'text'], ['lobby', undefined], { stdin: stdin(['piped\n']) })).toEqual(['lobby', 'piped'])
    await expect(commandArguments(['channel', 'text'], ['lobby', undefined], { stdin: stdin([], true) })).rejects.toEqual(usage('missing the text: give it, or - to read it from stdin'))
  })

  it('reads a text left out from --file; refuses a text given twice and a file that cannot be read', async () => {
    const file = join(dir, 'note.txt')
    await writeFile(file, 'from a file\n')
    expect(await commandArguments(['channel', 'text'], ['lobby', undefined], { file, stdin: stdin([], true) })).toEqual(['lobby', 'from a file'])
    await expect(commandArguments(['channel', 'text'], ['lobby', 'hi'], { file })).rejects.toEqual(usage('not both'))
    await expect(commandArguments(['channel', 'text'], ['lobby', undefined], { file: join(dir, 'missing') })).rejects.toEqual(usage('no such file'))
  })

  it('refuses an input longer than MAX_INPUT_BYTES without reading it to its end, and one that is not UTF-8', async () => {
    let pulled = 0
    const endless = Object.assign(new Readable({ read () { pulled++; this.push(Buffer.alloc(1024, 0x61)) } }), { isTTY: false })
    await expect(commandArguments(['channel', 'text'], ['lobby', '-'], { stdin: endless })).rejects.toEqual(usage(`more than ${MAX_INPUT_BYTES} bytes`))
    expect(pulled).toBeLessThan(MAX_INPUT_BYTES / 1024 + 20)
    await expect(commandArguments(['channel', 'text'], ['lobby', '-'], { stdin: stdin([new Uint8Array([0x68, 0xff, 0x69])]) })).rejects.toEqual(usage('not UTF-8'))
  })
})
