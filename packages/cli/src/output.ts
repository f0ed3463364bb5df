/**
 * What commands print: JSON with `--json`, text for people otherwise. Either way, text from the
 * network cannot reach the terminal raw: the text goes through displayText, the JSON escapes what
 * JSON.stringify leaves raw.
 */
import { timeLeft } from '@murmur/protocol'
import { forkedNote } from './circle-text.js'
import { DEFAULT_COLUMNS, age, bodyLines, columns, memberMark, nameOf } from './text.js'
import type { PostView } from './api-types.js'

// What JSON.stringify leaves raw inside strings although a terminal acts on it or hides it: DEL and
// C1 controls (an 8-bit CSI), bidi controls, separators, zero-width and other invisible characters.
// JSON's own syntax is ASCII, so these only occur in strings, where a four-hex-digit \u escape means the same.
const RAW_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu

/**
 * JSON text of `value` that is safe to print on a terminal and parses to the same value.
 *
 * @example
 * ```ts
 * terminalJson({ body: 'a\u202eb' }) // '{"body":"a\\u202eb"}'
 * ```
 */
export function terminalJson (value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(RAW_IN_JSON, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''))
}

/** Where a command prints, and how. */
export class Output {
  readonly json: boolean
  private readonly stdout: NodeJS.WriteStream
  private readonly stderr: NodeJS.WriteStream
  private progressShown = false

  constructor (json: boolean, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr) {
    this.json = json
    this.stdout = stdout
    this.stderr = stderr
  }

  /** Columns of the terminal printed to: its width, else COLUMNS, else DEFAULT_COLUMNS (80). */
  get columns (): number {
    const fromEnv = Number(process.env.COLUMNS)
    if (this.stdout.isTTY === true && this.stdout.columns > 0) return this.stdout.columns
    return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_COLUMNS
  }

  /**
   * Prints a command's result: `value` as JSON with `--json`, else the text `human()` returns.
   *
   * @example
   * ```ts
   * out.result({ id }, () => `posted ${id}`)
   * ```
   */
  result (value: unknown, human: () => string): void {
    this.clearProgress()
    this.stdout.write(this.json ? `${terminalJson(value, 2)}\n` : `${human()}\n`)
  }

  /**
   * Prints one item of a stream: one JSON object per line with `--json`, else the text.
   *
   * @example
   * ```ts
   * out.item(post, () => formatPost(post))
   * ```
   */
  item (value: unknown, human: () => string): void {
    this.clearProgress()
    this.stdout.write(this.json ? `${terminalJson(value)}\n` : `${human()}\n`)
  }

  /**
   * A note for people, on stderr (never in the way of `--json` output on stdout).
   *
   * @example
   * ```ts
   * out.note('connecting… 0 peers')
   * ```
   */
  note (text: string): void {
    this.clearProgress()
    this.stderr.write(`${text}\n`)
  }

  /**
   * A progress line on stderr that the next one replaces; shown only on a terminal.
   *
   * @example
   * ```ts
   * out.progress('mining proof of work: 12,288 hashes')
   * ```
   */
  progress (text: string): void {
    if (this.stderr.isTTY !== true) {
      return
    }
    this.stderr.write(`\r\u001b[K${text}`)
    this.progressShown = true
  }

  /** Removes the progress line. */
  clearProgress (): void {
    if (this.progressShown) {
      this.stderr.write('\r\u001b[K')
      this.progressShown = false
    }
  }
}

/**
 * A post as text lines: id, counters, age, time left (until every node deletes it), name and mark
 * (`member` or `unverified`, see memberMark) on the first (all but the id indented on a second line
 * when they do not fit in `width` columns), the body below, wrapped and indented (see bodyLines: a
 * body cannot pass for a header). Only a post's first line starts in the first column.
 *
 * @example
 * ```ts
 * formatPost(view, undefined, out.columns)
 * ```
 */
export function formatPost (post: PostView, now = Math.floor(Date.now() / 1000), width = DEFAULT_COLUMNS): string {
  const head = [post.id]
  if (post.kind === 'VOTE') {
    head.push(`${post.vote > 0 ? '▲ upvote' : '▼ downvote'} of ${post.parent ?? '?'}`, age(post.created, now), memberMark(post))
    return head.join('  ')
  }
  head.push(`${post.score >= 0 ? '+' : ''}${post.score}`, `${post.replies} ${post.replies === 1 ? 'reply' : 'replies'}`, age(post.created, now), timeLeft(post.expires, now))
  if (post.kind === 'REPLY') {
    head.push(post.op ? 'reply (OP)' : 'reply')
  }
  head.push(nameOf(post.pseudonym), memberMark(post))
  const forked = forkedNote(post)
  // an own circle post lost in a fork: marked in the head, and how to post it again under the body
  if (forked !== undefined) head.push('NOT DELIVERED')
  const [id, ...meta] = head
  const header = columns(head.join('  ')) <= width ? [head.join('  ')] : [id, `  ${meta.join('  ')}`]
  return [...header, ...bodyLines(post.body, width, '    '), ...(forked === undefined ? [] : [`  ${forked}`])].join('\n')
}

/**
 * A list of posts as text for a terminal of `width` columns, separated by blank lines, or `empty`
 * when there are none.
 *
 * @example
 * ```ts
 * formatPosts(posts, 'no posts in #lobby yet', out.columns)
 * ```
 */
export function formatPosts (posts: PostView[], empty: string, width = DEFAULT_COLUMNS): string {
  return posts.length === 0 ? empty : posts.map((post) => formatPost(post, undefined, width)).join('\n\n')
}
