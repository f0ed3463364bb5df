/**
 * The chat's message area: posts numbered in the order they were shown, thread pseudonyms as
 * coloured names with OP marks and member or unverified marks, replies under their parents' numbers,
 * each post's time left; a post leaves it when it expires. Notices.
 */
import { displayLine, fromHex, pseudonymHue, timeLeft } from '@murmur/protocol'
import { MIN_ID_PREFIX } from '../constants.js'
import { UsageError } from '../errors.js'
import { idsWithPrefix, isWholeId, parsePostRef, pickPostId } from '../post-id.js'
import { forkedNote } from '../circle-text.js'
import { bodyLines, memberMark, nameOf, shortId, wrap } from '../text.js'
import type { Segment, StyledLine } from './screen.js'
import type { PostView } from '../api-types.js'

/** One item of the message area. */
export type TimelineEntry =
  | { type: 'post', id: string }
  | { type: 'notice', text: string, tone: 'info' | 'error' | 'ok' }

/** Entries (posts and notices) the message area keeps, the oldest dropped first: a bound on its memory and on what a resize re-wraps. */
export const MAX_TIMELINE_ENTRIES = 1000

/** ANSI colours around the hue circle: red, yellow, green, cyan, blue, magenta, dark then bright. */
const COLORS = [31, 91, 33, 93, 32, 92, 36, 96, 34, 94, 35, 95]

/**
 * The name of a pseudonym (a per-thread key, so names differ between threads) and a colour beside
 * it, which is decoration: the name carries 48 bits of the key, the colour only a few.
 *
 * @example
 * ```ts
 * nymOf('0b7100b7'.padEnd(64, '0')) // { name: 'kukot-dikar-hipat', color: 93 }
 * ```
 */
export function nymOf (pseudonym: string | undefined): { name: string, color: number | undefined } {
  const name = nameOf(pseudonym)
  if (pseudonym === undefined || name === 'anonymous') {
    return { name, color: undefined }
  }
  return { name, color: COLORS[Math.floor(pseudonymHue(fromHex(pseudonym)) / 30)] }
}

/**
 * The mark after a post's name (or a vote): `member` in green when stamped members ring-signed it,
 * `unverified` dimmed when it is one-time-signed. Words of plain ASCII, so their width is the same on
 * every terminal, and told apart by the word itself, not only by colour.
 *
 * @example
 * ```ts
 * markOf(post) // { text: 'unverified', dim: true }
 * ```
 */
export function markOf (post: Pick<PostView, 'member'>): Segment {
  return post.member ? { text: memberMark(post), color: 32 } : { text: memberMark(post), dim: true }
}

/** Posts and notices of the message area, with stable per-session numbers for posts. */
export class Timeline {
  private readonly entries: TimelineEntry[] = []
  private readonly posts = new Map<string, PostView>()
  private readonly numbers = new Map<string, number>()
  private readonly byNumber = new Map<number, string>()
  private readonly shown = new Set<string>()
  /** Entries of each post id in `entries` (a thread listing may show a post again). */
  private readonly entryCount = new Map<string, number>()
  /** Body rows by post id: a post's body (part of its id) never changes, only the width it is wrapped to. */
  private readonly bodies = new Map<string, { width: number, lines: StyledLine[] }>()
  /** The last render, reused until an entry, a post or the width changes (the chat redraws on every key). */
  private rendered?: { version: number, width: number, lines: StyledLine[] }
  /** Bumped by every change that can alter what `render` returns. */
  private version = 0
  /** The time the posts' time left is counted from (unix seconds), moved on by {@link tick}. */
  private now = Math.floor(Date.now() / 1000)

  /** Number of entries (posts and notices). */
  get length (): number {
    return this.entries.length
  }

  /**
   * Adds a post to the message area (once; with `again`, as part of a listing such as a thread, even when
   * it is already there), or updates its counters when it is already shown.
   *
   * @example
   * ```ts
   * timeline.addPost(view)
   * ```
   */
  addPost (post: PostView, again = false): void {
    this.remember(post)
    if (again) {
      // a listing the user asked for (a thread): show it whole, even what is already on screen
      this.push({ type: 'post', id: post.id })
    } else if (!this.shown.has(post.id)) {
      this.shown.add(post.id)
      this.push({ type: 'post', id: post.id })
    }
  }

  /** Updates what is known of a post (its score and reply count) without adding it. */
  remember (post: PostView): void {
    this.version++
    this.posts.set(post.id, post)
    if (!this.numbers.has(post.id) && post.kind !== 'VOTE') {
      const n = this.numbers.size + 1
      this.numbers.set(post.id, n)
      this.byNumber.set(n, post.id)
    }
  }

  /** Adds a line of text. */
  notice (text: string, tone: 'info' | 'error' | 'ok' = 'info'): void {
    this.version++
    this.push({ type: 'notice', text, tone })
  }

  /**
   * Adds an entry, and drops the oldest past {@link MAX_TIMELINE_ENTRIES}, with what is kept of a
   * dropped post that no entry shows any more (its number still resolves: it names the post's id).
   */
  private push (entry: TimelineEntry): void {
    this.entries.push(entry)
    if (entry.type === 'post') this.entryCount.set(entry.id, (this.entryCount.get(entry.id) ?? 0) + 1)
    while (this.entries.length > MAX_TIMELINE_ENTRIES) {
      const dropped = this.entries.shift()
      if (dropped?.type === 'post') this.unshow(dropped.id)
    }
  }

  /** Forgets one entry of a post, and the post once no entry shows it. */
  private unshow (id: string): void {
    const count = (this.entryCount.get(id) ?? 1) - 1
    if (count > 0) {
      this.entryCount.set(id, count)
      return
    }
    this.entryCount.delete(id)
    this.shown.delete(id)
    this.posts.delete(id)
    this.bodies.delete(id)
  }

  /**
   * Moves the clock on to `now` (unix seconds): every entry of a post expired by then leaves the message
   * area, and the posts' time left is counted again once a minute. Resolves to the time (unix seconds)
   * of the next change: the next expiry of a post shown, or the next minute.
   *
   * @example
   * ```ts
   * const next = timeline.tick(Math.floor(Date.now() / 1000))
   * ```
   */
  tick (now: number): number {
    if (Math.floor(now / 60) !== Math.floor(this.now / 60)) this.version++
    this.now = now
    const gone: string[] = []
    const kept = this.entries.filter((entry) => {
      const expired = entry.type === 'post' && (this.posts.get(entry.id)?.expires ?? Infinity) <= now
      if (expired) gone.push(entry.id)
      return !expired
    })
    if (gone.length > 0) {
      this.version++
      this.entries.splice(0, this.entries.length, ...kept)
      for (const id of gone) this.unshow(id)
    }
    let next = (Math.floor(now / 60) + 1) * 60
    for (const id of this.shown) next = Math.min(next, this.posts.get(id)?.expires ?? next)
    return next
  }

  /** Empties the message area (numbers stay valid). */
  clear (): void {
    this.version++
    this.entries.length = 0
    this.entryCount.clear()
    this.shown.clear()
  }

  /**
   * The post id a `/reply`, `/vote` or `/thread` target names: a number shown in the chat (`3`, `[3]`),
   * a full id, or a unique prefix of at least MIN_ID_PREFIX hex characters of a post seen in this
   * session; undefined when no post seen starts with the prefix (the node may hold one). Throws
   * UsageError for a number not shown or a target neither number nor hex, AmbiguousIdError (listing
   * them) when several posts start with the prefix.
   *
   * @example
   * ```ts
   * timeline.resolve('3') // '9a9edd47…'
   * ```
   */
  resolve (target: string): string | undefined {
    const bare = target.replace(/^\[(\d+)\]$/, '$1')
    // a number unless it is long enough for a prefix and no post has that number
    if (/^\d+$/.test(bare) && (bare !== target || bare.length < MIN_ID_PREFIX || this.byNumber.has(Number(bare)))) {
      const id = this.byNumber.get(Number(bare))
      if (id === undefined) throw new UsageError(`no post ${target} here: use the number in [brackets] or a post id`)
      return id
    }
    const ref = parsePostRef(bare)
    if (isWholeId(ref)) return ref
    const matches = idsWithPrefix(ref, [...this.posts.values()].filter((post) => post.kind !== 'VOTE').map((post) => post.id))
    return matches.length === 0 ? undefined : pickPostId(ref, matches, 'in this chat')
  }

  /** A known post by id. */
  get (id: string): PostView | undefined {
    return this.posts.get(id)
  }

  /**
   * The message area as screen rows of `width` columns: a new array, rebuilt only when something changed
   * (rows are shared between renders; draw them, do not change them).
   *
   * @example
   * ```ts
   * const lines = timeline.render(80)
   * ```
   */
  render (width: number): StyledLine[] {
    if (this.rendered?.version !== this.version || this.rendered.width !== width) {
      this.rendered = { version: this.version, width, lines: this.build(width) }
    }
    return [...this.rendered.lines]
  }

  private build (width: number): StyledLine[] {
    const lines: StyledLine[] = []
    for (const entry of this.entries) {
      if (entry.type === 'notice') {
        const color = entry.tone === 'error' ? 31 : entry.tone === 'ok' ? 32 : undefined
        for (const text of wrap(displayLine(entry.text), Math.max(10, width - 2))) {
          lines.push([{ text: `  ${text}`, color, dim: entry.tone === 'info' }])
        }
        continue
      }
      const post = this.posts.get(entry.id)
      if (post !== undefined) {
        lines.push(...this.renderPost(post, width))
      }
    }
    return lines
  }

  private renderPost (post: PostView, width: number): StyledLine[] {
    const time = new Date(post.created * 1000).toTimeString().slice(0, 5)
    if (post.kind === 'VOTE') {
      const target = post.parent === undefined ? '?' : this.label(post.parent)
      return [[{ text: `      ${time} ${post.vote > 0 ? '▲ upvote' : '▼ downvote'} on ${target} `, dim: true }, markOf(post)]]
    }
    const nym = nymOf(post.pseudonym)
    const head: StyledLine = [
      { text: `${this.label(post.id)} `, bold: true },
      { text: `${time} `, dim: true }
    ]
    if (post.kind === 'REPLY') {
      head.push({ text: `↳${post.parent === undefined ? '' : this.label(post.parent)} `, dim: true })
    }
    head.push({ text: nym.name, color: nym.color, bold: true })
    if (post.kind === 'REPLY' && post.op) {
      head.push({ text: ' OP', color: 33, bold: true })
    }
    head.push({ text: ' ' }, markOf(post))
    // an own circle post lost in a fork: never read by the circle's members (the note says how to post it again)
    const forked = forkedNote(post, `/repost ${this.numbers.get(post.id) ?? post.id}`)
    if (forked !== undefined) head.push({ text: ' NOT DELIVERED', color: 31, bold: true })
    const counters: string[] = []
    if (post.score !== 0) counters.push(`${post.score > 0 ? '+' : ''}${post.score}`)
    if (post.replies > 0) counters.push(`${post.replies}↩`)
    if (counters.length > 0) {
      head.push({ text: ` (${counters.join(' ')})`, dim: true })
    }
    head.push({ text: ` · ${timeLeft(post.expires, this.now)}`, dim: true })
    return [head, ...this.body(post, width), ...(forked === undefined ? [] : wrap(forked, width - 4).map((line): StyledLine => [{ text: `    ${line}`, color: 31 }]))]
  }

  /** The rows of a post's body at `width` columns, wrapped again only when the width changed. */
  private body (post: PostView, width: number): StyledLine[] {
    const cached = this.bodies.get(post.id)
    if (cached?.width === width) {
      return cached.lines
    }
    const lines = bodyLines(post.body, width, post.kind === 'REPLY' ? '      ' : '    ')
      .map((text): StyledLine => [{ text }])
    this.bodies.set(post.id, { width, lines })
    return lines
  }

  /** `[n]` for a numbered post, else the start of its id. */
  label (id: string): string {
    const n = this.numbers.get(id)
    return n === undefined ? shortId(id) : `[${n}]`
  }
}
