/**
 * The seam through which a node's own posts leave it, and the outbox in front of it. A post made while
 * no member of its channel can be reached waits in the outbox and leaves once one can: straight into
 * gossip (`publishTo`, for fluffs and for nodes run without the stem), or through the Dandelion++ stem.
 */
import { forwardableUntil, messageId } from '@murmur/protocol'
import { MAX_OUTBOX } from './constants.js'
import { OutboxFullError, PublishError } from './errors.js'
import { hasOutboundGossipStream, isNoPeersError } from './gossip.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Logger } from '@libp2p/interface'

/** Why a post was queued instead of sent. */
export type QueueReason = 'no-connections' | 'no-subscribers'

/**
 * Why a queued post was given up: its ttl ran out in the outbox, it waited past its ring epoch and could
 * not be signed again (`stale`, see OwnPosts.release), or its release threw otherwise.
 */
export type DropReason = 'expired' | 'stale' | 'failed'

/** The last second (unix seconds) a queued post may still leave, and why it is dropped after that. */
export interface Deadline {
  at: number
  reason: DropReason
}

/**
 * The deadline of a post by its expiry alone: it may leave until `forwardableUntil(expires)` (the forward
 * rule), then it is dropped as `expired`. The default of the outbox and of the onion sender.
 *
 * @example
 * ```ts
 * expiryDeadline(topic, envelope, post.expires).at // forwardableUntil(post.expires)
 * ```
 */
export function expiryDeadline (_topic: string, _envelope: Uint8Array, expires: number): Deadline {
  return { at: forwardableUntil(expires), reason: 'expired' }
}

/**
 * What happened to a post handed to the network. `sent` means it was written to `recipients` peers
 * (gossip peers, or the stem successor); `queued` means nobody could take it yet and it waits in the
 * outbox, which sends it at the first gossipsub heartbeat (one second) after a member of its channel
 * can be reached, until the post is too near its expiry for every node to take it (forwardableUntil: 3 minutes
 * before) or the node stops.
 */
export type SendResult =
  | { status: 'sent', recipients: number }
  | { status: 'queued', reason: QueueReason }

/** Sends the node's own envelopes into the network. */
export interface Outbound {
  /** Sends or queues one envelope of `topic`; `expires` (unix seconds) bounds how long it may wait. */
  send(topic: string, envelope: Uint8Array, expires: number): Promise<SendResult>
  /** Drops the outbox and stops listening for subscribers. */
  stop(): void
}

/** Sends one envelope now; undefined when it could not leave after all (it then stays queued). */
export type Release = (topic: string, envelope: Uint8Array, expires: number) => Promise<SendResult | undefined>

/**
 * A {@link Release} that also reports the id of every post it got out of the node.
 *
 * @example
 * ```ts
 * const release = reporting(publishTo(pubsub), (id) => { inStem.arrived(id) })
 * ```
 */
export function reporting (release: Release, released: (id: Uint8Array) => void): Release {
  return async (topic, envelope, expires) => {
    const sent = await release(topic, envelope, expires)
    if (sent !== undefined) released(messageId(topic, envelope))
    return sent
  }
}

/**
 * A {@link Release} into the stem that awaits `record` of the post's id before handing the post on, so a
 * crash right after the send cannot leave the post recorded as never sent (and sent again after a restart).
 * The stem always takes what it is given (it holds a post until a stem peer connects), so the record is
 * never wrong.
 *
 * @example
 * ```ts
 * const release = recordedFirst(async (topic, envelope, expires) => stem.send(topic, envelope, expires), async (id) => inStem.sent(id))
 * ```
 */
export function recordedFirst (release: Release, record: (id: Uint8Array) => Promise<void>): Release {
  return async (topic, envelope, expires) => {
    await record(messageId(topic, envelope))
    return release(topic, envelope, expires)
  }
}

/** What an {@link Outbox} needs from the node. */
export interface OutboxComponents {
  pubsub: GossipSub
  /** Number of open connections, to tell "no connection at all" from "nobody subscribed". */
  connectionCount(): number
  /** How a post leaves once a member of its channel can be reached. */
  release: Release
  /** Told of each post queued (its send() resolved `queued`). @default nothing */
  onQueued?(topic: string, envelope: Uint8Array, reason: QueueReason): void
  /** Told of each post released, at once or from the outbox. @default nothing */
  onReleased?(topic: string, envelope: Uint8Array): void
  /** Told of each queued post given up (`err`: what its release threw). @default nothing */
  onDropped?(topic: string, envelope: Uint8Array, reason: DropReason, err?: Error): void
  /**
   * Until when a post that expires at `expires` may wait here: past it, every node within the clock tolerance
   * no longer takes it from us (the forward rule), so it is dropped rather than sent to neighbours that
   * would refuse it and charge this node. The node's own ring posts also leave the live epoch window
   * (OwnPosts.deadline). @default forwardableUntil(expires), `expired`
   */
  deadline?(topic: string, envelope: Uint8Array, expires: number): Deadline
  /** The node's clock, unix milliseconds. @default Date.now */
  clock?(): number
  log: Logger
}

/**
 * Room held in an {@link Outbox} for one post (see {@link Outbox.reserve}): send the post with it, or
 * cancel it when the post is dropped.
 */
export interface Reservation {
  /** Sends or queues the post; a queued post takes the held room, so this never throws OutboxFullError. */
  send(envelope: Uint8Array, expires: number): Promise<SendResult>
  /** Gives the room back without sending. */
  cancel(): void
}

interface Queued {
  envelope: Uint8Array
  expires: number
  deadline: Deadline
}

/** Calls of an optional {@link OutboxComponents} hook; a hook that throws is logged, never breaks the outbox. */
type Hooks = Pick<OutboxComponents, 'onQueued' | 'onReleased' | 'onDropped'>

/**
 * Whether a subscriber of `topic` can be written to now. A subscription can arrive before our gossip
 * stream to that peer is open; a publish then reaches nobody and gossipsub marks the post as seen for
 * good, so it could never be published again.
 *
 * @example
 * ```ts
 * if (reachable(pubsub, topic)) await pubsub.publish(topic, envelope)
 * ```
 */
export function reachable (pubsub: GossipSub, topic: string): boolean {
  return pubsub.getSubscribers(topic).some((peer) => hasOutboundGossipStream(pubsub, peer))
}

/**
 * A {@link Release} that publishes straight into gossipsub. It makes this node the first gossip hop of
 * the post: right for fluffing a relayed stem post, wrong for an own post while stem peers exist.
 *
 * @example
 * ```ts
 * const direct = new Outbox({ pubsub, connectionCount, release: publishTo(pubsub), log })
 * ```
 */
export function publishTo (pubsub: GossipSub): Release {
  return async (topic, envelope) => {
    if (!reachable(pubsub, topic)) {
      return undefined
    }
    try {
      const { recipients } = await pubsub.publish(topic, envelope)
      return { status: 'sent', recipients: recipients.length }
    } catch (err: unknown) {
      if (isNoPeersError(err)) {
        return undefined
      }
      throw new PublishError(`gossipsub refused the post: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }
}

/**
 * Sends posts whose channel has a reachable member, and keeps the others until one appears.
 *
 * @example
 * ```ts
 * const outbox = new Outbox({ pubsub, connectionCount: () => libp2p.getConnections().length, release: publishTo(pubsub), log })
 * await outbox.send(topic, envelope, expires) // { status: 'sent', recipients: 3 } or { status: 'queued', reason: 'no-subscribers' }
 * ```
 */
export class Outbox implements Outbound {
  private readonly pubsub: GossipSub
  private readonly connectionCount: () => number
  private readonly release: Release
  private readonly hooks: Hooks
  private readonly deadline: (topic: string, envelope: Uint8Array, expires: number) => Deadline
  private readonly clock: () => number
  private readonly log: Logger
  private readonly outbox = new Map<string, Queued[]>()
  private readonly onHeartbeat: () => void
  private flushing = false
  private stopped = false
  private size = 0
  /** Rooms handed out by reserve() and not yet used or cancelled. */
  private reserved = 0

  constructor (components: OutboxComponents) {
    this.pubsub = components.pubsub
    this.connectionCount = components.connectionCount
    this.release = components.release
    this.hooks = components
    this.deadline = components.deadline ?? expiryDeadline
    this.clock = components.clock ?? Date.now
    this.log = components.log
    // Flushed on gossipsub's heartbeat rather than on the subscription message itself: the subscription
    // can arrive before our stream to that peer is open (see `reachable`).
    this.onHeartbeat = () => {
      // a post of a channel nobody is in expires here too (and is told dropped) rather than at the next send
      if (this.size > 0 && !this.flushing) this.dropExpired()
      if (this.size > 0 && !this.flushing) {
        this.flushing = true
        this.flushReady()
          .catch((err: unknown) => { this.log.error('could not flush the outbox - %e', err) })
          .finally(() => { this.flushing = false })
      }
    }
    this.pubsub.addEventListener('gossipsub:heartbeat', this.onHeartbeat)
  }

  async send (topic: string, envelope: Uint8Array, expires: number): Promise<SendResult> {
    return this.deliver(topic, envelope, expires, false)
  }

  /**
   * Holds room for one post of `topic` before the caller commits to it (an own post is stored before it
   * is sent): throws {@link OutboxFullError} now, while nothing is stored yet, when the post could not
   * leave at once and the outbox has no room left for it.
   *
   * @example
   * ```ts
   * const room = outbox.reserve(topic) // throws OutboxFullError when full
   * await store.put(post)
   * await room.send(envelope, expires)
   * ```
   */
  reserve (topic: string): Reservation {
    this.dropExpired()
    // a post that can leave now needs no room; should its channel become unreachable before it is sent,
    // it is queued all the same (past the limit by at most the number of own posts in flight)
    let held = !this.reachable(topic)
    if (held && this.size + this.reserved >= MAX_OUTBOX) {
      throw this.full()
    }
    if (held) this.reserved++
    const free = (): void => {
      if (held) {
        held = false
        this.reserved--
      }
    }
    return {
      send: async (envelope, expires) => {
        try {
          return await this.deliver(topic, envelope, expires, true)
        } finally {
          free()
        }
      },
      cancel: free
    }
  }

  private async deliver (topic: string, envelope: Uint8Array, expires: number, reserved: boolean): Promise<SendResult> {
    const sent = this.reachable(topic) ? await this.release(topic, envelope, expires) : undefined
    if (sent !== undefined) {
      this.tell(() => this.hooks.onReleased?.(topic, envelope))
      return sent
    }
    this.enqueue(topic, { envelope, expires, deadline: this.deadline(topic, envelope, expires) }, reserved)
    const reason: QueueReason = this.connectionCount() === 0 ? 'no-connections' : 'no-subscribers'
    // no channel here: the log must not tie this node to one of its posts
    this.log('queued a post: %s', reason)
    this.tell(() => this.hooks.onQueued?.(topic, envelope, reason))
    return { status: 'queued', reason }
  }

  /** Calls a hook unless the outbox stopped (what it held then is not dropped: see stop()). */
  private tell (hook: () => void): void {
    if (this.stopped) return
    try {
      hook()
    } catch (err) {
      this.log.error('an outbox listener threw - %e', err)
    }
  }

  /** Whether a member of `topic` can be reached now. */
  reachable (topic: string): boolean {
    return reachable(this.pubsub, topic)
  }

  /** Stops; the posts it held are forgotten here without `onDropped` (a node with a data dir sends them at its next start). */
  stop (): void {
    this.stopped = true
    this.pubsub.removeEventListener('gossipsub:heartbeat', this.onHeartbeat)
    this.outbox.clear()
    this.size = 0
  }

  /** Number of posts waiting in the outbox. */
  get queued (): number {
    return this.size
  }

  /** Queues a post; one without a reserved room is refused when the outbox is full. */
  private enqueue (topic: string, item: Queued, reserved: boolean): void {
    this.dropExpired()
    if (!reserved && this.size + this.reserved >= MAX_OUTBOX) {
      throw this.full()
    }
    const queue = this.outbox.get(topic) ?? []
    queue.push(item)
    this.outbox.set(topic, queue)
    this.size++
  }

  private full (): OutboxFullError {
    return new OutboxFullError(`the outbox already holds ${this.size} posts waiting for subscribers`)
  }

  /** Flushes every topic that has a reachable member now. */
  private async flushReady (): Promise<void> {
    for (const topic of [...this.outbox.keys()]) {
      if (this.reachable(topic)) {
        await this.flush(topic)
      }
    }
  }

  private async flush (topic: string): Promise<void> {
    const queue = this.outbox.get(topic)
    if (queue === undefined) {
      return
    }
    this.outbox.delete(topic)
    this.size -= queue.length
    const now = this.seconds()
    const waiting: Queued[] = []
    for (const item of queue) {
      if (tooLate(item, now)) {
        this.tell(() => this.hooks.onDropped?.(topic, item.envelope, item.deadline.reason))
        continue
      }
      let sent: SendResult | undefined
      try {
        sent = await this.release(topic, item.envelope, item.expires)
      } catch (err) {
        // one refused post must not take the rest of the queue with it
        this.log.error('a queued post was refused - %e', err)
        this.tell(() => this.hooks.onDropped?.(topic, item.envelope, dropReason(err), err instanceof Error ? err : new Error(String(err))))
        continue
      }
      if (sent === undefined) {
        waiting.push(item)
      } else {
        this.log('released a queued post: %s', sent.status)
        this.tell(() => this.hooks.onReleased?.(topic, item.envelope))
      }
    }
    if (waiting.length > 0) {
      // a send() may have queued more posts of this topic while we were publishing
      const again = this.outbox.get(topic) ?? []
      this.outbox.set(topic, [...waiting, ...again])
      this.size += waiting.length
    }
  }

  /** Unix seconds now, by the node's clock. */
  private seconds (): number {
    return Math.floor(this.clock() / 1000)
  }

  private dropExpired (): void {
    const now = this.seconds()
    for (const [topic, queue] of this.outbox) {
      const live = queue.filter((item) => !tooLate(item, now))
      for (const item of queue) {
        if (tooLate(item, now)) this.tell(() => this.hooks.onDropped?.(topic, item.envelope, item.deadline.reason))
      }
      this.size -= queue.length - live.length
      if (live.length === 0) {
        this.outbox.delete(topic)
      } else {
        this.outbox.set(topic, live)
      }
    }
  }
}

/** Why a release that threw `err` gave its post up: an own post overtaken by time (OwnPosts.release) names why. */
export function dropReason (err: unknown): DropReason {
  const code = (err as { name?: unknown, code?: unknown } | undefined)
  if (code?.name !== 'PostValidationError') return 'failed'
  return code.code === 'ERR_STALE_EPOCH' ? 'stale' : code.code === 'ERR_EXPIRED' ? 'expired' : 'failed'
}

/** Whether a queued post can no longer leave at `now` (unix seconds): past its deadline (OutboxComponents.deadline). */
function tooLate (item: Queued, now: number): boolean {
  return item.deadline.at < now
}
