/**
 * The chat's side of circles: which circle is shown, what its member should know before typing (said as
 * notices when the chat switches to it), the refusal of a post it cannot take yet, and `/list`.
 */
import { CircleClient } from '../circle-client.js'
import { CircleNotReadyError } from '../circle-errors.js'
import { UsageError } from '../errors.js'
import { circleNameOf, circleTarget } from '../circle-name.js'
import { cannotPostLine, circleListLines, circleSignedLine, warningLines } from '../circle-text.js'
import { ringOf } from '../membership.js'
import type { Timeline } from './timeline.js'
import type { CircleSummary, PostResult, PostView, StatusResponse } from '../api-types.js'
import type { ControlClient } from '../client.js'

/** The circle the chat shows, if any, over the daemon's circles. */
export class ChatCircles {
  private readonly circles: CircleClient
  private readonly timeline: Timeline
  /** The circle shown, as last read; undefined while a channel is shown. */
  private shown?: CircleSummary

  /**
   * The circles of `client`'s node, noticed on `timeline`.
   *
   * @example
   * ```ts
   * const circles = new ChatCircles(client, timeline)
   * ```
   */
  constructor (client: ControlClient, timeline: Timeline) {
    this.circles = new CircleClient(client)
    this.timeline = timeline
  }

  /** The circle shown now (undefined: a channel). */
  get current (): CircleSummary | undefined {
    return this.shown
  }

  /**
   * Reads the circle a target names before the chat switches to it (UnknownCircleError, and nothing changes,
   * when the node holds none of that name); undefined for a channel.
   */
  async open (channel: string): Promise<CircleSummary | undefined> {
    const name = circleNameOf(channel)
    return name === undefined ? undefined : await this.circles.get(name)
  }

  /** Makes `circle` (undefined: a channel) the one shown. */
  show (circle: CircleSummary | undefined): void {
    this.shown = circle
  }

  /** What the member should know before typing in the circle shown: first why it cannot post yet, if so. */
  noteWarnings (): void {
    if (this.shown === undefined) return
    const refusal = cannotPostLine(this.shown)
    if (refusal !== undefined) this.timeline.notice(refusal, 'error')
    for (const line of warningLines(this.shown, undefined, undefined, true)) this.timeline.notice(line)
  }

  /** Says which circles the node holds (nothing when none): at the start of the chat. */
  async noteHeld (): Promise<void> {
    const circles = await this.circles.list()
    if (circles.length > 0) {
      this.timeline.notice(`your circles: ${circles.map((c) => circleTarget(c.name)).join(', ')} (/circle NAME switches, /list says more)`)
    }
  }

  /** `/list`: the joined channels, then each circle with its warnings. */
  async showList (status: StatusResponse): Promise<void> {
    const circles = await this.circles.list()
    this.timeline.notice(`channels: ${status.channels.length === 0 ? 'none' : status.channels.map((c) => c.channel).join(', ')}`)
    if (circles.length === 0) {
      this.timeline.notice('circles: none yet (murmur circle create NAME, or murmur circle join INVITE)')
    }
    for (const circle of circles) {
      for (const line of circleListLines(circle)) this.timeline.notice(line)
    }
  }

  /**
   * Refuses a post in the circle shown when it cannot take one now (CircleNotReadyError, saying why), read
   * again first: members count a day after they join.
   */
  async readyToPost (): Promise<void> {
    if (this.shown === undefined) return
    this.shown = await this.circles.get(this.shown.name)
    const refusal = cannotPostLine(this.shown)
    if (refusal !== undefined) throw new CircleNotReadyError(`not posted: ${refusal}`)
  }

  /** `/repost`: posts again this member's post `id` of the circle shown that was not delivered (a fork, §6.7). */
  async repost (id: string): Promise<PostResult> {
    if (this.shown === undefined) throw new UsageError('/repost posts again a post of yours marked NOT DELIVERED in a circle: switch to it first (/circle NAME)')
    return await this.circles.repost(this.shown.name, id)
  }

  /** How a post made in the circle shown was signed; undefined on a channel. */
  signedLine (result: PostResult): string | undefined {
    return this.shown === undefined ? undefined : circleSignedLine(ringOf(result), this.shown.name)
  }
}

/**
 * Where a post is shown: its circle's target (`circle:NAME`) for a circle's post (its channel is the
 * circle's wire name, which the chat never shows), else its channel.
 *
 * @example
 * ```ts
 * if (shownIn(post) !== this.channel) return
 * ```
 */
export function shownIn (post: PostView): string {
  return 'circle' in post && typeof post.circle === 'string' ? circleTarget(post.circle) : post.channel
}
