/**
 * How the node's own posts are made and how they leave it: built (with proof of work), checked and
 * stored like a post from the network, then sent through the stem (or straight into gossip when the node
 * runs without it); and how a stem post is fluffed into gossip here.
 */
import { CREATED_GRANULARITY, buildEnvelope, toHex } from '@murmur/protocol'
import { PostValidationError } from './errors.js'
import { guardProtocolAsync } from './input.js'
import type { PostOptions, PostResult } from './index.js'
import type { InStem } from './in-stem.js'
import type { PostIntake } from './intake.js'
import type { Outbox, SendResult } from './outbound.js'
import type { BuildEnvelopeOptions } from '@murmur/protocol'

/** What the node builds for one of its own posts (the options fill in the rest). */
export type OwnPost = Omit<BuildEnvelopeOptions, 'powBits' | 'signal' | 'onProgress' | 'ttl'>

/** What {@link OwnPosts} needs from the node. */
export interface OwnPostsComponents {
  intake: PostIntake
  /** Own posts not yet back from the network (kept out of history sync, and out of the outbox across restarts). */
  inStem: InStem
  /** Straight into gossip: fluffs, and own posts when there is no stem. */
  direct: Outbox
  /** Where own posts leave: an outbox releasing into the stem, or `direct` when the node runs without it. */
  outbound: Outbox
  /** The joined channel of a topic, if any. */
  channelOf(topic: string): string | undefined
  /** Throws NotStartedError once the node stopped. */
  assertRunning(): void
}

/** Parameters of {@link OwnPosts}. */
export interface OwnPostsInit {
  /** Proof-of-work bits per kind. */
  powBits: Record<'POST' | 'REPLY' | 'VOTE', number>
  /** A clock injected for tests (unix milliseconds) to date own posts by. @default the protocol's (Date.now) */
  clock?: () => number
}

/**
 * Makes and sends the node's own posts; fluffs stem posts.
 *
 * @example
 * ```ts
 * const own = new OwnPosts({ intake, inStem, direct, outbound, stemmed: true, channelOf, assertRunning }, { powBits })
 * await own.publish({ channel: '#lobby', kind: 'POST', body: 'hi', auth }, {}) // { id, status: 'sent', recipients: 1 }
 * ```
 */
export class OwnPosts {
  private readonly components: OwnPostsComponents
  private readonly powBits: OwnPostsInit['powBits']
  private readonly clock?: () => number

  constructor (components: OwnPostsComponents, init: OwnPostsInit) {
    this.components = components
    this.powBits = init.powBits
    this.clock = init.clock
  }

  /** Builds, stores and sends one of our own posts. */
  async publish (own: OwnPost, options: PostOptions): Promise<PostResult> {
    const { intake, inStem, outbound } = this.components
    const kind = own.kind ?? 'POST'
    const built = await guardProtocolAsync(async () => buildEnvelope({
      ...own,
      created: this.clock === undefined ? undefined : jittered(this.clock()),
      ttl: options.ttl,
      powBits: this.powBits[kind],
      signal: options.signal,
      onProgress: options.onProgress
    }))
    // Our own envelope goes through the same checks and store path as one from the network.
    const valid = intake.validate(built.topic, built.bytes, 'own')
    if (!valid.ok) {
      throw new PostValidationError(valid.reason, valid.code)
    }
    this.components.assertRunning()
    const expires = Number(valid.post.created) + valid.post.ttl
    // room in the outbox is taken before the post is stored: a full outbox refuses it with nothing kept
    const room = outbound.reserve(built.topic)
    try {
      // recorded (on disk) before it is stored, so that no sync answer, not even after a crash and a
      // restart, can list it before it has come back from the network
      await inStem.add(valid.id, expires)
      await intake.accept(built.bytes, valid)
    } catch (err) {
      room.cancel()
      inStem.arrived(valid.id)
      throw err
    }
    const sent = await room.send(built.bytes, expires)
    return { id: toHex(built.id), ...sent }
  }

  /**
   * Publishes a stem post into gossip. A relay that fluffs another node's post stores it first (through
   * the same intake as gossip), since gossipsub does not hand its own publication back to it.
   */
  async fluff (topic: string, envelope: Uint8Array, expires: number | undefined): Promise<SendResult> {
    const { intake, inStem, direct } = this.components
    // judged already, as a stem post or as our own: a cache hit
    const valid = intake.validate(topic, envelope, 'stem')
    if (!valid.ok) {
      throw new PostValidationError(valid.reason, valid.code)
    }
    if (expires !== undefined) {
      // an own post (stored when it was made) the stem could not hide after all: it is in gossip now,
      // so sync may hand it out
      inStem.arrived(valid.id)
    } else if (this.components.channelOf(topic) !== undefined) {
      await intake.accept(envelope, valid)
    } else if (!direct.reachable(topic)) {
      // a post of a channel we are not in, and nobody here to take it: queueing it would let strangers fill our outbox
      return { status: 'queued', reason: 'no-subscribers' }
    }
    return direct.send(topic, envelope, expires ?? Number(valid.post.created) + valid.post.ttl)
  }
}

/** `created` by an injected clock, jittered as the protocol does by default (a uniform 0..59 s earlier; it rounds down to the minute). */
function jittered (now: number): number {
  return Math.floor(now / 1000) - crypto.getRandomValues(new Uint32Array(1))[0]! % CREATED_GRANULARITY
}
