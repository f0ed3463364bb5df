/**
 * A member's own posts, replies and votes in a circle (docs/PROTOCOL.md §6.4): ring-signed over the
 * eligible roster (`selectRing`), refused below the circle's minimum ring or while the member is itself a
 * newcomer, counted per hour and week in the circle's inner topic by the same write-ahead counters as a
 * public channel's (K posts per member per hour, VOTE_BUDGET upvotes and DOWNVOTE_BUDGET downvotes per week), one vote per member per post (its tag
 * checked in the store first), sealed in a frame and sent on the shared topic.
 */
import { CircleRecordType, DEFAULT_TTL, Post, buildCirclePost, checkLifetime, decodeEnvelope, decodePost, linkTag, messageId, openCirclePost, precheckEnvelope, memberThread, selectRing, toHex, validateCircleEnvelope, voteScope } from '@murmur/protocol'
import { AlreadyVotedError, PostValidationError, UnknownPostError } from '../errors.js'
import { guardProtocolAsync, parseId } from '../input.js'
import { LIVE_EPOCH_WINDOW } from '../intake.js'
import { jitteredCreated } from '../membership/ring-signer.js'
import { threadRoot } from '../store/index.js'
import { CIRCLE_FRAME_TTL } from './constants.js'
import { CircleError } from './errors.js'
import type { HeldCircle } from './held-circle.js'
import type { PostOptions, PostResult } from '../index.js'
import type { PostIntake } from '../intake.js'
import type { LocalReads } from '../local-reads.js'
import type { PostCounters } from '../membership/post-counters.js'
import type { SendResult } from '../outbound.js'
import type { PostEntry, PostStore } from '../store/index.js'
import type { PostKind, RingSelection, ValidEnvelope } from '@murmur/protocol'

/** What {@link CirclePosts} needs. */
export interface CirclePostsComponents {
  /** Write-ahead post and vote counters (the membership layer's kind, keyed by the circle's inner topic). */
  counters: PostCounters
  /** The post store: whether a vote's tag is held; own posts given up are withdrawn from it. */
  store: Pick<PostStore, 'hasTag' | 'withdraw'>
  reads: Pick<LocalReads, 'get'>
  intake: Pick<PostIntake, 'accept'>
  /** Sends an own frame carrying post `postId` on the shared topic, or queues it (kept on disk) until it can leave. */
  send(frame: Uint8Array, expires: number, postId: Uint8Array): Promise<SendResult>
  powBits: Record<PostKind, number>
  /** Unix seconds now. */
  now(): number
  /** Seconds a newcomer stays out of rings. */
  newcomerDelay: number
}

/** What a post adds to the build besides the ring. */
type Fields = { kind: 'POST', body: string } | { kind: 'REPLY', body: string, parent: Uint8Array, thread: Uint8Array } | { kind: 'VOTE', vote: 1 | -1, parent: Uint8Array }

/** A member's own circle posts. */
export class CirclePosts {
  private readonly components: CirclePostsComponents
  /** Posts voted on right now, so that two concurrent votes of this member on one post are one. */
  private readonly voting = new Set<string>()

  constructor (components: CirclePostsComponents) {
    this.components = components
  }

  /** The ring this member would sign with now, and why it may not post. */
  ring (circle: HeldCircle): RingSelection {
    return selectRing(circle.ringMembers(), {
      self: circle.state.member.ring.publicKey,
      now: this.components.now(),
      minRing: circle.state.minRing,
      newcomerDelay: this.components.newcomerDelay
    })
  }

  /** A thread's first post. */
  async post (circle: HeldCircle, body: string, options: PostOptions): Promise<PostResult> {
    return await this.publish(circle, { kind: 'POST', body }, options)
  }

  /** A reply in the thread of `parentId`, under the member's pseudonym in that thread. */
  async reply (circle: HeldCircle, parentId: string, body: string, options: PostOptions): Promise<PostResult> {
    const parent = await this.target(circle, parentId)
    if (parent.kind === 'VOTE') throw new PostValidationError('a vote cannot be replied to', 'ERR_BAD_FIELD')
    const rootId = threadRoot(parent)
    const root = await this.components.reads.get(rootId)
    const keys = circle.keysOf(circle.current)
    // the root's content digest when this member wrote it (its replies are the OP's), else the root's id
    const thread = root === undefined ? rootId : memberThread(circle.state.member.ring.secretKey, { topic: keys.innerTopic, envelope: root.envelope })
    return await this.publish(circle, { kind: 'REPLY', body, parent: parent.id, thread }, options)
  }

  /** A vote: one per member per post counts (AlreadyVotedError for a second one, before anything is sent). */
  async vote (circle: HeldCircle, postId: string, vote: 1 | -1, options: PostOptions): Promise<PostResult> {
    if (vote !== 1 && vote !== -1) throw new PostValidationError(`a vote is +1 or -1, got ${String(vote)}`, 'ERR_BAD_FIELD')
    const target = await this.target(circle, postId)
    if (target.kind === 'VOTE') throw new PostValidationError('a vote cannot be voted on', 'ERR_BAD_FIELD')
    const key = toHex(target.id)
    if (this.voting.has(key)) throw new AlreadyVotedError()
    this.voting.add(key)
    try {
      const scope = voteScope(target.id)
      if (await this.components.store.hasTag(scope, linkTag(circle.state.member.ring.secretKey, scope))) throw new AlreadyVotedError()
      return await this.publish(circle, { kind: 'VOTE', vote, parent: target.id }, options)
    } finally {
      this.voting.delete(key)
    }
  }

  /**
   * An own post or reply lost in a fork (`entry`, on a dropped generation) made again on the current
   * generation, then the lost copy withdrawn from this node's store (it is shown once, as made again).
   */
  async repost (circle: HeldCircle, entry: PostEntry, options: PostOptions): Promise<PostResult> {
    if (entry.kind === 'VOTE') throw new CircleError('ERR_CIRCLE_POST', 'a vote lost in a fork is not posted again: vote again')
    const result = entry.kind === 'REPLY' ? await this.reply(circle, toHex(entry.parent!), entry.body, options) : await this.post(circle, entry.body, options)
    await this.components.store.withdraw(entry.id)
    return result
  }

  /** A post of the circle's current generation replied to or voted on (its ring and tags are that generation's). */
  private async target (circle: HeldCircle, id: string): Promise<PostEntry> {
    const entry = await this.components.reads.get(parseId(id))
    if (entry === undefined) throw new UnknownPostError()
    if (circle.generationOfChannel(entry.channel) === undefined) throw new CircleError('ERR_CIRCLE_POST', `post ${id.slice(0, 8)} is not of circle ${circle.name}`)
    if (circle.generationOfChannel(entry.channel) !== circle.current) throw new CircleError('ERR_CIRCLE_POST', `post ${id.slice(0, 8)} is of an earlier generation of ${circle.name}: it can be read, not answered`)
    return entry
  }

  /**
   * An own frame as it may leave now (called as it is released). A post, reply or vote whose epoch left
   * the live window while it waited (offline, or across a restart) is refused by every member as
   * ERR_STALE_EPOCH and lost in silence: as for a public channel's own posts, a vote is made again (the
   * same vote on the same post, signed for now; the member's vote already stored here stands for it), and
   * a post or reply (its id covers its time, replies may refer to it) or a vote that cannot be signed now
   * is given up, throwing PostValidationError with the refusal's code, which the outbox reports as the
   * post dropped. A post given up is withdrawn from the author's store (stored when it was made, it would
   * stay in the feed, and after restarts, though no member will ever have it; its vote no longer
   * counts, and the member may vote on that post again). Any other frame is returned as it is.
   */
  async current (circles: Iterable<HeldCircle>, frame: Uint8Array): Promise<Uint8Array> {
    for (const circle of circles) {
      const opened = circle.open(frame)
      if (opened === undefined) continue
      if (opened.record.type !== CircleRecordType.ENVELOPE) return frame
      // our own frame, verified when made: only time can have changed, which the checks before the curve see
      const checked = precheckEnvelope(opened.record.body, {
        topic: opened.keys.innerTopic,
        circleKey: opened.keys.postKey,
        powBits: this.components.powBits,
        now: Math.floor(this.components.now()),
        epochWindow: LIVE_EPOCH_WINDOW
      })
      if (checked.ok || (checked.code !== 'ERR_STALE_EPOCH' && checked.code !== 'ERR_EXPIRED')) return frame
      // our own bytes, checked when made: they decode
      const post = decodePost(openCirclePost(opened.keys.postKey, opened.keys.innerTopic, decodeEnvelope(opened.record.body).post))
      if (checked.code === 'ERR_STALE_EPOCH' && post.kind === Post.Kind.VOTE && opened.generation === circle.current) {
        const again = await this.seal(circle, { kind: 'VOTE', vote: post.vote < 0 ? -1 : 1, parent: post.parent }, { ttl: post.ttl }).catch(() => undefined)
        if (again !== undefined) return again.built.frame
      }
      await this.components.store.withdraw(messageId(opened.keys.innerTopic, opened.record.body))
      throw new PostValidationError(`not sent: ${checked.reason}; it waited too long to leave (post it again)`, checked.code)
    }
    return frame
  }

  private async publish (circle: HeldCircle, fields: Fields, options: PostOptions): Promise<PostResult> {
    // the lifetimes a node makes (1h/1d/1w, a day for votes), as for public channels: an odd one would mark its author
    checkLifetime(options.ttl, fields.kind)
    const { built, selection, valid } = await this.seal(circle, fields, options)
    const stored = await this.components.intake.accept(built.bytes, valid)
    if (stored === 'duplicate-tag') throw fields.kind === 'VOTE' ? new AlreadyVotedError() : new PostValidationError('a post of this member holds the same slot already', 'ERR_DUPLICATE_TAG')
    const sent = await this.components.send(built.frame, Math.floor(this.components.now()) + CIRCLE_FRAME_TTL, built.id)
    return { id: toHex(built.id), ring: selection.ring.length, ...sent }
  }

  /** Builds, signs over the ring eligible now, seals and checks a post of this member (counted first). */
  private async seal (circle: HeldCircle, fields: Fields, options: PostOptions): Promise<{ built: Awaited<ReturnType<typeof buildCirclePost>>, selection: RingSelection, valid: ValidEnvelope }> {
    if (circle.state.removed === true) throw new CircleError('ERR_CIRCLE_ROTATION', `the owner of ${circle.name} rotated it without this member: it can no longer post there`)
    const selection = this.ring(circle)
    if (selection.selfNewcomerUntil !== undefined) {
      throw new CircleError('ERR_CIRCLE_RING', `this member joined ${circle.name} recently: its posts would name it until ${new Date(selection.selfNewcomerUntil * 1000).toISOString()}`)
    }
    if (selection.belowMinimum) {
      throw new CircleError('ERR_CIRCLE_RING', `${circle.name} has ${selection.ring.length} eligible members, below its minimum ring of ${circle.state.minRing}: a post would say too much of who wrote it`)
    }
    const generation = circle.current
    const keys = circle.keysOf(generation)
    const { counters, powBits } = this.components
    const ttl = options.ttl ?? DEFAULT_TTL
    const created = jitteredCreated(this.components.now())
    // counted (on disk) before the build: an aborted build never hands the same slot out twice
    const sequence = fields.kind === 'VOTE'
      ? { epoch: await counters.takeVote(keys.innerTopic, created, fields.vote === -1 ? -1 : 1), week: 0 }
      : await counters.take(keys.innerTopic, created)
    const built = await guardProtocolAsync(async () => await buildCirclePost(keys, {
      ...fields,
      created,
      ttl,
      powBits: powBits[fields.kind],
      minRing: circle.state.minRing,
      auth: { kind: 'ring', ring: selection.ring, secretKey: circle.state.member.ring.secretKey, sequence },
      signal: options.signal,
      onProgress: options.onProgress
    }))
    const valid = validateCircleEnvelope(keys, built.bytes, {
      isMember: (key) => circle.isMember(generation, key),
      minRing: circle.state.minRing,
      powBits,
      now: Math.floor(this.components.now()),
      epochWindow: LIVE_EPOCH_WINDOW
    })
    if (!valid.ok) throw new PostValidationError(`the circle post does not validate: ${valid.reason}`, valid.code)
    return { built, selection, valid }
  }
}
