/**
 * The circles of a node (`node.circles`, docs/PROTOCOL.md §6): create, invite, join, leave, remove
 * (rotate), the roster, and the circle's posts as the user reads them. Frames come in through
 * {@link FrameIntake}; own posts are made by {@link CirclePosts}.
 */
import {
  AbortError, CircleRecordType, DEFAULT_CIRCLE_MIN_RING, MAX_INVITE_NAME_BYTES, MAX_MEMBER_NAME_BYTES, MAX_RING_SIZE, MIN_CIRCLE_RING,
  NEWCOMER_DELAY_SECONDS, UNATTRIBUTED, decodeInvite, deriveCircleKeys, displayLine, encodeInvite, equalBytes,
  generateCircleSecret, generateInviteSeed, generateMemberKeys, hasInviteKey, inviteKey, openJoin, rosterWarnings,
  sealCircleFrame, signInviteRecord, signJoin, signLeave, signRotation, toHex
} from '@murmur/protocol'
import { checkBody, parseId } from '../input.js'
import { hotScore } from '../store/index.js'
import { toPostView } from '../view.js'
import { CIRCLE_FRAME_TTL, CIRCLE_INVITE_EXPIRES, JOIN_REANNOUNCE_AGE, MAX_CIRCLE_NAME_BYTES } from './constants.js'
import { CircleError } from './errors.js'
import { CIRCLE_ROTATIONS_PER_DAY, CIRCLE_ROTATIONS_PER_HOUR } from './follow-rate.js'
import { HeldCircle } from './held-circle.js'
import type { CirclePosts } from './circle-posts.js'
import type { FrameIntake } from './frame-intake.js'
import type { FrameScan, FrameStore } from './frame-store.js'
import type { RecordOutcome } from './held-circle.js'
import type { CircleState, CircleStateStore, HeldGeneration } from './state.js'
import type { CircleInviteResult, CircleMember, CirclePostState, CirclePostView, Circles, CircleSummary, CreateCircleOptions, InviteOptions, JoinCircleOptions } from './types.js'
import type { FeedOptions, MurmurEvents, PostOptions, PostResult } from '../index.js'
import type { LocalReads } from '../local-reads.js'
import type { SendResult } from '../outbound.js'
import type { PostEntry } from '../store/index.js'
import type { PostView } from '../view.js'
import type { Logger } from '@libp2p/interface'
import type { CircleKeys, CircleRecordTypeValue } from '@murmur/protocol'

/** Options of a node's circles (`MurmurInit.circles`). */
export interface CirclesInit {
  /**
   * Seconds a newcomer stays out of other members' rings (and may not post itself). Tests and private
   * networks shorten it; members of one circle should agree on it, as each judges rings by its own.
   *
   * @default NEWCOMER_DELAY_SECONDS (86400)
   */
  newcomerDelay?: number
}

/** What {@link CircleService} needs from the node. */
export interface CircleServiceComponents {
  states: CircleStateStore
  frames: FrameStore
  intake: FrameIntake
  posts: CirclePosts
  reads: Pick<LocalReads, 'get' | 'feed' | 'thread'>
  /** Sends a frame on the shared topic, or queues it until a peer is there. */
  send(frame: Uint8Array, expires: number): Promise<SendResult>
  /** Asks peers for the shared topic's frames now (after a join). */
  syncNow(): void
  /** Throws NotStartedError, AbortError or ClockSkewError before a post. */
  assertCanPost(signal?: AbortSignal): void
  /** Throws NotStartedError once the node stopped. */
  assertRunning(): void
  dispatch<K extends 'circle-post' | 'circle-roster'>(type: K, detail: MurmurEvents[K]['detail']): void
  /** Unix seconds now. */
  now(): number
  log: Logger
}

/** The circles of a node. */
export class CircleService implements Circles {
  private readonly components: CircleServiceComponents
  private readonly held = new Map<string, HeldCircle>()
  /** When this owner's node last announced the rotation out of a generation (see `reannounceRotation`). */
  private readonly rotationAnnounced = new WeakMap<HeldGeneration, number>()
  private readonly newcomerDelay: number

  constructor (components: CircleServiceComponents, states: CircleState[], init: CirclesInit = {}) {
    this.components = components
    this.newcomerDelay = init.newcomerDelay ?? NEWCOMER_DELAY_SECONDS
    for (const state of states) this.held.set(state.name, new HeldCircle(state))
  }

  /** The circles held (for the frame intake). */
  circles (): Iterable<HeldCircle> {
    return this.held.values()
  }

  async create (name: string, options: CreateCircleOptions = {}): Promise<CircleSummary> {
    this.components.assertRunning()
    const minRing = options.minRing ?? DEFAULT_CIRCLE_MIN_RING
    if (!Number.isInteger(minRing) || minRing < MIN_CIRCLE_RING || minRing > MAX_RING_SIZE) {
      throw new CircleError('ERR_CIRCLE_RING', `the minimum ring of a circle is ${MIN_CIRCLE_RING}..${MAX_RING_SIZE}, got ${String(minRing)}`)
    }
    throwIfAborted(options.signal)
    const member = generateMemberKeys()
    const { circle } = await this.adopt(name, { name, owner: member.ring.publicKey, minRing, member, generations: [emptyGeneration(0, generateCircleSecret())] }, '', undefined)
    return this.summary(circle)
  }

  async invite (name: string, options: InviteOptions = {}): Promise<CircleInviteResult> {
    this.components.assertRunning()
    const circle = this.require(name)
    if (circle.state.removed === true) throw removedError(circle)
    const expiresIn = options.expiresIn ?? CIRCLE_INVITE_EXPIRES
    if (!Number.isSafeInteger(expiresIn) || expiresIn < 60 || expiresIn > CIRCLE_FRAME_TTL) {
      throw new CircleError('ERR_CIRCLE_RECORD', `an invite lasts 60..${CIRCLE_FRAME_TTL} s, got ${String(expiresIn)}`)
    }
    const generation = circle.current
    const seed = generateInviteSeed()
    const created = this.seconds()
    const expires = created + expiresIn
    let invite: string
    try {
      invite = encodeInvite({
        secret: generation.secret,
        generation: generation.generation,
        owner: circle.state.owner,
        inviteSeed: seed,
        minRing: circle.state.minRing,
        name: suggestedName(circle.name),
        hints: options.hints ?? []
      })
    } catch (err) {
      throw new CircleError('ERR_CIRCLE_RECORD', `the invite cannot be written: ${(err as Error).message}`, { cause: err })
    }
    const body = signInviteRecord(circle.keysOf(generation), circle.state.member, { inviteKey: inviteKey(seed).publicKey, created, expires })
    await this.record(circle, generation, CircleRecordType.INVITE, body)
    return { invite, expires }
  }

  async join (text: string, options: JoinCircleOptions = {}): Promise<CircleSummary> {
    this.components.assertRunning()
    // InvalidInviteError (its code says what is wrong) before anything changes
    const invite = decodeInvite(text)
    throwIfAborted(options.signal)
    const memberName = options.memberName ?? ''
    if (new TextEncoder().encode(memberName).byteLength > MAX_MEMBER_NAME_BYTES || displayLine(memberName) !== memberName) {
      throw new CircleError('ERR_CIRCLE_NAME', `a member name is at most ${MAX_MEMBER_NAME_BYTES} bytes of text shown as it is`)
    }
    const keys = deriveCircleKeys(invite.secret, invite.generation, invite.owner)
    for (const circle of this.held.values()) {
      if (circle.state.generations.some((g) => circle.keysOf(g).topic === keys.topic)) {
        throw new CircleError('ERR_CIRCLE_EXISTS', `this node is in that circle already, as ${circle.name}`)
      }
    }
    const name = options.name ?? invite.name
    if (name === '') throw new CircleError('ERR_CIRCLE_NAME', 'the invite suggests no name: give the circle a local name')
    const state: CircleState = { name, owner: invite.owner, minRing: invite.minRing, member: generateMemberKeys(), generations: [emptyGeneration(invite.generation, invite.secret)] }
    const { circle, kept } = await this.adopt(name, state, memberName, hasInviteKey(invite) ? inviteKey(invite.inviteSeed) : undefined)
    // the roster and posts: whatever its peers hold, and the frames this node relayed before it joined,
    // tried outside the intake's turn (junk kept by the thousand stops no other circle's frames)
    this.components.syncNow()
    await this.components.intake.scanJoined(circle, kept, { onProgress: options.onProgress })
    return this.summary(circle)
  }

  async leave (name: string): Promise<void> {
    this.components.assertRunning()
    const circle = this.require(name)
    if (circle.state.removed !== true) {
      const leave = await this.sealedLeave(circle)
      if (leave !== undefined) await this.send(leave)
    }
    await this.components.intake.serially(async () => {
      this.held.delete(name)
      this.components.intake.forget(circle)
      await this.components.states.delete(name)
    })
    this.components.dispatch('circle-roster', { circle: name })
  }

  /**
   * This member's LEAVE of `circle`, sealed; undefined when the circle's record cannot be read (no key to
   * seal it with: it is left all the same, and the error logged).
   */
  private async sealedLeave (circle: HeldCircle): Promise<Uint8Array | undefined> {
    let keys: CircleKeys
    try {
      keys = circle.keysOf(circle.current)
    } catch (err) {
      this.damaged(circle, err)
      return undefined
    }
    return await sealCircleFrame(keys, CircleRecordType.LEAVE, signLeave(keys, circle.state.member, this.seconds()))
  }

  async remove (name: string, member: string | string[]): Promise<CircleSummary> {
    // a rotation's `created` bounds which frames members try with the new keys (§6.3): not from a clock known to be off
    this.components.assertCanPost()
    const circle = this.require(name)
    if (!circle.owned) throw new CircleError('ERR_CIRCLE_NOT_OWNER', `only the owner of ${name} removes members`)
    const removed = (Array.isArray(member) ? member : [member]).map((m) => this.resolveMember(circle, m))
    if (removed.length === 0) throw new CircleError('ERR_CIRCLE_MEMBER', 'name at least one member to remove')
    if (removed.some((key) => equalBytes(key, circle.state.member.ring.publicKey))) throw new CircleError('ERR_CIRCLE_MEMBER', 'the owner cannot remove itself: leave the circle instead')
    await this.send(await this.components.intake.serially(async () => await this.rotateWithout(circle, removed)))
    return this.summary(circle)
  }

  async members (name: string): Promise<CircleMember[]> {
    this.components.assertRunning()
    const circle = this.require(name)
    const now = this.seconds()
    const self = toHex(circle.state.member.ring.publicKey)
    const roster = circle.roster()
    // eligible as rings take it (the owner never a newcomer); joined as the roster holds it
    return circle.ringMembers().map((ringMember) => {
      const key = toHex(ringMember.ringKey)
      const m = roster.get(key)!
      return {
        key,
        ...(m.name === '' ? {} : { name: m.name }),
        joinedAt: m.joinedAt,
        ...(m.inviter === UNATTRIBUTED ? {} : { inviter: m.inviter }),
        self: key === self,
        eligible: ringMember.joinedAt + this.newcomerDelay <= now
      }
    })
  }

  /**
   * What a UI shows of each circle. Never throws: a circle whose record cannot be read (its keys not
   * derivable: a damaged or hand-edited record) is listed with `damaged` set, the error logged
   * (`ERR_CIRCLE_DAMAGED`, its cause attached); gossip listeners call this.
   */
  list (): CircleSummary[] {
    return [...this.held.values()].map((circle) => {
      try {
        return this.summary(circle)
      } catch (err) {
        this.damaged(circle, err)
        return { name: circle.name, generation: circle.current.generation, members: 0, minRing: circle.state.minRing, owner: circle.owned, canPost: false, warnings: [], damaged: true }
      }
    })
  }

  /** Logs that `circle`'s record cannot be read (`ERR_CIRCLE_DAMAGED`, `err` its cause). */
  private damaged (circle: HeldCircle, err: unknown): void {
    this.components.log.error('%e', new CircleError('ERR_CIRCLE_DAMAGED', `circle ${circle.name} cannot be read: ${(err as Error).message}`, { cause: err }))
  }

  /** How many circles this node holds (no roster read). */
  get size (): number {
    return this.held.size
  }

  async post (name: string, body: string, options: PostOptions = {}): Promise<PostResult> {
    checkBody(body)
    this.components.assertCanPost(options.signal)
    return await this.components.posts.post(this.require(name), body, options)
  }

  async reply (name: string, parentId: string, body: string, options: PostOptions = {}): Promise<PostResult> {
    checkBody(body)
    this.components.assertCanPost(options.signal)
    return await this.components.posts.reply(this.require(name), parentId, body, options)
  }

  async vote (name: string, postId: string, vote: 1 | -1, options: PostOptions = {}): Promise<PostResult> {
    this.components.assertCanPost(options.signal)
    return await this.components.posts.vote(this.require(name), postId, vote, options)
  }

  async repost (name: string, postId: string, options: PostOptions = {}): Promise<PostResult> {
    this.components.assertCanPost(options.signal)
    const circle = this.require(name)
    const entry = await this.components.reads.get(parseId(postId))
    if (entry === undefined || stateOf(circle, new Set(circle.forkedChannels()), entry) !== 'forked') {
      throw new CircleError('ERR_CIRCLE_POST', `post ${postId.slice(0, 8)} is no post of yours lost in a fork of ${name}`)
    }
    return await this.components.posts.repost(circle, entry, options)
  }

  async feed (name: string, options: FeedOptions = {}): Promise<CirclePostView[]> {
    this.components.assertRunning()
    const circle = this.require(name)
    const sort = options.sort ?? 'new'
    const limit = options.limit ?? 50
    const forked = new Set(circle.forkedChannels())
    const entries: PostEntry[] = []
    for (const channel of [...circle.channels(), ...forked]) entries.push(...await this.components.reads.feed(channel, { sort, limit }))
    const now = this.seconds()
    const rank = (e: PostEntry): number => sort === 'hot' ? hotScore(e.score, e.created, now) : e.created
    entries.sort((a, b) => rank(b) - rank(a))
    return this.views(circle, forked, entries).slice(0, limit)
  }

  async thread (name: string, rootId: string): Promise<CirclePostView[]> {
    this.components.assertRunning()
    const circle = this.require(name)
    const forked = new Set(circle.forkedChannels())
    const entries = await this.components.reads.thread(parseId(rootId))
    if (entries.length === 0 || stateOf(circle, forked, entries[0]!) === undefined) return []
    const rootKey = entries[0]!.kind === 'POST' ? entries[0]!.authorKey : undefined
    return this.views(circle, forked, entries, rootKey)
  }

  /** The views of `entries` a member is shown: of the generations held, and its own of those lost in a fork (`forked`). */
  private views (circle: HeldCircle, forked: Set<string>, entries: PostEntry[], rootKey?: Uint8Array): CirclePostView[] {
    return entries.flatMap((entry) => {
      const state = stateOf(circle, forked, entry)
      return state === undefined ? [] : [{ ...toPostView(entry, rootKey), circle: circle.name, state }]
    })
  }

  /** A stored post of a circle channel, announced by the intake: sent as `circle-post` with the circle's name. */
  announce (view: PostView): void {
    for (const circle of this.held.values()) {
      if (circle.generationOfChannel(view.channel) !== undefined) {
        this.components.dispatch('circle-post', { circle: circle.name, post: { ...view, circle: circle.name, state: 'shared' } })
        return
      }
    }
  }

  /** A circle's roster or generation changed: kept, its member's JOIN announced in a new generation, listeners told. */
  async changed (circle: HeldCircle, outcome: RecordOutcome): Promise<void> {
    // this runs in the intake's turn: frames are sent without waiting (the stem may hand one back to the intake)
    if (outcome === 'rotated' && circle.state.removed !== true && circle.current.ownJoin === undefined) {
      // carried over already for the members who followed the rotation; for those who join after it
      this.sendLater(await this.announceJoin(circle, circle.current, ownName(circle), undefined))
    }
    await this.components.states.put(circle.state)
    this.components.dispatch('circle-roster', { circle: circle.name })
    // a fork settled against a rotation of this owner's: the removals the winner kept are made again (§6.7),
    // when the rate allows (else kept for the next change)
    const again = circle.nextRotation(this.seconds()) === undefined ? circle.takeRemovals() : []
    if (again.length > 0 && circle.state.removed !== true) this.sendLater(await this.rotateWithout(circle, again))
  }

  /**
   * Drops the generations superseded more than CIRCLE_FRAME_TTL ago, follows the rotations kept waiting
   * that the rate allows now, and announces again the JOINs whose frames grow old (relays drop frames
   * after CIRCLE_FRAME_TTL), and, on an owner's node, the rotation that began the current generation.
   */
  async sweep (): Promise<void> {
    this.components.intake.sweep()
    await this.components.frames.sweep()
    const now = this.seconds()
    for (const circle of this.held.values()) {
      await this.components.intake.serially(async () => { await this.settle(circle, now) })
      if (circle.state.removed === true) continue
      await this.reannounceRotation(circle, now)
      const own = circle.current.ownJoin
      if (own === undefined || now - own.announcedAt < JOIN_REANNOUNCE_AGE) continue
      own.announcedAt = now
      await this.components.states.put(circle.state)
      await this.publish(circle, circle.current, CircleRecordType.JOIN, own.body)
    }
  }

  /**
   * The owner's node announces the rotation that began the current generation again (a fresh seal of the
   * same record) JOIN_REANNOUNCE_AGE after it was made or last announced, as members do their JOINs: a
   * junk flood may have pushed its frame out of relays' stores, and a member offline meanwhile that never
   * gets it reads nothing of the circle again (seventeenth read of issue 12, High 2). Members that followed
   * it find it `known`. The time is kept in memory: after a restart it counts from the rotation's own.
   */
  private async reannounceRotation (circle: HeldCircle, now: number): Promise<void> {
    const { generations } = circle.state
    const previous = generations.at(-2)
    if (!circle.owned || previous?.rotation === undefined) return
    const since = this.rotationAnnounced.get(previous) ?? circle.rotatedAt(circle.current) ?? now
    if (now - since < JOIN_REANNOUNCE_AGE) return
    this.rotationAnnounced.set(previous, now)
    await this.publish(circle, previous, CircleRecordType.ROTATE, previous.rotation)
  }

  /**
   * A circle's old generations dropped and a rotation kept waiting followed, as `now` allows; in the
   * intake's turn (generations move), the state kept when either happened. A rotation followed here is
   * taken as one from a frame: its JOIN, then the frames kept tried with the new generation's keys.
   */
  private async settle (circle: HeldCircle, now: number): Promise<void> {
    if (this.held.get(circle.name) !== circle) return
    const pruned = circle.prune(now)
    const released = circle.release(now)
    if (released?.outcome === 'rotated') {
      // the new generation is the last, taken before `changed` (an owner's node may rotate again there)
      const next = circle.current
      // the frames of its generation kept since its own frame came in, however long it waited (the scan
      // marked before `changed` keeps the state: a stop mid-scan is resumed)
      if (circle.state.removed !== true) this.components.intake.rotated(circle, next, released.arrived)
      await this.changed(circle, released.outcome)
    } else if (pruned || released !== undefined) {
      await this.components.states.put(circle.state)
    }
  }

  /** What a UI shows of a circle. */
  private summary (circle: HeldCircle): CircleSummary {
    const selection = this.components.posts.ring(circle)
    const members = circle.ringMembers()
    const removed = circle.state.removed === true
    const summary: CircleSummary = {
      name: circle.name,
      generation: circle.current.generation,
      members: members.length,
      minRing: circle.state.minRing,
      owner: circle.owned,
      canPost: !removed && !selection.belowMinimum && selection.selfNewcomerUntil === undefined,
      warnings: rosterWarnings(members, { self: circle.state.member.ring.publicKey, now: this.seconds(), minRing: circle.state.minRing, newcomerDelay: this.newcomerDelay })
    }
    if (removed) summary.removed = true
    return summary
  }

  /**
   * Takes a new circle in (created or joined): its member's JOIN applied here, kept, and sent. `kept`: the
   * frames kept when it became held (listed in that turn), for a newcomer's scan.
   */
  private async adopt (name: string, state: CircleState, memberName: string, invite: { publicKey: Uint8Array, secretKey: Uint8Array } | undefined): Promise<{ circle: HeldCircle, kept: FrameScan }> {
    checkName(name)
    const circle = new HeldCircle(state)
    const { join, kept } = await this.components.intake.serially(async () => {
      if (this.held.has(name)) throw new CircleError('ERR_CIRCLE_EXISTS', `a circle named ${name} exists on this node already`)
      this.held.set(name, circle)
      const kept = this.components.frames.frames()
      const frame = await this.announceJoin(circle, circle.current, memberName, invite)
      await this.components.states.put(state)
      return { join: frame, kept }
    })
    this.components.dispatch('circle-roster', { circle: name })
    await this.send(join)
    return { circle, kept }
  }

  /**
   * Signs this member's JOIN in `generation` and applies it here; resolves to its frame, to be sent once
   * the intake's turn is over (a stem with no peer publishes an own frame itself, through the intake).
   */
  private async announceJoin (circle: HeldCircle, generation: HeldGeneration, memberName: string, invite: { publicKey: Uint8Array, secretKey: Uint8Array } | undefined): Promise<Uint8Array> {
    const now = this.seconds()
    const body = signJoin(circle.keysOf(generation), circle.state.member, { created: now, name: memberName, ...(invite === undefined ? {} : { invite }) })
    circle.apply(generation, CircleRecordType.JOIN, body, now)
    generation.ownJoin = { body, announcedAt: now }
    return await sealCircleFrame(circle.keysOf(generation), CircleRecordType.JOIN, body)
  }

  /** A record of this member: applied here (in turn with frames coming in), kept, sent. */
  private async record (circle: HeldCircle, generation: HeldGeneration, type: CircleRecordTypeValue, body: Uint8Array): Promise<void> {
    await this.send(await this.components.intake.serially(async () => await this.applyOwn(circle, generation, type, body)))
  }

  /** Seals a record of this member and applies it here, within the intake's turn; resolves to the frame to send. */
  private async applyOwn (circle: HeldCircle, generation: HeldGeneration, type: CircleRecordTypeValue, body: Uint8Array): Promise<Uint8Array> {
    // sealed with the generation's keys before applying: a rotation moves the circle past `generation`
    const frame = await sealCircleFrame(circle.keysOf(generation), type, body)
    const outcome = circle.apply(generation, type, body, this.seconds())
    if (outcome === 'roster' || outcome === 'rotated') await this.changed(circle, outcome)
    return frame
  }

  /**
   * The owner's rotation of the current generation to a fresh secret without `removed`, applied here within
   * the intake's turn; resolves to the frame to send.
   */
  private async rotateWithout (circle: HeldCircle, removed: Uint8Array[]): Promise<Uint8Array> {
    // members follow at most that many rotations (§6.7): past it, this one would wait at every member
    const until = circle.nextRotation(this.seconds())
    if (until !== undefined) {
      throw new CircleError('ERR_CIRCLE_RATE', `${circle.name} was rotated ${CIRCLE_ROTATIONS_PER_HOUR} times this hour or ${CIRCLE_ROTATIONS_PER_DAY} today: remove again from ${new Date(until * 1000).toISOString()}, or several members at once`)
    }
    if (circle.current.waiting !== undefined) {
      throw new CircleError('ERR_CIRCLE_RATE', `a rotation of ${circle.name} made on another device waits to be followed: remove again within a minute`)
    }
    const generation = circle.current
    const gone = new Set(removed.map(toHex))
    const kept = [...circle.roster(generation).values()].filter((m) => !gone.has(toHex(m.ringKey))).map((m) => ({ ringKey: m.ringKey, boxKey: m.boxKey }))
    const body = signRotation(circle.keysOf(generation), circle.state.member, { newSecret: generateCircleSecret(), created: this.seconds(), removed, kept })
    return await this.applyOwn(circle, generation, CircleRecordType.ROTATE, body)
  }

  /** Seals a record and sends it. */
  private async publish (circle: HeldCircle, generation: HeldGeneration, type: CircleRecordTypeValue, body: Uint8Array): Promise<void> {
    await this.send(await sealCircleFrame(circle.keysOf(generation), type, body))
  }

  /** Sends an own frame made in the intake's turn without waiting for it to leave (a failure is logged). */
  private sendLater (frame: Uint8Array): void {
    this.send(frame).catch((err: unknown) => { this.components.log.error('could not send an own circle record - %e', err) })
  }

  /** Sends an own frame (queued while no peer is there; kept for sync once it is out there). */
  private async send (frame: Uint8Array): Promise<void> {
    await this.components.send(frame, this.seconds() + CIRCLE_FRAME_TTL)
  }

  private require (name: string): HeldCircle {
    const circle = this.held.get(name)
    if (circle === undefined) throw new CircleError('ERR_CIRCLE_UNKNOWN', `no circle named ${JSON.stringify(name)} on this node`)
    return circle
  }

  /** The ring key of the roster member `member` names (64 hex digits or a unique prefix). */
  private resolveMember (circle: HeldCircle, member: string): Uint8Array {
    const prefix = typeof member === 'string' ? member.toLowerCase() : ''
    if (!/^[0-9a-f]{1,64}$/.test(prefix)) throw new CircleError('ERR_CIRCLE_MEMBER', 'a member is named by its key in hex or a prefix of it')
    const matches = [...circle.roster().values()].filter((m) => toHex(m.ringKey).startsWith(prefix))
    if (matches.length !== 1) throw new CircleError('ERR_CIRCLE_MEMBER', matches.length === 0 ? `no member of ${circle.name} has a key starting ${prefix}` : `${matches.length} members of ${circle.name} have keys starting ${prefix}: give more digits`)
    return matches[0]!.ringKey
  }

  private seconds (): number {
    return Math.floor(this.components.now())
  }
}

/**
 * How a member is shown a stored post (§6.7): `shared` on a generation the circle holds, `forked` when it is
 * the member's own on a generation `forked` lists (dropped for a rotation that won), else undefined (not
 * the circle's, or another member's post on a losing generation: never shown).
 */
function stateOf (circle: HeldCircle, forked: Set<string>, entry: PostEntry): CirclePostState | undefined {
  if (circle.generationOfChannel(entry.channel) !== undefined) return 'shared'
  if (!forked.has(entry.channel) || entry.scope === undefined || entry.tag === undefined) return undefined
  return circle.wrote(entry.scope, entry.tag) ? 'forked' : undefined
}

function emptyGeneration (generation: number, secret: Uint8Array): HeldGeneration {
  return { generation, secret, joins: [], invites: [], leaves: [] }
}

/** The name this member gave in its first JOIN (re-announced in each new generation). */
function ownName (circle: HeldCircle): string {
  for (const generation of circle.state.generations) {
    if (generation.ownJoin === undefined) continue
    const join = openJoin(circle.keysOf(generation), generation.ownJoin.body)
    if (join.ok) return join.record.name
  }
  return ''
}

/** The local name as the invite's suggestion, when it fits one. */
function suggestedName (name: string): string {
  return new TextEncoder().encode(name).byteLength <= MAX_INVITE_NAME_BYTES && displayLine(name) === name ? name : ''
}

function checkName (name: string): void {
  if (typeof name !== 'string' || name.length === 0 || new TextEncoder().encode(name).byteLength > MAX_CIRCLE_NAME_BYTES || displayLine(name) !== name || name.trim() !== name) {
    throw new CircleError('ERR_CIRCLE_NAME', `a circle name is 1..${MAX_CIRCLE_NAME_BYTES} bytes of text shown as it is, without spaces around it`)
  }
}

function removedError (circle: HeldCircle): CircleError {
  return new CircleError('ERR_CIRCLE_ROTATION', `the owner of ${circle.name} rotated it without this member`)
}

/** Throws AbortError (cause: the signal's reason) when `signal` is aborted. */
function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return
  const err = new AbortError('the circle operation was aborted')
  err.cause = signal.reason
  throw err
}
