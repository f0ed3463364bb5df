/**
 * The interactive chat: a live feed of one channel or circle, an input line and slash commands, drawn
 * in a terminal of any size from 80x24 up. It talks to a node through the control API client, whether
 * the node is a daemon or runs inside the chat's own process.
 */
import { emitKeypressEvents } from 'node:readline'
import { logger } from '@libp2p/logger'
import { DEFAULT_LIFETIME, LIFETIMES, LifetimeError, MAX_BODY_BYTES, MIN_MEMBER_RING, lifetimeOf, lifetimeWords, parseLifetime } from '@murmur/protocol'
import { CircleNotReadyError, DamagedCircleError, UnknownCircleError } from '../circle-errors.js'
import { circleTarget } from '../circle-name.js'
import { parseChannel, parseBody, parseVote } from '../commands/options.js'
import { clockWarning } from '../daemon/status.js'
import { murmurCommand } from '../hint.js'
import { resolveDataDir } from '../paths.js'
import { mintingProgressLine, ringOf, signedLine } from '../membership.js'
import { nameOf } from '../text.js'
import { VOTE_RULE } from '../vote-rule.js'
import { AmbiguousIdError, UnknownPostError, UsageError } from '../errors.js'
import { ChatCircles, shownIn } from './circles.js'
import { HELP, parseChatInput } from './input.js'
import { LineEditor } from './editor.js'
import { drawFrame, enterScreen, leaveScreen, messageRows } from './screen.js'
import { ChatReader } from './reader.js'
import { Timeline } from './timeline.js'
import type { Key } from './editor.js'
import type { Lifetime } from '@murmur/protocol'
import type { Segment, StyledLine } from './screen.js'
import type { ControlClient, PostingOptions } from '../client.js'
import type { PostResult, PostView, StatusResponse } from '../api-types.js'

const log = logger('murmur:cli:chat')

/**
 * Errors of a line refused before anything was sent: a bad or too-long text, channel or post id, a circle
 * not held, unreadable here or not ready for posts (the line comes back to be edited).
 */
const REFUSED_BEFORE_SENDING = new Set([UsageError.name, LifetimeError.name, AmbiguousIdError.name, UnknownPostError.name, UnknownCircleError.name, DamagedCircleError.name, CircleNotReadyError.name])

/** Options of {@link ChatApp}. */
export interface ChatAppInit {
  client: ControlClient
  /** Channel shown first (or `circle:NAME`, one of the node's circles). */
  channel: string
  /** Shown in the header: `daemon` or `own node`. */
  mode: string
  /**
   * The data dir in use, for the commands the chat's hints suggest.
   *
   * @default resolveDataDir()
   */
  dataDir?: string
  /**
   * Terminal streams.
   *
   * @default process.stdin / process.stdout
   */
  stdin?: NodeJS.ReadStream
  stdout?: NodeJS.WriteStream
}

/** The running chat. */
export class ChatApp {
  private readonly client: ControlClient
  private readonly mode: string
  private readonly dataDir: string
  private readonly stdin: NodeJS.ReadStream
  private readonly stdout: NodeJS.WriteStream
  private readonly timeline = new Timeline()
  private readonly circles: ChatCircles
  private readonly reader: ChatReader
  private readonly editor = new LineEditor()
  private readonly controller = new AbortController()
  private readonly mining = new Set<AbortController>()
  private readonly previous: string[] = []
  private channel: string
  /** How long the next posts and replies live (`/for`). */
  private lifetime: Lifetime = DEFAULT_LIFETIME
  /** Wakes the chat when a post shown expires, or its time left changes. */
  private expiryTimer?: NodeJS.Timeout
  private status?: StatusResponse
  private connected = true
  private progress = ''
  private scroll = 0
  private renderQueued = false
  private closed = false
  private welcomed = false
  private done?: () => void

  constructor (init: ChatAppInit) {
    this.client = init.client
    this.circles = new ChatCircles(init.client, this.timeline)
    this.channel = init.channel
    this.mode = init.mode
    this.dataDir = init.dataDir ?? resolveDataDir()
    this.reader = new ChatReader(this.dataDir)
    this.stdin = init.stdin ?? process.stdin
    this.stdout = init.stdout ?? process.stdout
  }

  /**
   * Takes over the terminal until the user quits (or `stop()` is called).
   *
   * @example
   * ```ts
   * await new ChatApp({ client, channel: '#lobby', mode: 'daemon' }).run()
   * ```
   */
  async run (): Promise<void> {
    const finished = new Promise<void>((resolve) => { this.done = resolve })
    const onKey = (str: string | undefined, key: Key | undefined): void => { this.onKey(str, key) }
    const onResize = (): void => { this.render() }
    emitKeypressEvents(this.stdin)
    this.stdin.setRawMode(true)
    this.stdin.on('keypress', onKey)
    this.stdin.resume()
    this.stdout.on('resize', onResize)
    this.stdout.write(enterScreen())
    try {
      this.render()
      const events = this.followEvents()
      // a daemon of an older release has no GET /v1/mine: the chat then knows only the posts it makes
      await this.reader.loadOwn(this.client).catch((err: unknown) => { log('own posts unavailable - %e', err) })
      await this.switchTo(this.channel)
      await finished
      this.controller.abort()
      await events
    } finally {
      this.stdin.off('keypress', onKey)
      this.stdout.off('resize', onResize)
      this.closed = true
      clearTimeout(this.expiryTimer)
      this.stdin.setRawMode(false)
      this.stdin.pause()
      this.stdout.write(leaveScreen())
    }
  }

  /** Ends the chat (as /quit does). */
  stop (): void {
    for (const mining of this.mining) {
      mining.abort()
    }
    this.done?.()
  }

  private onKey (str: string | undefined, key: Key | undefined): void {
    const action = this.editor.handle(str, key)
    switch (action.type) {
      case 'none':
        // the key changed nothing: the frame on screen is still right
        return
      case 'submit':
        this.scroll = 0
        void this.execute(action.line)
        break
      case 'interrupt':
        if (this.mining.size > 0) {
          for (const mining of this.mining) mining.abort()
        } else {
          this.stop()
        }
        break
      case 'eof':
        this.stop()
        break
      case 'scroll': {
        const page = messageRows(this.stdout.rows ?? 24) - 1
        // the timeline keeps this render for the frame drawn next, unless a post comes in between
        const max = Math.max(0, this.timeline.render(this.width()).length - page)
        this.scroll = Math.max(0, Math.min(max, this.scroll + action.pages * page))
        break
      }
      default:
        break
    }
    this.render()
  }

  /** Runs a submitted line; a line refused before anything was sent (too long, bad channel or target) comes back to the input line. */
  private async execute (line: string): Promise<void> {
    const input = parseChatInput(line)
    try {
      switch (input.type) {
        case 'empty':
          return
        case 'post': {
          const body = parseBody(input.text)
          const channel = this.channel
          await this.circles.readyToPost()
          const ttl = LIFETIMES[this.lifetime]
          await this.posting(`posting to ${channel}`, async (options) => this.client.post({ channel, body, ttl }, options))
          return
        }
        case 'reply': {
          const body = parseBody(input.text)
          const parent = await this.target(input.target)
          await this.circles.readyToPost()
          const ttl = LIFETIMES[this.lifetime]
          await this.posting('replying', async (options) => this.client.reply({ parent, body, ttl }, options))
          return
        }
        case 'vote': {
          const post = await this.target(input.target)
          const vote = parseVote(input.direction)
          await this.circles.readyToPost()
          await this.posting('voting', async (options) => this.client.vote({ post, vote }, options)).catch((err: unknown) => {
            // a node that mints no stamp never will: say what makes this chat's votes count instead of "not yet"
            if ((err as Error).name === 'StampNotReadyError' && this.status?.membership?.minter === false) {
              throw new Error(`not voted: only members' votes count, and ${this.mode === 'daemon' ? 'the daemon (started with --no-mint)' : 'this chat\'s own node'} mints no member stamp; ${this.mode === 'daemon' ? 'start it without --no-mint' : `run \`${murmurCommand(['daemon'], this.dataDir)}\`, and the chat uses it`}`, { cause: err })
            }
            throw err
          })
          return
        }
        case 'thread':
          await this.showThread(await this.target(input.target))
          return
        case 'repost': {
          const id = await this.target(input.target)
          await this.circles.readyToPost()
          await this.posting('posting again', async () => await this.circles.repost(id))
          return
        }
        case 'join':
          await this.switchFromHere(parseChannel(input.channel))
          return
        case 'circle':
          await this.switchFromHere(parseChannel(circleTarget(input.name)))
          return
        case 'list':
          await this.circles.showList(await this.client.status())
          return
        case 'leave': {
          const back = this.previous.pop()
          if (back === undefined) {
            this.timeline.notice(`${this.channel} is the only channel of this chat; /join another one first`, 'error')
          } else {
            // a circle stays: leaving one forgets its keys (murmur circle leave)
            if (this.circles.current === undefined) await this.client.leave(this.channel)
            await this.switchTo(back)
          }
          return
        }
        case 'feed':
          await this.switchTo(this.channel)
          return
        case 'sort':
          this.reader.setSort(input.order)
          await this.switchTo(this.channel)
          return
        case 'mute': {
          const post = await this.client.get(await this.target(input.target))
          await this.reader.mute(post, input.what)
          this.timeline.notice(input.what === 'thread' ? `muted the thread of ${this.label(post.id)}; /feed shows the rest` : `muted ${nameOf(post.pseudonym)} in the thread of ${this.label(post.id)}; /feed shows the rest`, 'ok')
          return
        }
        case 'lifetime':
          this.lifetime = lifetimeOf(parseLifetime(input.lifetime)) ?? DEFAULT_LIFETIME
          this.timeline.notice(`your posts and replies now last ${lifetimeWords(this.lifetime)} (${this.lifetime}); every node deletes them then`, 'ok')
          return
        case 'help':
          for (const line of [...HELP, ...VOTE_RULE]) this.timeline.notice(line)
          return
        case 'quit':
          this.stop()
          return
        case 'invalid':
          this.timeline.notice(input.message, 'error')
      }
    } catch (err) {
      // refused here, nothing sent: what was typed is kept to be edited, unless a new line was begun
      const kept = REFUSED_BEFORE_SENDING.has((err as Error).name) && this.editor.restore(line)
      this.timeline.notice(`${(err as Error).message}${kept ? ' (your text is kept: edit it and press Enter)' : ''}`, 'error')
    } finally {
      this.render()
    }
  }

  /** Runs a posting call, showing the mining progress; Ctrl-C cancels it. */
  private async posting (what: string, call: (options: PostingOptions) => Promise<PostResult>): Promise<void> {
    const controller = new AbortController()
    this.mining.add(controller)
    this.progress = `${what}: mining proof of work… · Ctrl-C cancels`
    this.render()
    try {
      const result = await call({
        signal: controller.signal,
        onProgress: ({ attempts, bits }) => {
          this.progress = `mining proof of work (${bits} bits): ${attempts.toLocaleString('en-US')} hashes · Ctrl-C cancels`
          this.render()
        }
      })
      this.reader.own(result.id)
      const ring = ringOf(result)
      const inCircle = this.circles.signedLine(result)
      if (inCircle !== undefined) {
        this.timeline.notice(inCircle)
        // shown from the node's store at once: a circle's posts reach the event stream as the node's
        // `circle-post` events, which a daemon may not forward (the timeline shows a post once either way)
        await this.onPost(await this.client.get(result.id))
      } else if (ring !== undefined && ring < MIN_MEMBER_RING) {
        this.timeline.notice(signedLine(ring))
      }
      if (result.status === 'queued') {
        this.timeline.notice(result.reason === 'no-connections'
          ? 'queued: no peer connected yet; it is sent as soon as one is'
          : `queued: nobody else is in ${this.channel} yet; it is sent when someone joins`)
      }
    } catch (err) {
      if (controller.signal.aborted) {
        this.timeline.notice('cancelled: nothing was posted', 'error')
        return
      }
      throw err
    } finally {
      this.mining.delete(controller)
      this.progress = ''
    }
  }

  /** Switches to another channel or circle, remembering this one for /leave. */
  private async switchFromHere (channel: string): Promise<void> {
    if (channel === this.channel) return
    const from = this.channel
    await this.switchTo(channel)
    this.previous.push(from)
  }

  private async switchTo (channel: string): Promise<void> {
    // a circle is held, not joined: read first, so that an unknown name changes nothing
    const circle = await this.circles.open(channel)
    if (circle === undefined) await this.client.join(channel)
    this.channel = channel
    this.circles.show(circle)
    this.timeline.clear()
    if (!this.welcomed) {
      this.welcomed = true
      this.timeline.notice('welcome: posts are anonymous, names are per thread; /help lists the commands')
      await this.circles.noteHeld()
    }
    const { posts, hidden } = await this.reader.feed(this.client, channel)
    const muted = hidden === 0 ? '' : ` (${hidden} hidden by your filters)`
    // the first of the order comes last, by the input line, as the newest does
    const order = this.reader.sort === 'new' ? `the last ${posts.length} posts` : `${posts.length} posts by ${this.reader.sort}, the ${this.reader.sort === 'hot' ? 'hottest' : 'top'} at the bottom`
    this.timeline.notice(posts.length === 0 ? `${channel}: no posts yet${muted}${circle?.canPost === false ? '' : ', say something'}` : `${channel}: ${order}${muted}`)
    for (const post of posts.reverse()) {
      this.timeline.addPost(post)
    }
    // before anything is typed: why the circle cannot take a post yet, and what else to know
    this.circles.noteWarnings()
    this.render()
  }

  private async showThread (id: string): Promise<void> {
    const read = await this.client.thread(id)
    const posts = read.filter((post) => !this.reader.hides(post))
    this.timeline.notice(`── thread of ${this.label(id)}${posts.length < read.length ? `, ${read.length - posts.length} hidden by your filters` : ''} ──`)
    for (const post of posts) {
      this.timeline.addPost(post, true)
    }
    this.timeline.notice('── end of thread ──')
  }

  /** Follows the node's events until the chat ends; says so when the node goes away. */
  private async followEvents (): Promise<void> {
    try {
      for await (const event of this.client.events({ signal: this.controller.signal })) {
        if (event.type === 'status') {
          const { offset, skewed } = event.status.clock
          if (skewed && offset !== null && this.status?.clock.skewed !== true) {
            this.timeline.notice(clockWarning(offset), 'error')
          }
          this.status = event.status
          this.connected = true
        } else {
          await this.onPost(event.post)
        }
        this.render()
      }
    } catch (err) {
      log('event stream failed - %e', err)
    }
    if (!this.controller.signal.aborted) {
      this.connected = false
      this.timeline.notice('lost the connection to the node (did the daemon stop?); /quit and start again', 'error')
      this.render()
    }
  }

  private async onPost (post: PostView): Promise<void> {
    if (shownIn(post) !== this.channel || this.reader.hides(post)) {
      return
    }
    if (this.reader.notify(post)) {
      this.timeline.notice(`★ ${post.kind === 'VOTE' ? (post.vote > 0 ? 'an upvote' : 'a downvote') : 'a reply'} on your post ${this.label(post.parent ?? '')}`, 'ok')
    }
    if (post.kind === 'POST' || post.kind === 'REPLY') {
      this.timeline.addPost(post)
    } else {
      this.timeline.remember(post)
    }
    if (post.parent !== undefined) {
      // the parent's score or reply count changed
      try {
        this.timeline.remember(await this.client.get(post.parent))
      } catch (err) {
        log('parent %s unavailable - %e', post.parent, err)
      }
      if (post.kind === 'VOTE' && this.timeline.get(post.parent) !== undefined) {
        this.timeline.notice(`${post.vote > 0 ? '▲ upvote' : '▼ downvote'} on ${this.label(post.parent)}${post.member ? '' : ' (unverified: counts for nothing)'}`)
      }
    }
  }

  /** The post a target names: a number or an id prefix of a post this chat showed, else an id prefix among what the node holds. */
  private async target (target: string): Promise<string> {
    return this.timeline.resolve(target) ?? await this.client.resolvePostId(target)
  }

  private label (id: string): string {
    return this.timeline.label(id)
  }

  private width (): number {
    return this.stdout.columns ?? 80
  }

  private header (): StyledLine {
    const segments: Segment[] = [{ text: ' murmur ', bold: true }, { text: ` ${this.channel} ` }]
    if (!this.connected) {
      segments.push({ text: ' ○ disconnected ', color: 31, bold: true })
    } else if (this.status === undefined || this.status.peers === 0) {
      segments.push({ text: ' ○ connecting… 0 peers ', color: 33 })
    } else {
      const peers = this.status.peers
      // a circle's peers are not known (its frames travel on the topic every circle shares): its members are
      const circle = this.circles.current
      const where = circle === undefined
        ? `${this.status.channels.find((c) => c.channel === this.channel)?.peers ?? 0} in ${this.channel}`
        : `${circle.members} ${circle.members === 1 ? 'member' : 'members'}`
      segments.push({ text: ` ● ${peers} ${peers === 1 ? 'peer' : 'peers'}, ${where} `, color: 32, bold: true })
    }
    const badge = this.reader.badge()
    if (badge !== '') segments.push({ text: badge, color: 33, bold: true })
    segments.push({ text: ` ${this.mode} `, dim: true })
    const membership = this.status?.membership
    if (membership !== null && membership !== undefined) {
      // whether this node's votes count and its posts are a member's now (the mint's progress is the notice line's)
      const member = membership.signing ?? membership.stamp !== null
      segments.push(member ? { text: ' member ', color: 32, bold: true } : { text: membership.minter ? ' not a member yet ' : ' not a member ', dim: true })
    }
    return segments
  }

  /**
   * Drops the posts that expired from the message area (the node deleted them) and sets the timer that
   * draws again at the next expiry, or when the time left shown changes.
   */
  private expireShown (): void {
    const now = Math.floor(Date.now() / 1000)
    const next = this.timeline.tick(now)
    clearTimeout(this.expiryTimer)
    this.expiryTimer = setTimeout(() => { this.render() }, Math.max(0, next - now) * 1000)
  }

  private render (): void {
    if (this.renderQueued) {
      return
    }
    this.renderQueued = true
    setImmediate(() => {
      this.renderQueued = false
      if (this.closed) {
        return
      }
      this.expireShown()
      const width = this.width()
      const height = this.stdout.rows ?? 24
      const minting = this.status?.membership?.minting
      const over = overLimit(this.editor.text)
      const notice: StyledLine = this.progress !== ''
        ? [{ text: this.progress, color: 33 }]
        : over !== undefined
          ? [{ text: over, color: 31 }]
        : this.scroll === 0 && minting !== null && minting !== undefined
          ? [{ text: mintingProgressLine(minting), color: 36 }]
          : this.scroll === 0 && this.circles.current?.canPost === false
            ? [{ text: `read only: ${this.channel} cannot be posted in yet (see above) · /help · Ctrl-D quits`, color: 33 }]
            : [{ text: this.scroll > 0 ? `scrolled up ${this.scroll} lines (PgDn returns)` : `Enter posts to ${this.channel} for ${lifetimeWords(this.lifetime)} (/for) · /help · Ctrl-D quits`, dim: true }]
      this.stdout.write(drawFrame({
        header: this.header(),
        lines: this.timeline.render(width),
        scroll: this.scroll,
        notice,
        // a lifetime other than the default shows by the text it applies to
        prompt: this.lifetime === DEFAULT_LIFETIME ? `${this.channel}> ` : `${this.channel} ${this.lifetime}> `,
        input: this.editor.text,
        cursor: this.editor.cursor
      }, width, height))
    })
  }
}

/** What the notice row says while the line typed is a post or reply over the body limit: its size and the limit; undefined when it fits. */
function overLimit (line: string): string | undefined {
  const input = parseChatInput(line)
  if (input.type !== 'post' && input.type !== 'reply') return undefined
  const bytes = Buffer.byteLength(input.text)
  if (bytes <= MAX_BODY_BYTES) return undefined
  return `too long to post: ${bytes.toLocaleString('en-US')} bytes, at most ${MAX_BODY_BYTES.toLocaleString('en-US')} (${(bytes - MAX_BODY_BYTES).toLocaleString('en-US')} over)`
}
