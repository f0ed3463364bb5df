/**
 * How an envelope from anywhere — gossip, a stem peer, history sync, or this node itself — becomes a
 * stored post: one validation, one tag rule, one store write, one 'post' event. Every path in goes
 * through here, so a post is judged the same way whichever way it came, and the same bytes are never
 * verified twice: verdicts are remembered by the SHA-256 of topic and envelope bytes (never by post id,
 * so a broken copy cannot poison the genuine post), and a signature's by the bytes without their nonce
 * (SignatureMemo: the same signature under another nonce is not checked again). The node's own post is
 * checked here when it is made but stored only when its first copy comes back from the network, by the
 * same path and in the same time as any post new here.
 */
import { ERROR_ACTIONS, Post, ProtocolError, STAMP_ERROR_ACTIONS, decodeEnvelope, gossipMessageId, inEpochWindow, isCircleChannel, isExpired, messageId, postIdOf, precheckEnvelope, toHex, validateEnvelope } from '@murmur/protocol'
import { Recent } from './recent.js'
import { SignatureMemo } from './signature-memo.js'
import { VerifyQueueFullError } from './verify/errors.js'
import { toPostView } from './view.js'
import { topicOf } from './input.js'
import { UNKNOWN_SENDER, threadRoot } from './store/index.js'
import { AwaitingStamps } from './membership/awaiting-stamps.js'
import { ForwardedRings } from './store/forwarded-rings.js'
import type { AwaitingEnvelope, AwaitingStampsInit } from './membership/awaiting-stamps.js'
import type { PostEntry, PostStore, PutResult, StoreDatabase, StoredPost } from './store/index.js'
import type { PostView } from './view.js'
import type { GossipOutcome } from './gossip.js'
import type { SignedEnvelope } from './signature-memo.js'
import type { Envelope, EpochRule, ErrorCode, InvalidEnvelope, PostKind, RingMembership, ValidateOptions, ValidationResult, ValidEnvelope } from '@murmur/protocol'
import type { Logger } from '@libp2p/interface'

/** A verdict in gossipsub's terms: take and forward it, drop it and penalise the sender, or just drop it. */
export type Verdict = 'accept' | 'reject' | 'ignore'

/**
 * The way an envelope came in. Gossip, the stem and own posts are live: a ring-signed POST or REPLY must
 * be of this hour's epoch or a neighbour ({@link LIVE_EPOCH_WINDOW}). History sync carries older posts on
 * purpose and accepts any unexpired one (the weekly link tag caps those).
 */
export type IntakePath = 'gossip' | 'stem' | 'sync' | 'own'

/** Ring epochs accepted on the live paths (gossip, stem, own): now's, and one either side. */
export const LIVE_EPOCH_WINDOW = 1

/** Envelopes remembered as invalid (by bytes); a repeat costs one hash and is refused as before. */
export const INVALID_CACHE_SIZE = 4096

/** Envelopes remembered as valid (by bytes), so that a stem hop's copy is not verified again from gossip. */
export const VALID_CACHE_SIZE = 4096

/**
 * Envelopes refused as too early remembered (by bytes), with the result of checking them as of their own
 * time: a copy sent again costs one hash, however often (a too-early refusal is no penalty: the sender's
 * clock may be ahead, so it could be re-sent for free).
 */
export const EARLY_CACHE_SIZE = 1024

/**
 * Stem posts whose delivering group and last successor are remembered until this node fluffs them (a stem
 * hop stores a post only when it publishes it, long after the frame came in).
 */
export const STEM_SENDERS = 4096

/** Post ids remembered as seen in (or published into) gossip, about 10 MB at most. */
export const GOSSIPED_IDS = 65_536

/** Ring posts remembered as judged by the membership rule here (own or not), with the peers asked for their missing stamps. */
export const RINGS_CHECKED = 65_536

/**
 * Ms after a post's missing stamps were last asked of a peer before a later sender of it (by gossip or sync,
 * of another address group) is asked, while they are still missing: twice the stamp fetch's patience
 * (STAMP_FETCH_PATIENCE), so a peer that delivers a post first and never answers does not keep everyone
 * else from being asked.
 */
export const STAMP_ASK_RETRY = 10_000

/** Address groups asked at most for the missing stamps of one post (as the stamp fetcher's STAMP_FETCH_SOURCES). */
export const STAMP_ASK_GROUPS = 3

/**
 * Valid ring posts from gossip or history sync remembered as refused by the membership rule (by id): a later
 * copy costs the rule again (no curve operation), not a signature check, while the ring is still refused.
 */
export const RINGS_REFUSED = 65_536

/**
 * Seconds after its `created` during which the first gossip copy of a post stored here already is still
 * forwarded. `created` lies up to two minutes before the post leaves its author (a minute grid under a
 * minute of jitter), a stem adds seconds to tens of seconds per hop, and clocks may differ by two minutes
 * (MAX_CLOCK_SKEW): ten minutes covers a fresh post's first spread, own or planted by sync, with room to
 * spare. An older post has spread to everyone online long ago, so holding it says nothing about who wrote
 * it, and its replay (gossipsub forgets a message id after two minutes, this node's memory after a restart)
 * is not flooded through the network again.
 */
export const FORWARD_STORED_MAX_AGE = 600

/**
 * Why a valid ring-signed vote or post in a public channel is not taken (docs/MEMBERSHIP.md §4): its ring
 * names a member without a stamp known here at its `created` (ERR_UNKNOWN_MEMBER), or is smaller than asked
 * while the directory holds enough members (ERR_RING_TOO_SMALL). Both Ignore, never a penalty: directories
 * differ between nodes, and the sender may simply know more members.
 */
export interface MemberRefusal {
  code: 'ERR_UNKNOWN_MEMBER' | 'ERR_RING_TOO_SMALL'
  reason: string
}

/**
 * How an envelope refused for unknown members came in, so that it is kept ({@link PostIntake.membership})
 * and delivered the same way once their stamps arrive ({@link PostIntake.stamped}).
 */
export interface MemberHoldOptions {
  topic: string
  envelope: Uint8Array
  /** 'gossip', 'sync', or 'stem' for a stem post this node fluffs (stored as {@link PostIntake.accept} stores it). */
  path: Exclude<IntakePath, 'own'>
  /** The address group of the peer that delivered it; a fluffed stem post's is the one {@link PostIntake.accept} charges. */
  from?: string
}

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
   * Whether `id` is an own post waiting to come back from the network (kept out of the store until then):
   * its first copy back is stored as any post new here, with the same work before the verdict, charged
   * to the group that delivered it, and not announced again (it was when it was made). @default never
   */
  awaiting?(id: Uint8Array): boolean
  /**
   * A post as the node's user reads it, for a reply's thread root (an own root may not be stored yet).
   * @default the store's `get`
   */
  lookup?(id: Uint8Array): Promise<PostEntry | undefined>
  /**
   * Called once per distinct envelope verified from gossip or the stem, valid or refused, with the
   * address group of the peer that brought it when known (the clock-skew estimate listens here).
   * @default nothing
   */
  onVerified?(topic: string, envelope: Uint8Array, result: ValidationResult, path: IntakePath, from?: string): void
  /** Unix milliseconds; only tests pass another clock. @default Date.now */
  now?(): number
  /**
   * The membership rule of a ring (NodeMembership.checkRing): every member stamped at `created`, the ring
   * large enough; never evaluates a stamp, and queues missing members' stamps to fetch from `from` (a
   * PeerId). Applied to ring-signed votes and posts of public channels. @default none: every ring taken
   * (a node with membership off)
   */
  checkRing?(ring: Uint8Array[], created: number, from?: string): RingMembership
  /** Bounds of the envelopes kept until their ring's stamps arrive ({@link PostIntake.stamped}). @default AwaitingStamps' */
  awaitingStamps?: AwaitingStampsInit
  /**
   * validateEnvelope off the main thread, for envelopes from the network ({@link PostIntake.verify}): the
   * node's verification pool (`pool.validate`). Its refusals (ERR_VERIFY_QUEUE_FULL when overloaded,
   * ERR_VERIFY_WORKER_CRASHED, ERR_VERIFY_POOL_STOPPED) mean the envelope was not judged. `group`: the
   * address group of the peer that brought it, when known (a full pool refuses the busiest group first);
   * `path`: the way it came in (the pool checks stem and own posts first, then gossip, then sync).
   *
   * @default validateEnvelope on the main thread
   */
  offThread?(envelope: Uint8Array, options: ValidateOptions, group?: string, path?: IntakePath): Promise<ValidationResult>
  /**
   * What a refusal of a stem or sync envelope from `peer` (a PeerId) for `code` counts as: the node's
   * penalty tracker (`InvalidMessageTracker.refusal`), so that a free refusal (expired, too early) is Ignored
   * only within the peer's budget on these paths as on gossip. @default the code's action (ERROR_ACTIONS)
   */
  refusal?(peer: string, code: ErrorCode): Verdict
  /**
   * Where the marks of ring posts this node sent on in the stem are kept across restarts (ForwardedRings),
   * loaded by {@link PostIntake.open}. @default memory only
   */
  db?: StoreDatabase
  /** Where the intake's parts log (the node passes a scope of its logger). @default each part's own */
  log?: Logger
}

/**
 * Judges envelopes and stores the valid ones. The node builds one; it is exported for tools and
 * benchmarks that drive history sync or the stem against a store of their own.
 *
 * @example
 * ```ts
 * const intake = new PostIntake({ store, powBits: { POST: 16, REPLY: 16, VOTE: 12 }, announce: (view) => console.log(view.body) })
 * await intake.ingest('murmur/2/#lobby', envelope) // 'accept' | 'reject' | 'ignore'
 * ```
 */
export class PostIntake {
  private readonly store: PostStore
  private readonly powBits: Record<PostKind, number>
  private readonly announce: (view: PostView) => void
  private readonly announcing: () => boolean
  private readonly onValid?: (id: Uint8Array) => void
  private readonly awaiting: (id: Uint8Array) => boolean
  private readonly lookup: (id: Uint8Array) => Promise<PostEntry | undefined>
  private readonly onVerified?: PostIntakeComponents['onVerified']
  private readonly now: () => number
  private readonly offThread?: PostIntakeComponents['offThread']
  private readonly checkRing?: PostIntakeComponents['checkRing']
  private readonly refusal?: PostIntakeComponents['refusal']
  /** Valid ring envelopes refused for unknown members, until their stamps arrive. */
  private readonly waitingForStamps?: AwaitingStamps
  /** Own posts not yet back, as stored, by the envelope the stem holds (gone with it). */
  private readonly ownEntries = new WeakMap<Uint8Array, StoredPost>()
  /** Checks under way off the main thread, by bytes and strictness, with the group they were queued for: a copy arriving meanwhile waits for the first. */
  private readonly checking = new Map<string, { check: Promise<ValidationResult>, group?: string }>()
  /** Valid envelopes by bytes, with the strictest path they were verified for. */
  private readonly verified = new Recent<{ valid: ValidEnvelope, live: boolean }>(VALID_CACHE_SIZE)
  /** Refusals that no clock or path can change (the 'reject' codes), by bytes. */
  private readonly refused = new Recent<InvalidEnvelope>(INVALID_CACHE_SIZE)
  /** Signature verdicts by what the proof of work covers: a copy with another nonce is not checked again. */
  private readonly signatures = new SignatureMemo()
  /** Ring posts whose membership was judged here, own or not (see {@link membership}). */
  private readonly ringsChecked = new Recent<RingAsks>(RINGS_CHECKED)
  /** Valid ring posts from gossip or sync the membership rule refused (see {@link refusedAgain}). */
  private readonly ringsRefused = new Recent<true>(RINGS_REFUSED)
  /** Envelopes refused as too early, and what {@link validateAt} found of them (at which time), by bytes. */
  private readonly early = new Recent<{ at?: number, result?: ValidationResult }>(EARLY_CACHE_SIZE)
  /** Posts seen in (or published into) gossip: only their first gossip copy is forwarded. */
  private readonly gossiped = new Recent<true>(GOSSIPED_IDS)
  /**
   * Stem posts judged or sent on here, own or relayed: the group that delivered one and the successor it
   * was last sent to, charged when this node fluffs and stores it. One entry for both, so that other stem
   * posts push both out at once, for an own post as for a relayed one (see {@link acceptOwn}).
   */
  private readonly stemPosts = new Recent<StemPost>(STEM_SENDERS)
  /**
   * Ring posts this node sent on in the stem, own or relayed, until they expire: no later sender of one is
   * asked for its stamps. Only posts the membership rule judged here (ring posts); on disk, so that a
   * restart does not forget them, and bounded per delivering address group, so that neither cheap stem
   * posts, nor other ring posts judged, nor a flood of ring posts relayed through this node push one out.
   */
  private forwardedRings: ForwardedRings
  private readonly db?: StoreDatabase
  private readonly log?: Logger

  constructor (components: PostIntakeComponents) {
    this.store = components.store
    this.powBits = components.powBits
    this.announce = components.announce
    this.announcing = components.announcing ?? (() => true)
    this.onValid = components.onValid
    this.awaiting = components.awaiting ?? (() => false)
    this.lookup = components.lookup ?? (async (id) => this.store.get(id))
    this.onVerified = components.onVerified
    this.now = components.now ?? (() => Date.now())
    this.offThread = components.offThread
    this.checkRing = components.checkRing
    this.refusal = components.refusal
    this.db = components.db
    this.log = components.log
    this.forwardedRings = ForwardedRings.memory({ now: this.now })
    const checkRing = components.checkRing
    if (checkRing !== undefined) {
      this.waitingForStamps = new AwaitingStamps({
        checkRing: (ring, created) => checkRing(ring, created),
        deliver: async (waiting) => await this.deliver(waiting),
        log: components.log?.newScope('awaiting')
      }, components.awaitingStamps)
    }
  }

  /**
   * Loads what an earlier run kept ({@link PostIntakeComponents.db}): the ring posts it sent on in the stem.
   * Call once, before the network starts.
   */
  async open (): Promise<void> {
    if (this.db === undefined) return
    this.forwardedRings = await ForwardedRings.open(this.db, {
      now: this.now,
      onError: (err) => { this.log?.error('could not record a ring post sent on in the stem - %e', err) }
    })
  }

  /** Waits for the intake's writes in flight; call before the database closes. */
  async flush (): Promise<void> {
    await this.forwardedRings.flush()
  }

  /**
   * The membership rule on a valid envelope (docs/MEMBERSHIP.md §4): a ring-signed vote or post in a public
   * channel is taken only when every ring member holds a stamp known here at its `created`, and the ring
   * has MIN_MEMBER_RING members (fewer only while the directory holds fewer). Costs no stamp evaluation;
   * the missing members' stamps are queued to fetch from `peer` (a PeerId) when this node never judged the
   * post before, or (see {@link askable}) when a later gossip or sync copy comes from another address group
   * {@link STAMP_ASK_RETRY} after the last ask and they are still missing (second read of issue 12, M2: a
   * first sender that never answers kept everyone else from being asked). Never a later sender of a post this
   * node sent on in the stem (its stem predecessor was asked when it came), nor a stem peer after the first:
   * a successor that sends back a post it got from here (with a new nonce, or by gossip once it fluffed it),
   * or a colluder of it in another address group, however late, must not be asked for stamps of a ring this
   * node lacks, which an author never does for its own post (a certain "not the author": final review of
   * issue 12, Medium; sixth read, RV13B M1 and RV13C M1). Undefined: taken. One-time
   * posts (unverified, their votes count for nothing) and circle posts (their own members) pass. With
   * `hold`, an envelope refused only for unknown members is kept (bounded) and taken as `hold.path` takes
   * it once their stamps arrive ({@link stamped}); a refused copy from gossip or sync is reported to
   * {@link PostIntakeComponents.onValid} all the same (the stem's embargo ends on it).
   */
  membership (valid: ValidEnvelope, peer?: string, hold?: MemberHoldOptions): MemberRefusal | undefined {
    if (this.checkRing === undefined || valid.auth.kind !== 'ring' || isCircleChannel(valid.post.channel)) return undefined
    const key = toHex(valid.id)
    const asks = this.ringsChecked.get(key)
    const ask = peer !== undefined && (asks === undefined ? !this.forwardedRings.has(key) : this.askable(key, asks, hold?.path, hold?.from))
    const expires = Number(valid.post.created) + valid.post.ttl
    if (ask) this.ringsChecked.set(key, { at: this.now(), groups: [...asks?.groups ?? [], ...hold?.from === undefined ? [] : [hold.from]], expires })
    else if (asks === undefined) this.ringsChecked.set(key, { at: this.now(), groups: [], expires })
    const result = this.checkRing(valid.auth.ring, Number(valid.post.created), ask ? peer : undefined)
    if (result.ok) return undefined
    if (hold?.path === 'gossip' || hold?.path === 'sync') this.ringsRefused.set(key, true)
    // a valid copy from gossip or sync is out there whether or not this node takes its ring: a stem post's
    // embargo (own or relayed) must end on it as on any other, or its fluff would tell them apart (RV8 M2)
    if (hold?.path === 'gossip' || hold?.path === 'sync') this.onValid?.(valid.id)
    if (hold !== undefined && result.code === 'ERR_UNKNOWN_MEMBER') {
      const stem = this.stemPosts.get(key)
      const group = hold.path === 'stem' ? hold.from ?? stem?.successor ?? stem?.sender : hold.from
      // a copy: gossip's bytes may be a view into a whole RPC frame, which the bound would not count
      this.waitingForStamps?.hold({ topic: hold.topic, envelope: hold.envelope.slice(), valid, path: hold.path, group: group ?? UNKNOWN_SENDER }, result.missing)
    }
    return { code: result.code, reason: result.reason }
  }

  /**
   * The directory took a stamp of `memberKey` (its 'stamp-added' event): the envelopes kept for it
   * ({@link membership} with `hold`) whose ring is now of known members are taken as they would have been
   * when they came. Costs no stamp evaluation. Resolves with how many were taken.
   */
  async stamped (memberKey: Uint8Array): Promise<number> {
    return await this.waitingForStamps?.stamped(memberKey) ?? 0
  }

  /** Envelopes kept until their ring's stamps arrive, and their bytes. */
  awaitingStamps (): { envelopes: number, bytes: number } {
    return { envelopes: this.waitingForStamps?.size ?? 0, bytes: this.waitingForStamps?.bytes ?? 0 }
  }

  /** The verdict on an envelope of `peer`'s refused for `code` ({@link PostIntakeComponents.refusal}). */
  private refusalVerdict (code: ErrorCode, peer: string | undefined): Verdict {
    return peer === undefined || this.refusal === undefined ? ERROR_ACTIONS[code] : this.refusal(peer, code)
  }

  /** Takes a kept envelope whose ring's stamps arrived, as its path takes one that just came, unless time has overtaken it; true when stored. */
  private async deliver ({ envelope, valid, path, group }: AwaitingEnvelope): Promise<boolean> {
    if (!stillValid(valid, path !== 'sync', Math.floor(this.now() / 1000))) return false
    if (path === 'gossip') return await this.receiveGossip(envelope, valid, group) === 'stored'
    if (path === 'stem') return await this.accept(envelope, valid, group) === 'stored'
    return await this.receive(envelope, valid, group) === 'stored'
  }

  /**
   * Protocol validation only (no store, no tag rule), by the rules of `path`. Bytes verified before
   * are not verified again: a refusal stands (a 'reject' code cannot change), a valid envelope is only
   * checked again for what time changes (expiry, and on live paths the ring epoch). `from`: the address
   * group of the peer that brought it, if known (for {@link PostIntakeComponents.onVerified}).
   */
  validate (topic: string, envelope: Uint8Array, path: IntakePath, from?: string): ValidationResult {
    const seen = this.recall(topic, envelope, path)
    if (seen.result !== undefined) return seen.result
    const read = readEnvelope(topic, envelope)
    return this.remembered(topic, envelope, path, from, seen, read) ?? this.record(topic, envelope, path, from, seen, read.refusal ?? validateEnvelope(envelope, seen.options, read.decoded))
  }

  /**
   * {@link validate} for envelopes from the network (gossip, the stem, sync): the check runs on the node's
   * verification pool when it has one ({@link PostIntakeComponents.offThread}), so the event loop stays
   * free under a flood, after the checks that cost no curve operation ran here (precheckEnvelope: an
   * envelope refused by them never reaches the pool's queue); a copy that arrives during the check waits for it.
   * A signature is checked once whatever the nonce ({@link SignatureMemo}), and a gossip copy of a post stored
   * here that came by gossip before is a duplicate (ERR_DUPLICATE) unchecked: re-mined or replayed copies
   * cycled past the caches cost a hash each, not a verification. Rejects with the pool's errors
   * (overloaded, stopping): the envelope was not judged, which is nobody's fault.
   */
  async verify (topic: string, envelope: Uint8Array, path: IntakePath, from?: string): Promise<ValidationResult> {
    return await this.check(topic, envelope, path, from)
  }

  /** {@link verify}, the bytes decoded at most once (`read`, made here unless given) for all its checks. */
  private async check (topic: string, envelope: Uint8Array, path: IntakePath, from?: string, read?: EnvelopeRead): Promise<ValidationResult> {
    const seen = this.recall(topic, envelope, path)
    if (seen.result !== undefined) return seen.result
    read ??= readEnvelope(topic, envelope)
    if (path === 'gossip' && await this.storedFromGossip(read)) return { ok: false, code: 'ERR_DUPLICATE', reason: 'the post is stored here and came by gossip before' }
    if (this.refusedAgain(read, path, from)) return { ok: false, code: 'ERR_DUPLICATE', reason: 'a post whose ring was refused here before, its members still without a known stamp' }
    const offThread = this.offThread
    const pending = `${seen.key}/${seen.live}`
    const shared = this.checking.get(pending)
    if (shared !== undefined) {
      try {
        return await shared.check
      } catch (err) {
        // the pool refused the check in the share of the group that asked first (a flooder that relayed this
        // post first and keeps its share full): a copy from another group asks again in its own share
        if (shared.group === from || !(err instanceof VerifyQueueFullError)) throw err
        return await this.check(topic, envelope, path, from, read)
      }
    }
    const remembered = this.remembered(topic, envelope, path, from, seen, read)
    if (remembered !== undefined) return remembered
    if (offThread === undefined) return this.record(topic, envelope, path, from, seen, read.refusal ?? validateEnvelope(envelope, seen.options, read.decoded))
    // what costs no curve operation is checked here: only an envelope that paid its proof of work, in
    // its time window, takes a worker's turn (a free flood of stale or unpaid envelopes would fill the queue)
    const cheap = read.refusal ?? precheckEnvelope(envelope, seen.options, read.decoded)
    if (!cheap.ok) return this.record(topic, envelope, path, from, seen, cheap)
    const check = offThread(envelope, seen.options, from, path).then((result) => this.record(topic, envelope, path, from, seen, result))
    this.checking.set(pending, { check, group: from })
    const done = (): void => { this.checking.delete(pending) }
    check.then(done, done)
    return await check
  }

  /**
   * What the check of the same signature found under another nonce (the one field the proof of work does not
   * cover), with what costs no curve operation checked on these bytes (precheckEnvelope: their proof of work,
   * time window, form); undefined when the signature is new here, and `seen.signed` then says where its
   * verdict is to be remembered. Own posts take this way too: a successor that sends one back with a new
   * nonce finds it as quickly judged as a post this node relayed (whose signature it checked when it came),
   * not a verification slower.
   */
  private remembered (topic: string, envelope: Uint8Array, path: IntakePath, from: string | undefined, seen: Recalled, read: EnvelopeRead): ValidationResult | undefined {
    seen.signed = read.decoded === undefined ? undefined : this.signatures.signed(topic, envelope, read.decoded)
    const known = seen.signed === undefined ? undefined : this.signatures.recall(seen.signed)
    if (known === undefined) return undefined
    const cheap = precheckEnvelope(envelope, seen.options, read.decoded)
    return this.record(topic, envelope, path, from, seen, cheap.ok ? known : cheap)
  }

  /**
   * Whether the post of a gossip envelope is stored here and came by gossip (or was published) before: a
   * copy is then a duplicate whatever its bytes, and it is not this post's first gossip copy, which
   * {@link receiveGossip} forwards (the first, own or not, is judged in full).
   */
  private async storedFromGossip ({ id }: EnvelopeRead): Promise<boolean> {
    return id !== undefined && this.gossiped.get(toHex(id)) !== undefined && await this.store.has(id)
  }

  /**
   * Whether a gossip or sync copy is of a valid post whose ring the membership rule refused here before
   * (on gossip or sync: a stem hop passes such rings on), and the rule, run again on this copy's ring, still
   * refuses it. Such a copy is dropped unchecked: the id binds the ring, so the genuine post would be refused
   * again, and a copy with other bytes under its id is nothing to take either. Without it, a peer cycling
   * more such posts than the signature memo and the byte caches hold (valid, never stored, never penalised)
   * had each verified in full on every round (second read of issue 12, M1: 8,300 checks a round). Asks no
   * peer for stamps: only a post's first sender is ({@link membership}).
   */
  private refusedAgain ({ id, decoded }: EnvelopeRead, path: IntakePath, from?: string): boolean {
    if (this.checkRing === undefined || (path !== 'gossip' && path !== 'sync')) return false
    const key = id === undefined ? undefined : toHex(id)
    if (key === undefined || this.ringsRefused.get(key) === undefined) return false
    // a copy whose sender is to be asked for the missing stamps is checked in full (at most STAMP_ASK_GROUPS times a post)
    const asks = this.ringsChecked.get(key)
    if (asks !== undefined && this.askable(key, asks, path, from)) return false
    // a post that does not decode is the checks' to refuse
    const ring = decoded?.ring
    const created = decoded === undefined ? undefined : createdOf(decoded.post)
    return ring !== undefined && created !== undefined && !this.checkRing(ring.ring, created).ok
  }

  /**
   * Whether the sender of a later copy of the post `key` (judged here before, `asks`), by `path` from the
   * address group `from`, is to be asked for its missing stamps: by gossip or sync, from a known group not
   * asked yet, of a post this node never sent on in the stem, {@link STAMP_ASK_RETRY} after the last
   * ask, fewer than {@link STAMP_ASK_GROUPS} groups asked so far.
   */
  private askable (key: string, asks: RingAsks, path: IntakePath | undefined, from: string | undefined): boolean {
    return (path === 'gossip' || path === 'sync') && from !== undefined && from !== UNKNOWN_SENDER &&
      asks.groups.length < STAMP_ASK_GROUPS && !asks.groups.includes(from) && !this.forwardedRings.has(key) &&
      this.now() - asks.at >= STAMP_ASK_RETRY
  }

  /** What the caches know of these bytes on `path` (`result`), or what a check of them needs. */
  private recall (topic: string, envelope: Uint8Array, path: IntakePath): Recalled {
    const key = toHex(gossipMessageId(topic, envelope))
    const live = path !== 'sync'
    const seconds = Math.floor(this.now() / 1000)
    const options: ValidateOptions = { topic, powBits: this.powBits, now: seconds, epochWindow: live ? LIVE_EPOCH_WINDOW : undefined }
    const refused = this.refused.get(key)
    if (refused !== undefined) return { key, live, options, result: refused }
    const known = this.verified.get(key)
    // a cached post that time has overtaken fails again before any proof of work or signature
    if (known !== undefined && (known.live || !live) && stillValid(known.valid, live, seconds)) return { key, live, options, known, result: known.valid }
    return { key, live, options, known }
  }

  /** Remembers a check's result by bytes and reports a first sight (with the sender's group `from`) to {@link PostIntakeComponents.onVerified}. */
  private record (topic: string, envelope: Uint8Array, path: IntakePath, from: string | undefined, { key, live, known, signed }: Recalled, result: ValidationResult): ValidationResult {
    if (signed !== undefined) this.signatures.note(signed, result)
    // a too-early copy seen before was reported already: its repeats must not cost a check as of its time
    let first = known === undefined
    if (result.ok) {
      this.verified.set(key, { valid: result, live: live || (known?.live ?? false) })
    } else if (ERROR_ACTIONS[result.code] === 'reject') {
      this.refused.set(key, result)
    } else if (result.code === 'ERR_TOO_EARLY') {
      first &&= this.early.get(key) === undefined
      if (first) this.early.set(key, {})
    }
    if (first && (path === 'gossip' || path === 'stem')) this.onVerified?.(topic, envelope, result, path, from)
    return result
  }

  /**
   * Protocol validation as if this node's clock read `at` (unix seconds): whether an envelope refused as
   * too early is a genuine post made by a clock ahead of ours. A refusal for good is remembered as in
   * {@link validate}; any result is remembered for the same bytes and time (a too-early envelope sent
   * again and again is checked once).
   */
  validateAt (topic: string, envelope: Uint8Array, at: number): ValidationResult {
    const key = toHex(gossipMessageId(topic, envelope))
    const refused = this.refused.get(key)
    if (refused !== undefined) return refused
    const known = this.early.get(key)
    if (known?.result !== undefined && known.at === at) return known.result
    const result = validateEnvelope(envelope, { topic, powBits: this.powBits, now: at, epochWindow: LIVE_EPOCH_WINDOW })
    if (!result.ok && ERROR_ACTIONS[result.code] === 'reject') this.refused.set(key, result)
    this.early.set(key, { at, result })
    return result
  }

  /**
   * The full verdict without storing: protocol validation, the tag rule, and whether the post is
   * already here. For stem hops, which must not store a post they only pass on. `from` is the address
   * group of the peer that sent the frame, captured when it arrived: should this node fluff the post
   * (and store it then, through {@link accept}), the post is charged to it. `peer`: that peer's PeerId, asked
   * for the stamps of ring members unknown here ({@link membership}). A ring this node's directory does not
   * take is passed on all the same (and never stored here, see OwnPosts.fluff): dropped, the post would leave
   * the stem at its author's node (its embargo fluffs what the stem lost), which would name the author to its
   * gossip peers; where it leaves the stem, each node judges the ring by its own directory.
   */
  async judge (topic: string, envelope: Uint8Array, from: string = UNKNOWN_SENDER, peer?: string): Promise<Verdict> {
    // a post stored here costs one hash, as in history sync: copies of it (another nonce, cycled past the
    // caches) are not verified again. An own post not yet back is not stored, so this says nothing of authorship.
    const read = readEnvelope(topic, envelope)
    if (read.id !== undefined && await this.store.has(read.id)) return 'ignore'
    const valid = await this.check(topic, envelope, 'stem', from, read)
    if (!valid.ok) return this.refusalVerdict(valid.code, peer)
    // asked for its side effect: the missing members' stamps are fetched from the peer
    this.membership(valid, peer)
    this.stemPost(toHex(valid.id)).sender = from
    // every link (this hour's tag and the week's, or the vote's), held by another post: tags outlive
    // their posts, so the same post coming back through another hop is no conflict
    if (valid.auth.kind === 'ring' && await this.store.hasTagConflict(valid.id, valid.auth.links)) return ERROR_ACTIONS.ERR_DUPLICATE_TAG
    return await this.store.has(valid.id) ? 'ignore' : 'accept'
  }

  /**
   * Validates and stores an envelope from the network outside gossip (history sync). `from` is the
   * address group of the peer that delivered it, captured when it arrived: the store's quota counts
   * posts per sender ({@link UNKNOWN_SENDER} when the group is not known, never the node's own). `peer`: its
   * PeerId, asked for the stamps of ring members unknown here ({@link membership}).
   */
  async ingest (topic: string, envelope: Uint8Array, from: string = UNKNOWN_SENDER, peer?: string): Promise<Verdict> {
    // a post already here costs one hash, not a signature check (a peer may push many)
    const read = readEnvelope(topic, envelope)
    if (await this.store.has(read.id ?? messageId(topic, envelope))) return 'ignore'
    const valid = await this.check(topic, envelope, 'sync', from, read)
    if (!valid.ok) return this.refusalVerdict(valid.code, peer)
    // a ring of members unknown here: their stamps are asked of the peer, and the post is kept until they
    // arrive (or, pushed out by newer ones, taken when the next sync round brings it again)
    const refused = this.membership(valid, peer, { topic, envelope, path: 'sync', from })
    if (refused !== undefined) return STAMP_ERROR_ACTIONS[refused.code]
    return verdictOf(await this.receive(envelope, valid, from))
  }

  /**
   * Stores a valid envelope that came from the network (gossip or sync) by the group `from`, then notes
   * that it is out there. An own post not yet back is stored here like any other (it was kept out of the
   * store), not announced again, and charged to `from` as well, as a post this node only passed on in
   * the stem is: its quota bucket and rank must not tell the stem successor that sends it back which it
   * was. Charged to the node's own posts, the successor's flood could not evict it where it evicts a
   * relayed one, and a sync request would tell them apart (issue 12, High 2 of review 4). The price: a
   * flood from the group that brought an own post back may evict it from this node's store, as any post
   * of that group.
   */
  async receive (envelope: Uint8Array, valid: ValidEnvelope, from: string = UNKNOWN_SENDER): Promise<PutResult> {
    const own = this.awaiting(valid.id)
    const result = await this.put(envelope, valid, from, !own)
    this.onValid?.(valid.id)
    return result
  }

  /**
   * Stores a valid envelope from gossip and says what to do with it: `stored` (new here: forward it and
   * credit its sender), `forward` (stored already: forward it, credit nobody), or the store's refusal.
   * The first gossip copy of a fresh post ({@link FORWARD_STORED_MAX_AGE}) is forwarded, stored already
   * or not: whether a node forwards must not say whether the post is its own, nor whether someone planted
   * a copy by sync before. Later copies are not (gossipsub forgets a message id after two minutes), nor
   * is an older post stored already: a replay of a post that spread long ago would otherwise be flooded
   * through the whole network again. An own post not yet back from the network is not in the store: it is
   * new here, stored, forwarded and its sender credited in the same time as a post this node only passed
   * on in the stem (a successor that sends it back by gossip must read authorship neither off the credit,
   * which gossipsub's opportunistic grafting shows it, nor off the delay).
   */
  async receiveGossip (envelope: Uint8Array, valid: ValidEnvelope, from: string = UNKNOWN_SENDER): Promise<GossipOutcome> {
    const key = toHex(valid.id)
    const first = this.gossiped.get(key) === undefined
    this.gossiped.set(key, true)
    const result = await this.receive(envelope, valid, from)
    if (result !== 'duplicate' || !first) return result
    const age = Math.floor(this.now() / 1000) - Number(valid.post.created)
    return age <= FORWARD_STORED_MAX_AGE ? 'forward' : result
  }

  /**
   * This node sent the stem post `id`, its own or one it relays, to a successor of address group `to`:
   * should the post not come back and this node fluff it after all, it is charged to that group, own or
   * relayed alike ({@link accept}, {@link acceptOwn}). Charged to the node's own posts, an own post the
   * successor swallowed would outlive a flood from the successor's addresses where a relayed one (charged
   * to its predecessor, a peer like any) does not, and a sync request would tell the successor which.
   */
  forwarded (id: Uint8Array, to: string | undefined): void {
    const key = toHex(id)
    // a ring post (judged by the membership rule here): none of its later senders is asked for stamps,
    // charged to the group that delivered it (an own post to none: a group of its own)
    const stem = this.stemPost(key)
    const asks = this.ringsChecked.get(key)
    if (asks !== undefined) this.forwardedRings.mark(id, asks.expires, this.awaiting(id) ? undefined : stem.sender ?? UNKNOWN_SENDER)
    if (to !== undefined) stem.successor = to
  }

  /** This node published the post `id` into gossip itself (a fluff): a later gossip copy is not its first. */
  published (id: Uint8Array): void {
    this.gossiped.set(toHex(id), true)
  }

  /**
   * Stores an envelope that passed protocol validation; the store refuses a tag seen in its scope.
   * `from`: the address group of the peer that delivered it; when not given, that of the successor this
   * node sent it to in the stem ({@link forwarded}), else the group that sent it through the stem
   * ({@link judge}), else {@link UNKNOWN_SENDER} (both forgotten): never the node's own posts, which come
   * through {@link acceptOwn} (sixth read, RV13C L1: a flood of stem posts pushing both out charged a
   * relayed post to the node's own quota).
   */
  async accept (envelope: Uint8Array, valid: ValidEnvelope, from?: string): Promise<PutResult> {
    const key = toHex(valid.id)
    const stem = this.stemPosts.get(key)
    return this.put(envelope, valid, from ?? stem?.successor ?? stem?.sender ?? UNKNOWN_SENDER, true)
  }

  /**
   * Stores an own post that this node itself published into gossip (no stem, or its stem gave up on
   * it), not announced (it was when it was made). `stem`: it was handed to the stem (its record says
   * so, across restarts too). Charged as a relayed post fluffed here is: to the successor it was last
   * sent to ({@link forwarded}), and once that is forgotten (pushed out by other stem posts, or a
   * restart) to {@link UNKNOWN_SENDER}, as a relayed post whose stem senders are forgotten (eighth read of
   * issue 12: it was charged to the node's own posts, which a successor's flood cannot evict). Only one
   * that never went into the stem is charged to the node's own posts.
   */
  async acceptOwn (channel: string, envelope: Uint8Array, stem = false): Promise<PutResult> {
    const valid = this.validate(topicOf(channel), envelope, 'sync')
    if (!valid.ok) return 'expired'
    return this.put(envelope, valid, this.stemPosts.get(toHex(valid.id))?.successor ?? (stem ? UNKNOWN_SENDER : undefined), false)
  }

  /** The entry of the stem post `key` (made if none), now the most recently used. */
  private stemPost (key: string): StemPost {
    const entry = this.stemPosts.get(key) ?? {}
    this.stemPosts.set(key, entry)
    return entry
  }

  /** Announces a new own post (not stored until it comes back from the network, see {@link receive}). */
  async announceOwn (id: Uint8Array): Promise<void> {
    if (!this.announcing()) return
    const entry = await this.lookup(id)
    if (entry !== undefined) this.announce(await this.view(entry))
  }

  /**
   * An own post not yet back from the network as its author reads it (with neither tallies nor thread
   * yet), or undefined once its envelope no longer validates (it expired).
   */
  ownEntry (channel: string, envelope: Uint8Array): StoredPost | undefined {
    // validated once, when first read: re-validating on every read made how long a node took to answer
    // (a reply's view reads its root) depend on how many own posts were pending once a flood pushed them
    // out of the verified cache (review 4, A Medium 2); only time changes the verdict after that
    const known = this.ownEntries.get(envelope)
    if (known !== undefined) return known.expires > Math.floor(this.now() / 1000) ? known : undefined
    const valid = this.validate(topicOf(channel), envelope, 'sync')
    if (!valid.ok) return undefined
    const stored = this.toStored(envelope, valid)
    this.ownEntries.set(envelope, stored)
    return stored
  }

  /** The view of a stored post, with its thread's OP key for replies. */
  async view (entry: PostEntry): Promise<PostView> {
    if (entry.kind !== 'REPLY') return toPostView(entry)
    const root = await this.lookup(threadRoot(entry))
    return toPostView(entry, root?.authorKey)
  }

  /**
   * Stores a valid envelope charged to `sender` (undefined: the node's own posts) and builds the view
   * of a new post when someone listens, announcing it if `announce`. The view of an own post coming back
   * is built all the same, unannounced: storing it must cost what storing any new post costs. The
   * announcement itself runs a turn later, after the verdict on the post went out: the listeners' work
   * (an app's, of any length) must delay neither the forward of a post nor only that of others' posts.
   */
  private async put (envelope: Uint8Array, valid: ValidEnvelope, sender: string | undefined, announce: boolean): Promise<PutResult> {
    const stored = this.toStored(envelope, valid)
    if (sender !== undefined) stored.from = sender
    const result = await this.store.put(stored)
    if (result === 'stored' && this.announcing()) {
      const entry = await this.store.get(stored.id)
      if (entry !== undefined) {
        const view = await this.view(entry)
        if (announce) setTimeout(() => { this.announce(view) }, 0)
      }
    }
    return result
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
      stored.links = auth.links
      // the member's pseudonym in its thread (not a limit: never among the links)
      if (auth.thread !== undefined) stored.authorKey = auth.thread.tag
    }
    return stored
  }
}

/** A store outcome as a gossip verdict. */
function verdictOf (result: PutResult): Verdict {
  switch (result) {
    case 'stored': return 'accept'
    case 'duplicate-tag': return ERROR_ACTIONS.ERR_DUPLICATE_TAG
    // a relay that lacks the parent forwards a cross-channel reply in good faith: not its fault
    case 'wrong-channel': return 'ignore'
    // likewise a relay that lacks the parent cannot know a vote is dated before it
    case 'backdated': return 'ignore'
    default: return 'ignore'
  }
}

/** A stem post judged or sent on here: the address group that delivered it, and the successor it was last sent to. */
interface StemPost {
  sender?: string
  successor?: string
}

/** A ring post judged by the membership rule here: when its missing stamps were last asked of a peer, and the groups asked. */
interface RingAsks {
  at: number
  groups: string[]
  /** When the post expires (unix seconds). */
  expires: number
}

/** What {@link PostIntake} knows of an envelope before checking it. */
interface Recalled {
  key: string
  live: boolean
  options: ValidateOptions
  known?: { valid: ValidEnvelope, live: boolean }
  result?: ValidationResult
  /** Where the verdict on its signature is remembered (undefined: not an envelope, or not asked yet). */
  signed?: SignedEnvelope
}

/**
 * An envelope's bytes decoded once for every check of one message (the post id for the stored and refused
 * shortcuts, the signature memo's key, the precheck, the validator): each decoded them again, three or four
 * times a gossip message (review of issue 12, Medium). Only ever made from the bytes it goes with.
 */
interface EnvelopeRead {
  /** What decodeEnvelope made of the bytes; undefined when they do not decode. */
  decoded?: Envelope
  /** When they do not decode: the validator's refusal, which decoding is the first check of. */
  refusal?: InvalidEnvelope
  /** The post id (postIdOf); undefined when the bytes have none. */
  id?: Uint8Array
}

/** Decodes the envelope bytes of `topic` once, as the validator would (see {@link EnvelopeRead}). */
function readEnvelope (topic: string, bytes: Uint8Array): EnvelopeRead {
  let decoded: Envelope
  try {
    decoded = decodeEnvelope(bytes)
  } catch (err) {
    // what validateEnvelope answers when its decode throws (the topic, checked before it, is a string here)
    return { refusal: { ok: false, code: err instanceof ProtocolError ? err.code : 'ERR_MALFORMED', reason: err instanceof Error ? err.message : String(err) } }
  }
  return { decoded, id: postIdOf(topic, bytes, decoded) }
}

/** The `created` of a post's bytes, or undefined when they do not decode. */
function createdOf (post: Uint8Array): number | undefined {
  try {
    return Number(Post.decode(post).created)
  } catch {
    return undefined
  }
}

/**
 * The epoch rule a valid post meets on `live` paths (gossip, stem): a ring post's epoch within
 * LIVE_EPOCH_WINDOW of now's; none for one-time posts or off live paths.
 *
 * @example
 * ```ts
 * forwardableAt(valid.post, now, epochRuleOf(valid, true))
 * ```
 */
export function epochRuleOf (valid: Pick<ValidEnvelope, 'auth'>, live: boolean): EpochRule | undefined {
  return live && valid.auth.kind === 'ring' ? { epoch: valid.auth.epoch, window: LIVE_EPOCH_WINDOW } : undefined
}

/** Whether a post found valid earlier still is at `now` (unix seconds): not expired, and on live paths its ring epoch near now's. */
function stillValid (valid: ValidEnvelope, live: boolean, now: number): boolean {
  const seconds = BigInt(now)
  if (isExpired(valid.post, seconds)) return false
  const rule = epochRuleOf(valid, live)
  return rule === undefined || inEpochWindow(rule.epoch, seconds, rule.window)
}
