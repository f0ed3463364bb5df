/**
 * Arguments that other users of the machine must not see. A command's arguments are in
 * `/proc/<pid>/cmdline`, which every local user can read (`ps`) while the client waits for the
 * daemon's proof of work; its input and the files it reads are not. So `post`, `reply` and `vote` take
 * their text (and the target they link to) from stdin or a file too:
 *
 * - `-` in place of an argument reads it and every argument after it from stdin: one a line, the
 *   last one (the text) is the rest of the input;
 * - the last argument left out reads it from `--file <path>`, else from stdin when stdin is not a
 *   terminal.
 */
import { createReadStream } from 'node:fs'
import { MAX_BODY_BYTES } from '@murmur/protocol'
import { UsageError } from './errors.js'

/** The argument that reads itself, and the ones after it, from stdin. */
export const FROM_STDIN = '-'

/**
 * Most bytes read from stdin or a file: a whole text and the short lines before it. A longer input is
 * refused without being read to its end (`yes | murmur post lobby` does not fill the memory).
 */
export const MAX_INPUT_BYTES = 4 * MAX_BODY_BYTES

/** Where {@link commandArguments} reads from. */
export interface ArgumentSources {
  /** `--file <path>`: the last argument, when it is left out. */
  file?: string
  /**
   * What stdin is read from.
   *
   * @default process.stdin
   */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
}

/**
 * The arguments of a command, each as typed or read from stdin or a file (see the module comment).
 * `names` are the arguments' names, for messages; `values` what commander parsed (undefined: left out).
 *
 * @example
 * ```ts
 * // murmur reply - <<< $'9a9e\nthe text'
 * await commandArguments(['post-id', 'text'], ['-', undefined]) // ['9a9e', 'the text']
 * // murmur post lobby --file note.txt
 * await commandArguments(['channel', 'text'], ['lobby', undefined], { file: 'note.txt' }) // ['lobby', '<the file>']
 * ```
 */
export async function commandArguments (names: readonly string[], values: ReadonlyArray<string | undefined>, sources: ArgumentSources = {}): Promise<string[]> {
  const last = names.length - 1
  const lastName = names[last] ?? 'text'
  const dash = values.indexOf(FROM_STDIN)
  if (dash !== -1) {
    if (sources.file !== undefined) {
      throw new UsageError(`give the ${lastName} with - (stdin) or --file, not both`)
    }
    const after = values.slice(dash + 1).findIndex((value) => value !== undefined)
    if (after !== -1) {
      throw new UsageError(`- reads the ${names[dash] ?? 'argument'} and every argument after it from stdin: leave out the ${names[dash + 1 + after] ?? 'argument'} after it`)
    }
    const read = splitLines(await readInput(sources.stdin ?? process.stdin, 'stdin'), last - dash)
    return names.map((name, i) => i < dash ? (values[i] ?? '') : read[i - dash] ?? '')
  }
  const given = values.slice(0, last).map((value, i) => {
    if (value === undefined) throw new UsageError(`missing the ${names[i] ?? 'argument'}`)
    return value
  })
  const value = values[last]
  if (value !== undefined) {
    if (sources.file !== undefined) {
      throw new UsageError(`give the ${lastName} as an argument or with --file, not both`)
    }
    return [...given, value]
  }
  if (sources.file !== undefined) {
    return [...given, withoutFinalNewlines(await readInput(await openFile(sources.file), sources.file))]
  }
  const stdin = sources.stdin ?? process.stdin
  if (stdin.isTTY === true) {
    throw new UsageError(`missing the ${lastName}: give it, or - to read it from stdin, or --file <path> (other users of this machine can see a command's arguments, not its input)`)
  }
  return [...given, withoutFinalNewlines(await readInput(stdin, 'stdin'))]
}

/** The help line of a text argument that may come from stdin or a file. */
export function textArgumentHelp (what: string): string {
  return `${what}; - or left out (when stdin is not a terminal) reads it from stdin, --file from a file: other users of this machine can see a command's arguments (ps), not its input`
}

/**
 * `count` arguments from `input`: one a line (trimmed), the last one the rest of the input (without
 * its final line breaks). Missing lines are empty strings, which the argument checks refuse.
 */
function splitLines (input: string, lines: number): string[] {
  const out: string[] = []
  let rest = input
  for (let i = 0; i < lines; i++) {
    const end = rest.indexOf('\n')
    out.push((end === -1 ? rest : rest.slice(0, end)).trim())
    rest = end === -1 ? '' : rest.slice(end + 1)
  }
  out.push(withoutFinalNewlines(rest))
  return out
}

/** A text without the line breaks at its end (what `echo` and editors add). */
function withoutFinalNewlines (text: string): string {
  return text.replace(/(?:\r?\n)+$/, '')
}

/** A file's stream once it is open; a UsageError naming the file when it cannot be. */
async function openFile (path: string): Promise<NodeJS.ReadableStream> {
  const stream = createReadStream(path)
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => { resolve() })
    stream.once('error', (err: NodeJS.ErrnoException) => {
      reject(new UsageError(`cannot read --file ${JSON.stringify(path)}: ${err.code === 'ENOENT' ? 'no such file' : err.code ?? err.message}`, { cause: err }))
    })
  })
  return stream
}

/** The UTF-8 text of a stream, refused past MAX_INPUT_BYTES or when it is not UTF-8. */
async function readInput (stream: NodeJS.ReadableStream, what: string): Promise<string> {
  const chunks: Uint8Array[] = []
  let bytes = 0
  for await (const chunk of stream) {
    const data = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    bytes += data.byteLength
    if (bytes > MAX_INPUT_BYTES) {
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy()
      throw new UsageError(`the input from ${what} is too long: more than ${MAX_INPUT_BYTES} bytes (a text takes at most ${MAX_BODY_BYTES})`)
    }
    chunks.push(data)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch (err) {
    throw new UsageError(`the input from ${what} is not UTF-8 text`, { cause: err })
  }
}
