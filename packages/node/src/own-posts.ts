/**
 * How the node's own posts are made and how they leave it: signed under the author's pseudonym of their
 * thread, built (with proof of work), checked like a post from the network, kept with the own posts not
 * yet back from the network (not in the post store: the first copy back is stored like any new post),
 * then sent through the stem (or straight into gossip when the node runs without it), also when an
 * earlier run left them queued; and how a stem post is fluffed into gossip here.
 */
import { AbortError, Post, buildEnvelope, forwardableUntil, decodeEnvelope, decodePost, equalBytes, memberThread, isCircleChannel, messageId, oneTimeKey, pseudonymSeed, threadPseudonymSeed, toHex } from '@murmur/protocol'
import { AlreadyVotedError, PostValidationError, StampNotReadyError, UnknownPostError } from './errors.js'
import { guardProtocolAsync, parseId, topicOf } from './input.js'
import { MAX_OUTBOX } from './constants.js'
import { FORWARD_STORED_MAX_AGE } from './intake.js'
import { carriesPosts, forwardableDeadline, forwardRefusal } from './forwardable.js'
import { jitteredCreated } from './membership/index.js'
import { nextTurn } from './next-turn.js'
import { threadRoot } from './store/index.js'
import type { RingSigner } from './membership/index.js'
import type { PostEntry, PostStore } from './store/index.js'
import type { LocalReads } from './local-reads.js'
import type { OwnVotes } from './own-votes.js'
import type { Logger } from '@libp2p/interface'
import type { AuthorKey } from '@murmur/protocol'
import type { PostOptions, PostResult } from './index.js'
import type { InStem, InStemPost } from './in-stem.js'
import type { PostIntake } from './intake.js'
import type { Deadline, DropReason, Outbox, Release, SendResult } from './outbound.js'
import type { Stem } from './stem/index.js'
import type { BuildEnvelopeOptions, PowMiner, RingAuthOptions, RingLink, ValidEnvelope, ValidationResult } from '@murmur/protocol'

/** What the node builds for one of its own posts (the options fill in the rest). */
export type OwnPost = Omit<BuildEnvelopeOptions, 'powBits' | 'signal' | 'onProgress' | 'ttl' | 'now' | 'miner'>

/** What {@link OwnPosts} needs from the node. */
export interface OwnPostsComponents {
  intake: PostIntake
  /** Own posts not yet back from the network: where they are kept until then, across restarts too. */
  inStem: InStem
  /** Straight into gossip: fluffs, and own posts when there is no stem. */
  direct: Outbox
  /** Where own posts leave: an outbox releasing into the stem, or `direct` when the node runs without it. */
  outbound: Outbox
  /** The post store: whether an own post came back before a crash (its record's deletion lost), whether a vote's tag is held. */
  store: Pick<PostStore, 'has' | 'hasTag'>
  /** Posts as the user reads them (own posts not yet back included): what is replied to or voted on. */
  reads: Pick<LocalReads, 'get'>
  /** The user's votes by post, kept until the post expires (across restarts and stamps). @default none: only the member's tag on the post is checked */
  votes?: Pick<OwnVotes, 'get' | 'add' | 'remove'>
  /** Told of each own post's validation before it is sent, as the intake tells of every first sight (metrics). @default none */
  checked?: (result: ValidationResult) => void
  /** The joined channel of a topic, if any. */
  channelOf(topic: string): string | undefined
  /** Joins a channel (own posts join theirs). */
  join(channel: string): Promise<void>
  /** Throws NotStartedError once the node stopped. */
  assertRunning(): void
  /** How this node's member signs; undefined while membership is off or the node does not mint. @default none */
  signer?(): RingSigner | undefined
  /** When the stamp being minted is expected (unix seconds), if known. @default unknown */
  readyAt?(): number | undefined
  /**
   * What mines own posts' proof of work: the verification pool's (poolMiner), so that the hashing
   * and its garbage are not done in the event loop that sends the post on.
   *
   * @default the protocol's minePow, in this thread
   */
  miner?: PowMiner
  log: Logger
}

/** Parameters of {@link OwnPosts}. */
export interface OwnPostsInit {
  /** Proof-of-work bits per kind. */
  powBits: Record<'POST' | 'REPLY' | 'VOTE', number>
  /** The author identity the thread pseudonyms derive from. */
  authorKey: AuthorKey
  /** A clock injected for tests (unix milliseconds) to date own posts by. @default the protocol's (Date.now) */
  clock?: () => number
}

/**
 * Makes and sends the node's own posts; fluffs stem posts.
 *
 * @example
 * ```ts
 * const own = new OwnPosts({ intake, inStem, direct, outbound, store, reads, channelOf, join, assertRunning, log }, { powBits, authorKey })
 * await own.post('#lobby', 'hi', {}) // { id, status: 'sent', recipients: 1 }
 * ```
 */
export class OwnPosts {
  private readonly components: OwnPostsComponents
  private readonly powBits: OwnPostsInit['powBits']
  private readonly authorKey: AuthorKey
  private readonly clock?: () => number
  /** Posts a vote of this node is being made on (hex ids): a second vote on one of them is refused at once. */
  private readonly voting = new Set<string>()
  /**
   * Own votes signed again (see {@link current}): the hex id of the envelope an outbox may still hold (its
   * release could not leave) → the id of the vote that replaced it, while that one waits to leave.
   */
  private readonly replaced = new Map<string, Uint8Array>()
  /**
   * Relayed posts fluffed here into the outbox's queue (no member reachable), stored when the outbox
   * publishes them, as an own post is (see {@link landed}); by id, at most {@link MAX_OUTBOX}.
   */
  private readonly fluffed = new Map<string, { topic: string, envelope: Uint8Array, valid: ValidEnvelope, expires: number }>()

  constructor (components: OwnPostsComponents, init: OwnPostsInit) {
    this.components = components
    this.powBits = init.powBits
    this.authorKey = init.authorKey
    this.clock = init.clock
  }

  /**
   * A thread's first post: ring-signed by this node's member in a free slot of the hour when it holds a
   * stamp (its ring kept for its later posts in the thread), else signed with the author's pseudonym of
   * that very thread, unverified, with more proof of work. Throws RateLimitError (ERR_RATE_LIMITED) when
   * the member made its K posts of the hour in the channel.
   */
  async post (channel: string, body: string, options: PostOptions): Promise<PostResult> {
    await this.components.join(channel)
    const member = await this.memberAuth(channel, options)
    if (member !== undefined) return this.publish({ channel, kind: 'POST', body, ...member }, options)
    // seeded by the content digest: the id binds the signer, so it is not known before the key
    const secret = this.authorKey.secretKey
    return this.publish({ channel, kind: 'POST', body, auth: { kind: 'one-time', seed: (content) => pseudonymSeed(secret, content) } }, options)
  }

  /**
   * A reply: ring-signed by this node's member as {@link post} is, over the ring it used in the thread
   * before (members whose stamps lapsed replaced), naming its thread (memberThread: the root's content
   * digest when the member wrote the root, so its replies are the OP's; else the root's id) so that its
   * thread tag is the member's pseudonym there; else under the author's pseudonym of the parent's thread
   * (the root's key when the author wrote the root), unverified.
   */
  async reply (parentId: string, body: string, options: PostOptions): Promise<PostResult> {
    const parent = await this.requirePost(parentId)
    if (parent.kind === 'VOTE') {
      throw new PostValidationError('a vote cannot be replied to', 'ERR_BAD_FIELD')
    }
    const rootId = threadRoot(parent)
    await this.components.join(parent.channel)
    const root = await this.components.reads.get(rootId)
    const secret = this.authorKey.secretKey
    // anyone but the OP gets a key bound to the root's signer: a re-signed copy of the root is another thread
    const seed = root === undefined
      ? pseudonymSeed(secret, rootId)
      : threadPseudonymSeed(secret, { topic: topicOf(root.channel), envelope: root.envelope })
    // the author of a one-time-signed root (posted before its stamp was out) answers in that thread under
    // the root's key, member or not: a ring-signed reply's thread tag never equals a one-time key, so it
    // would lose the OP mark in its own thread
    const ownOneTimeRoot = root?.authorKey !== undefined && root.tag === undefined && equalBytes(oneTimeKey(seed).publicKey, root.authorKey)
    const member = ownOneTimeRoot ? undefined : await this.memberAuth(parent.channel, options, rootId)
    if (member !== undefined) {
      // a root gone from the store: the member cannot tell whether it wrote it, so its reply is not the OP's
      const thread = root === undefined ? rootId : memberThread(member.auth.secretKey, { topic: topicOf(root.channel), envelope: root.envelope })
      return this.publish({ channel: parent.channel, kind: 'REPLY', parent: parent.id, thread, body, ...member }, options, rootId)
    }
    return this.publish({ channel: parent.channel, kind: 'REPLY', parent: parent.id, body, auth: { kind: 'one-time', seed } }, options)
  }

  /**
   * A vote, ring-signed by this node's member over a fresh ring (never linked to the voter's thread
   * pseudonym), scoped to the post: one vote per member per post counts, on every node. Throws
   * AlreadyVotedError (ERR_ALREADY_VOTED) when this node voted on the post already (recorded in `votes`,
   * its member's tag stored or on its way out, or a vote on it under way): a vote is neither repeated nor
   * changed (of two votes under one tag every node keeps the smaller id, not the later one, see
   * MEMBERSHIP.md §5b); StampNotReadyError (ERR_STAMP_NOT_READY, `readyAt`) while the node holds no
   * stamp accepted now, NoDecoysError (ERR_NO_DECOYS) while its directory holds no other member, and
   * RateLimitError (ERR_RATE_LIMITED, `retryAt`) when it cast its VOTE_BUDGET upvotes (DOWNVOTE_BUDGET
   * downvotes) of the week in the channel, before anything is sent.
   */
  async vote (postId: string, vote: 1 | -1, options: PostOptions): Promise<PostResult> {
    if (vote !== 1 && vote !== -1) {
      throw new PostValidationError(`a vote is +1 or -1, got ${String(vote)}`, 'ERR_BAD_FIELD')
    }
    const target = await this.requirePost(postId)
    if (target.kind === 'VOTE') {
      throw new PostValidationError('a vote cannot be voted on', 'ERR_BAD_FIELD')
    }
    const key = toHex(target.id)
    if (this.voting.has(key)) throw alreadyVoted()
    this.voting.add(key)
    try {
      const cast = await this.components.votes?.get(target.id)
      if (cast !== undefined) throw alreadyVoted(cast)
      const signer = this.components.signer?.()
      if (signer === undefined) throw new StampNotReadyError(this.components.readyAt?.())
      const created = jitteredCreated(this.now())
      if (!signer.stamped(created)) throw new StampNotReadyError(this.components.readyAt?.())
      // before the budget is counted: a second vote on a post spends none of it
      await this.assertNotVoted(signer.voteLink(target.id))
      const auth = await signer.vote(topicOf(target.channel), created, vote)
      await this.components.join(target.channel)
      const result = await this.publish({ channel: target.channel, kind: 'VOTE', parent: target.id, vote, created, auth }, options)
      await this.components.votes?.add(target.id, vote, target.expires)
      return result
    } finally {
      this.voting.delete(key)
    }
  }

  /**
   * The ring auth and `created` of a member's POST or REPLY (in the thread of root `thread`) in a public
   * channel, its slot numbers counted; undefined when the node cannot ring-sign it (no stamp accepted now,
   * no other member known, or a circle channel).
   */
  private async memberAuth (channel: string, options: PostOptions, thread?: Uint8Array): Promise<{ created: number, auth: RingAuthOptions } | undefined> {
    const signer = this.components.signer?.()
    if (signer === undefined || isCircleChannel(channel)) return undefined
    const created = jitteredCreated(this.now())
    const auth = await signer.post(topicOf(channel), created, thread)
    return auth === undefined ? undefined : { created, auth }
  }

  /**
   * Throws AlreadyVotedError when a vote of this member under `link` (its scope and tag on one post) is
   * stored or not back from the network yet: a second one is dropped by every relay, so only its author
   * could ever publish it.
   */
  private async assertNotVoted ({ scope, tag }: RingLink): Promise<void> {
    const { store, inStem } = this.components
    if (await store.hasTag(scope, tag)) throw alreadyVoted()
    const pending = inStem.pending().some((post) => {
      try {
        return decodeEnvelope(post.envelope).ring?.tags.some((held) => equalBytes(held, tag)) === true
      } catch {
        return false
      }
    })
    if (pending) throw alreadyVoted()
  }

  /** Unix seconds now, by the injected clock when there is one. */
  private now (): number {
    return this.nowMs() / 1000
  }

  /** Unix milliseconds now, by the injected clock when there is one. */
  private nowMs (): number {
    return this.clock?.() ?? Date.now()
  }


  /**
   * Own posts an earlier run left unfinished, once the stem is running: those left in its outbox go back
   * into the outbox (their channel joined), to leave as usual; those it had sent into the stem are held
   * by `stem` again while fresh ({@link FORWARD_STORED_MAX_AGE}; not sent now, which would name their
   * author): a copy a peer sends back is routed as any held post, and their embargo gets them out if
   * their successor swallowed them. An older one is only withheld from sync until a peer offers it or it
   * expires: a stem hop that stores a post never passes it on, so a long-spread post sent on by this
   * node after a restart could only be its own.
   */
  async resendQueued (stem?: Pick<Stem, 'resume'>): Promise<void> {
    const { intake, inStem, outbound, store, join, log } = this.components
    for (const post of inStem.pending()) {
      // it came back (and was stored) just before the stop, and the record outlived it
      if (await store.has(post.id)) inStem.arrived(post.id)
    }
    for (const post of inStem.queued()) {
      await join(post.channel)
      // made before the restart, its epoch may have passed meanwhile: the outbox's release sees to it (see release)
      outbound.send(topicOf(post.channel), post.envelope, post.expires).catch((err: unknown) => {
        log.error('could not send an own post queued before the restart - %e', err)
      })
    }
    if (stem === undefined) return
    const now = this.now()
    for (const post of inStem.inTransit()) {
      const created = intake.ownEntry(post.channel, post.envelope)?.created
      // only a fresh post is held again (see above); an older one just stays withheld from sync
      if (created !== undefined && now - created <= FORWARD_STORED_MAX_AGE) {
        await join(post.channel)
        stem.resume(topicOf(post.channel), post.envelope, post.expires)
      }
    }
  }

  /**
   * Releases a post through `next` (the outbox's way out: the stem, or gossip) as it may leave now (see
   * {@link current}): an own post time overtook while it waited (in the outbox, or across a restart) would be
   * refused by every stem hop and gossip peer (or by those whose clocks are ahead of ours, and charged to
   * this node), so a vote is signed again for now and the rest is given up, throwing PostValidationError
   * (ERR_STALE_EPOCH, ERR_EXPIRED), which the outbox reports as the post dropped. Another node's post (being
   * fluffed) goes out as it is while it is forwardable, and is kept here otherwise (the same error thrown).
   *
   * @example
   * ```ts
   * const outbox = new Outbox({ pubsub, connectionCount, release: async (t, e, x) => await own.release(t, e, x, stemRelease), log })
   * ```
   */
  async release (topic: string, envelope: Uint8Array, expires: number, next: Release): Promise<SendResult | undefined> {
    const now = await this.current(topic, envelope, expires)
    return await next(topic, now.envelope, now.expires)
  }

  /**
   * An own post as it may leave now. A ring-signed post or vote whose epoch left (or is about to leave, for
   * a node whose clock is ahead of ours: the forward rule, {@link forwardRefusal}) the live window
   * (LIVE_EPOCH_WINDOW, an hour either side of now's) while it waited is refused as ERR_STALE_EPOCH. A vote is then made again, the same vote on the same post signed for now (nothing
   * refers to a vote's id; the record of the user's vote stands): the new envelope replaces the old one
   * among the posts not yet back. A POST or REPLY is not: its id covers its time and signature, so a new
   * one would orphan the replies made to it and the id its author was given. It, and a vote that cannot be
   * signed now (no stamp, its budget spent), is given up: forgotten, a vote's record undone so the user may
   * cast it again, and PostValidationError (the refusal's code) thrown. Another node's post is returned as
   * it is while it may be passed on ({@link refusal}).
   */
  private async current (topic: string, given: Uint8Array, expires: number): Promise<{ envelope: Uint8Array, expires: number }> {
    const { intake, log } = this.components
    const own = this.latest(topic, given)
    if (own === undefined) {
      const refused = this.refusal(topic, given)
      if (refused !== undefined) throw new PostValidationError(`kept, not passed on: ${refused.reason}`, refused.code)
      return { envelope: given, expires }
    }
    // a vote signed again at an earlier release that could not leave: its replacement goes, never the old one
    const envelope = own.envelope
    const checked = intake.validate(topic, envelope, 'own')
    const code = checked.ok ? forwardRefusal(checked, this.nowMs(), true) : checked.code
    if (code === undefined || !OVERTAKEN.has(code)) return { envelope, expires: own.expires }
    // our own bytes, checked when made: they decode
    const post = decodePost(decodeEnvelope(envelope).post)
    const again = post.kind === Post.Kind.VOTE && code === 'ERR_STALE_EPOCH' ? await this.revote(own, post) : undefined
    if (again !== undefined) {
      log('signed again an own vote that waited past its epoch')
      return again
    }
    await this.giveUp(topic, envelope, code)
    throw new PostValidationError(`not sent: ${checked.ok ? NOT_FORWARDABLE : checked.reason}; it waited too long to leave (post it again)`, code)
  }

  /**
   * Why a post of `topic`, own or another node's, may not leave the node now (handed on in the stem,
   * published): invalid by now, or not forwardable ({@link forwardRefusal}); undefined when it may.
   * Directory announcements and circle frames are not posts: their own paths judge them.
   *
   * @example
   * ```ts
   * const stem = createStem({ ...components, passable: (topic, envelope) => own.refusal(topic, envelope) === undefined })
   * ```
   */
  refusal (topic: string, envelope: Uint8Array): { code: string, reason: string } | undefined {
    if (!carriesPosts(topic)) return undefined
    // judged already, as a stem post or as our own: a cache hit
    const valid = this.components.intake.validate(topic, envelope, 'stem')
    if (!valid.ok) return { code: valid.code, reason: valid.reason }
    const code = forwardRefusal(valid, this.nowMs(), true)
    return code === undefined ? undefined : { code, reason: NOT_FORWARDABLE }
  }

  /**
   * Until when a post queued in an outbox may still leave (the outbox's `deadline`): an own ring
   * POST or REPLY until its epoch leaves the live window of a clock ahead of ours (`stale`), or its expiry
   * does (`expired`), whichever comes first; an own vote and any other post by expiry only (a vote is
   * signed again at its release, see {@link current}).
   *
   * @example
   * ```ts
   * const outbox = new Outbox({ ...components, deadline: (topic, envelope, expires) => own.deadline(topic, envelope, expires) })
   * ```
   */
  deadline (topic: string, envelope: Uint8Array, expires: number): Deadline {
    const own = this.latest(topic, envelope)
    const valid = own === undefined ? undefined : this.components.intake.validate(topic, own.envelope, 'own')
    const live = valid?.ok === true && valid.post.kind !== Post.Kind.VOTE
    const by = valid?.ok === true ? forwardableDeadline(valid, live) : { at: forwardableUntil(expires), code: 'ERR_EXPIRED' }
    return { at: by.at, reason: by.code === 'ERR_STALE_EPOCH' ? 'stale' : 'expired' }
  }

  /**
   * An outbox dropped `envelope` of `topic` as its deadline passed (`reason`, see {@link deadline}): an own
   * post is given up as at its release (forgotten, a vote's record undone). Nothing for any other post, nor
   * for a release that failed otherwise.
   *
   * @example
   * ```ts
   * const outbox = new Outbox({ ...components, onDropped: (topic, envelope, reason) => { void own.dropped(topic, envelope, reason) } })
   * ```
   */
  async dropped (topic: string, envelope: Uint8Array, reason: DropReason): Promise<void> {
    const own = this.latest(topic, envelope)
    if (own !== undefined && reason !== 'failed') await this.giveUp(topic, own.envelope, reason)
  }

  /**
   * The own post not yet back that `envelope` of `topic` is now: itself, or the vote that replaced it when
   * it was signed again at a release that could not leave (the outbox kept the old envelope); undefined
   * for any other post.
   */
  private latest (topic: string, envelope: Uint8Array): InStemPost | undefined {
    const { inStem } = this.components
    const id = messageId(topic, envelope)
    const own = inStem.get(id)
    if (own !== undefined) return own
    const key = toHex(id)
    const replacement = this.replaced.get(key)
    if (replacement === undefined) return undefined
    const now = inStem.get(replacement)
    if (now === undefined) this.replaced.delete(key)
    return now
  }

  /**
   * Forgets the own post `envelope` of `topic`, not yet back, that can no longer leave (`code`: why), and a
   * vote's record with it, so that the user may cast it again. Nothing for any other post.
   */
  private async giveUp (topic: string, envelope: Uint8Array, code: string): Promise<void> {
    const { inStem, votes, log } = this.components
    const id = messageId(topic, envelope)
    if (!inStem.has(id)) return
    inStem.drop(id)
    // our own bytes, checked when made: they decode
    const post = decodePost(decodeEnvelope(envelope).post)
    if (post.kind === Post.Kind.VOTE) await votes?.remove(post.parent)
    // no id, no channel: the log must not tie this node to one of its posts
    log('gave up an own post that waited too long to leave: %s', code)
  }

  /**
   * The own vote `post` (recorded as `old`) made again for now, recorded in its place; undefined when this
   * node's member cannot sign it now.
   */
  private async revote (old: InStemPost, post: Post): Promise<{ envelope: Uint8Array, expires: number } | undefined> {
    const { intake, inStem, log } = this.components
    const signer = this.components.signer?.()
    const created = jitteredCreated(this.now())
    if (signer?.stamped(created) !== true) return undefined
    try {
      const auth = await signer.vote(topicOf(post.channel), created, post.vote < 0 ? -1 : 1)
      const built = await guardProtocolAsync(async () => buildEnvelope({
        channel: post.channel,
        kind: 'VOTE',
        parent: post.parent,
        vote: post.vote < 0 ? -1 : 1,
        created,
        ttl: post.ttl,
        auth,
        now: this.now(),
        powBits: this.powBits.VOTE,
        miner: this.components.miner
      }))
      const valid = intake.validate(built.topic, built.bytes, 'own')
      if (!valid.ok || intake.membership(valid) !== undefined) return undefined
      const expires = Number(valid.post.created) + valid.post.ttl
      // one write: a crash in between would leave both, and the old one be signed again beside the new
      await inStem.replace(old.id, { id: valid.id, expires, channel: post.channel, envelope: built.bytes })
      this.redirect(old.id, valid.id)
      return { envelope: built.bytes, expires }
    } catch (err) {
      // its budget of the hour spent, no decoy known: given up as it is
      log('could not sign an own vote again - %e', err)
      return undefined
    }
  }

  /**
   * Records that the own vote `from` was replaced by `to`: an outbox holding `from`, or a vote `from` had
   * replaced, releases `to` from now on. Replacements no longer waiting to leave are forgotten here.
   */
  private redirect (from: Uint8Array, to: Uint8Array): void {
    const { inStem } = this.components
    for (const [key, target] of this.replaced) {
      if (equalBytes(target, from)) this.replaced.set(key, to)
      else if (!inStem.has(target)) this.replaced.delete(key)
    }
    this.replaced.set(toHex(from), to)
  }

  /**
   * This node published its own post `id` into gossip itself (no stem, or the stem gave up on it): it is
   * out there now, stored, and may be handed out by sync. Nothing for any other post.
   */
  async landed (id: Uint8Array): Promise<void> {
    const { intake, inStem } = this.components
    const post = inStem.get(id)
    if (post === undefined) {
      const key = toHex(id)
      const held = this.fluffed.get(key)
      this.fluffed.delete(key)
      if (held !== undefined) await this.landedRelayed(held.topic, held.envelope, held.valid)
      return
    }
    // a turn later, as a relayed post fluffed here is stored (see fluff): the bytes leave first
    await nextTurn()
    await intake.acceptOwn(post.channel, post.envelope, post.state === 'sent')
    inStem.arrived(id)
  }

  private async requirePost (id: string): Promise<PostEntry> {
    const entry = await this.components.reads.get(parseId(id))
    if (entry === undefined) {
      throw new UnknownPostError(`post ${id} is not in the local store (never received, or expired)`)
    }
    return entry
  }

  /**
   * Builds, records (not stored until it comes back) and sends one of our own posts. A member's ring post
   * leaves its ring in the ring book under its thread (`thread`, or its own id for a thread's first post).
   */
  private async publish (own: OwnPost, options: PostOptions, thread?: Uint8Array): Promise<PostResult> {
    const { intake, inStem, outbound } = this.components
    const built = await guardProtocolAsync(async () => buildEnvelope({
      ...own,
      now: this.clock === undefined ? undefined : this.clock() / 1000,
      ttl: options.ttl,
      // the base of the node's setting: the builder adds a ring's term, or an unverified post's extra bits
      powBits: this.powBits[own.kind ?? 'POST'],
      signal: options.signal,
      onProgress: options.onProgress,
      miner: this.components.miner
    }))
    // Our own envelope goes through the same checks and store path as one from the network.
    const valid = intake.validate(built.topic, built.bytes, 'own')
    if (!valid.ok) {
      throw new PostValidationError(valid.reason, valid.code)
    }
    this.components.checked?.(valid)
    const refused = intake.membership(valid)
    if (refused !== undefined) {
      throw new PostValidationError(refused.reason, refused.code)
    }
    // an abort during ring signing or right after mining: refused before anything is recorded
    if (options.signal?.aborted === true) throw new AbortError('the post was aborted', { cause: options.signal.reason })
    this.components.assertRunning()
    const expires = Number(valid.post.created) + valid.post.ttl
    if (own.auth?.kind === 'ring' && own.kind !== 'VOTE') {
      await this.components.signer?.()?.keep(thread ?? valid.id, own.auth.ring, expires)
    }
    // room in the outbox is taken before the post is recorded: a full outbox refuses it with nothing kept
    const room = outbound.reserve(built.topic)
    try {
      // recorded (on disk), not stored: no sync answer, not even after a crash and a restart, can list it
      // before it has come back from the network, and its first copy back is stored like any new post
      await inStem.add({ id: valid.id, expires, channel: valid.post.channel, envelope: built.bytes })
    } catch (err) {
      room.cancel()
      inStem.drop(valid.id)
      throw err
    }
    await intake.announceOwn(valid.id)
    const sent = await room.send(built.bytes, expires)
    // a post reported sent is recorded so on disk (the stem's release records it), even if the node stops now
    await inStem.flush()
    const ring = valid.auth.kind === 'ring' ? { ring: valid.auth.ring.length } : {}
    return { id: toHex(built.id), ...ring, ...sent }
  }

  /**
   * Publishes a stem post into gossip. A relay that fluffs another node's post of a channel it is in
   * stores it too (through the same intake as gossip), since gossipsub does not hand its own publication
   * back to it: after the publish, as an own post is stored after its release (see {@link landed}), so
   * that the time to the publish, which a successor handing the post back can measure, is the same for
   * both (fifteenth read of issue 12, High 1: stored first, a relayed post left ~5 ms later). One kept
   * here because it may not leave is stored all the same.
   */
  async fluff (topic: string, envelope: Uint8Array, expires: number | undefined): Promise<SendResult> {
    const { intake, direct } = this.components
    // judged already, as a stem post or as our own: a cache hit
    const valid = intake.validate(topic, envelope, 'stem')
    if (!valid.ok) return await this.unfluffed(topic, envelope, expires, valid.code, valid.reason)
    // held in the stem until it was no longer forwardable: neighbours whose clocks are ahead would refuse it, and charge us
    const refused = forwardRefusal(valid, this.nowMs(), true)
    // an own post (`expires` known) is stored once the direct outbox has published it (its release lands it)
    const storedHere = expires === undefined && this.components.channelOf(topic) !== undefined
    if (refused !== undefined) {
      if (storedHere) await this.keep(topic, envelope, valid)
      return await this.unfluffed(topic, envelope, expires, refused, `kept, not passed on: ${NOT_FORWARDABLE}`)
    }
    if (expires === undefined && !storedHere && !direct.reachable(topic)) {
      // a post of a channel we are not in, and nobody here to take it: queueing it would let strangers fill our outbox
      return { status: 'queued', reason: 'no-subscribers' }
    }
    const until = expires ?? Number(valid.post.created) + valid.post.ttl
    // stored once it leaves, as an own post is: while only queued (no member reachable) it would be listed
    // to a sync peer where an own post is not (seventeenth read of issue 12, Medium 1); held for the
    // outbox's publication only once queued, so a full outbox refuses it without dropping another held one
    const sent = await direct.send(topic, envelope, until)
    if (storedHere && sent.status === 'queued') this.holdFluffed(topic, envelope, valid, until)
    else if (storedHere) await this.landedRelayed(topic, envelope, valid)
    return sent
  }

  /** Keeps a relayed post fluffed here until the outbox publishes it (or it expires), oldest dropped past {@link MAX_OUTBOX}. */
  private holdFluffed (topic: string, envelope: Uint8Array, valid: ValidEnvelope, expires: number): void {
    const now = this.nowMs() / 1000
    for (const [key, held] of this.fluffed) if (held.expires <= now) this.fluffed.delete(key)
    while (this.fluffed.size >= MAX_OUTBOX) this.fluffed.delete(this.fluffed.keys().next().value as string)
    this.fluffed.set(toHex(valid.id), { topic, envelope, valid, expires })
  }

  /**
   * Stores a relayed post fluffed here once published (by `fluff`, or by the outbox's release of its queue),
   * a turn later, as an own post's landing does: the store's work must not hold up the publication's bytes.
   */
  private async landedRelayed (topic: string, envelope: Uint8Array, valid: ValidEnvelope): Promise<void> {
    await nextTurn()
    await this.keep(topic, envelope, valid)
  }

  /**
   * Stores another node's post fluffed (or kept) here, if its ring is of members known here (one that is
   * not was passed on all the same: see PostIntake.judge). A failure is logged: the post left, or was
   * refused, whatever the store says.
   */
  private async keep (topic: string, envelope: Uint8Array, valid: ValidEnvelope): Promise<void> {
    const { intake, log } = this.components
    try {
      if (intake.membership(valid, undefined, { topic, envelope, path: 'stem' }) === undefined) await intake.accept(envelope, valid)
    } catch (err) {
      log.error('could not store a post fluffed here - %e', err)
    }
  }

  /**
   * Refuses to fluff a post that may not leave (`code`, `reason`: why), throwing PostValidationError: an own
   * post (`expires` known) the stem held past its time is given up, not left waiting for ever (a vote signed
   * again here would leave without the stem).
   */
  private async unfluffed (topic: string, envelope: Uint8Array, expires: number | undefined, code: string, reason: string): Promise<never> {
    if (expires !== undefined && OVERTAKEN.has(code)) await this.giveUp(topic, envelope, code)
    throw new PostValidationError(reason, code)
  }
}

/** What time does to an own post that waits: past these it can never leave (see OwnPosts.current). */
const OVERTAKEN = new Set(['ERR_STALE_EPOCH', 'ERR_EXPIRED'])

/** Why a post valid here does not leave: some honest clock within the tolerated skew would refuse it. */
const NOT_FORWARDABLE = 'too near its time limits for every node within the clock tolerance to take it'

/**
 * The refusal of a vote on a post this node voted on (`cast`, when its direction is known): says that
 * nothing was sent and that the vote stands as it was.
 */
function alreadyVoted (cast?: 1 | -1): AlreadyVotedError {
  const done = cast === undefined ? 'voted on' : cast === 1 ? 'upvoted' : 'downvoted'
  return new AlreadyVotedError(`not voted: you ${done} this post already; a vote can be neither repeated nor changed`)
}
