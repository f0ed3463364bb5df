/**
 * How an envelope from anywhere — gossip, a stem peer, history sync, or this node itself — becomes a
 * stored post: one validation, one tag rule, one store write, one 'post' event. Every path in goes
 * through here, so a post is judged the same way whichever way it came.
 */
import { ERROR_ACTIONS, Post, isExpired, messageId, validateEnvelope } from '@murmur/protocol'
import { toPostView } from './view.js'
import { threadRoot } from './store/index.js'
import type { PostEntry, PostStore, PutResult, StoredPost } from './store/index.js'
import type { PostView } from './view.js'
import type { PostKind, ValidationResult, ValidEnvelope } from '@murmur/protocol'

/** A verdict in gossipsub's terms: take and forward it, drop it and penalise the sender, or just drop it. */
export type Verdict = 'accept' | 'reject' | 'ignore'

/** What {@link PostIntake} needs from the node. */
export interface PostIntakeComponents {
  store: PostStore
  /** Proof-of-work bits required per kind. */
  powBits: Record<PostKind, number>
  /** Called with every newly stored post. */
  announce(view: PostView): void
  /** Whether anyone listens to `announce` now; when not, no view is built. @default always */
  announcing?(): boolean
  /** Called with the id of every valid envelope from the network, new or not (the stem's embargo listens here). */
  onValid?(id: Uint8Array): void
  /**
   * Whether `id` is an own post waiting to come back from the network: a sync copy of it is then
   * validated and reported to `onValid`, though the post is stored already. @default never
   */
  awaiting?(id: Uint8Array): boolean
}

/**
 * Judges envelopes and stores the valid ones. The node builds one; it is exported for tools and
 * benchmarks that drive history sync or the stem against a store of their own.
 *
 * @example
 * ```ts
 * const intake = new PostIntake({ store, powBits: { POST: 16, REPLY: 16, VOTE: 12 }, announce: (view) => console.log(view.body) })
 * await intake.ingest('murmur/1/#lobby', envelope) // 'accept' | 'reject' | 'ignore'
 * ```
 */
export class PostIntake {
  private readonly store: PostStore
  private readonly powBits: Record<PostKind, number>
  private readonly announce: (view: PostView) => void
  private readonly announcing: () => boolean
  private readonly onValid?: (id: Uint8Array) => void
  private readonly awaiting: (id: Uint8Array) => boolean
  /**
   * Envelopes found valid, by bytes object, so that one passed on (a stem hop that fluffs it, an own
   * post the stem could not hide) is not checked again.
   */
  private readonly valid = new WeakMap<Uint8Array, { topic: string, valid: ValidEnvelope }>()

  constructor (components: PostIntakeComponents) {
    this.store = components.store
    this.powBits = components.powBits
    this.announce = components.announce
    this.announcing = components.announcing ?? (() => true)
    this.onValid = components.onValid
    this.awaiting = components.awaiting ?? (() => false)
  }

  /**
   * Protocol validation only (no store, no tag rule). An envelope already found valid here (the same
   * bytes object, as a stem hop that fluffs it passes it on) is only checked again for expiry:
   * everything else the validator checks cannot change with time.
   */
  validate (topic: string, envelope: Uint8Array): ValidationResult {
    const known = this.valid.get(envelope)
    if (known !== undefined && known.topic === topic && !isExpired(known.valid.post, BigInt(Math.floor(Date.now() / 1000)))) {
      return known.valid
    }
    const result = validateEnvelope(envelope, { topic, powBits: this.powBits })
    if (result.ok) this.valid.set(envelope, { topic, valid: result })
    return result
  }

  /**
   * The full verdict without storing: protocol validation, the tag rule, and whether the post is
   * already here. For stem hops, which must not store a post they only pass on.
   */
  async judge (topic: string, envelope: Uint8Array): Promise<Verdict> {
    const valid = this.validate(topic, envelope)
    if (!valid.ok) return ERROR_ACTIONS[valid.code]
    if (valid.auth.kind === 'ring' && await this.store.hasTag(valid.auth.scope, valid.auth.tag)) return ERROR_ACTIONS.ERR_DUPLICATE_TAG
    return await this.store.has(valid.id) ? 'ignore' : 'accept'
  }

  /** Validates and stores an envelope from the network outside gossip (history sync). */
  async ingest (topic: string, envelope: Uint8Array): Promise<Verdict> {
    // a post already here costs one hash, not a signature check (a peer may push many)
    const id = messageId(topic, envelope)
    if (await this.store.has(id)) {
      // except an own post a peer holds: it is out there, so it may be handed out by sync now
      if (this.awaiting(id) && this.validate(topic, envelope).ok) this.onValid?.(id)
      return 'ignore'
    }
    const valid = this.validate(topic, envelope)
    if (!valid.ok) return ERROR_ACTIONS[valid.code]
    return verdictOf(await this.receive(envelope, valid))
  }

  /** Stores a valid envelope that came from the network (gossip or sync), noting that it is out there. */
  async receive (envelope: Uint8Array, valid: ValidEnvelope): Promise<PutResult> {
    this.onValid?.(valid.id)
    return this.accept(envelope, valid)
  }

  /** Stores an envelope that passed protocol validation; the store refuses a tag seen in its scope. */
  async accept (envelope: Uint8Array, valid: ValidEnvelope): Promise<PutResult> {
    const stored = this.toStored(envelope, valid)
    const result = await this.store.put(stored)
    if (result === 'stored' && this.announcing()) {
      const entry = await this.store.get(stored.id)
      if (entry !== undefined) this.announce(await this.view(entry))
    }
    return result
  }

  /** The view of a stored post, with its thread's OP key for replies. */
  async view (entry: PostEntry): Promise<PostView> {
    if (entry.kind !== 'REPLY') return toPostView(entry)
    const root = await this.store.get(threadRoot(entry))
    return toPostView(entry, root?.authorKey)
  }

  /** The stored form of an envelope; a REPLY names its parent only, the store files it in its thread. */
  private toStored (envelope: Uint8Array, valid: ValidEnvelope): StoredPost {
    const { id, post, auth } = valid
    const created = Number(post.created)
    const stored: StoredPost = { id, channel: post.channel, kind: post.kind, body: post.body, vote: post.vote, created, expires: created + post.ttl, envelope }
    if (post.kind !== Post.Kind.POST) stored.parent = post.parent
    if (auth.kind === 'one-time') {
      stored.authorKey = auth.publicKey
    } else {
      stored.scope = auth.scope
      stored.tag = auth.tag
    }
    return stored
  }
}

/** A store outcome as a gossip verdict. */
function verdictOf (result: PutResult): Verdict {
  switch (result) {
    case 'stored': return 'accept'
    case 'duplicate-tag': return ERROR_ACTIONS.ERR_DUPLICATE_TAG
    default: return 'ignore'
  }
}
