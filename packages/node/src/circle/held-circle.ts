/**
 * One circle as its member's node holds it: the keys of each generation, the verified roster records, the
 * roster they fold to (`rosterOf`), and the rotations followed (`rotationSecret`, `carryOver`,
 * `pickRotation`). No I/O: the service persists {@link HeldCircle.state} after each change.
 */
import { CircleRecordType, carryOver, checkCircleFrame, deriveCircleKeys, equalBytes, linkTag, openCircleFrame, openInviteRecord, openJoin, openLeave, openRotation, pickRotation, rosterOf, rotationSecret, toHex } from '@murmur/protocol'
import { CIRCLE_FORKS_KEPT, CIRCLE_FRAME_TTL, CIRCLE_MAX_RECORDS } from './constants.js'
import { DAY, nextFollow, withFollow } from './follow-rate.js'
import type { CheckedCircleFrame, CircleKeys, CircleRecord, InviteRecord, JoinRecord, LeaveRecord, RecordResult, RosterMember, RotationRecord } from '@murmur/protocol'
import type { CircleState, ForkedGeneration, HeldGeneration } from './state.js'

/** A frame opened with the keys of one of the circle's generations. */
export interface OpenedFrame {
  generation: HeldGeneration
  keys: CircleKeys
  record: CircleRecord
}

/** What applying a roster record did. */
export type RecordOutcome =
  /** It does not verify (or is a rotation that loses): a member does not forward it. */
  | 'invalid'
  /** Held already. */
  | 'known'
  /** The roster of a generation changed. */
  | 'roster'
  /** The circle moved to a new generation (or left this member out: `state.removed`). */
  | 'rotated'
  /**
   * A rotation that wins, over the follow rate (CIRCLE_ROTATIONS_PER_HOUR, CIRCLE_ROTATIONS_PER_DAY): kept
   * waiting in the state (forwarded, as it is valid), followed once the rate allows (`release`).
   */
  | 'waiting'
  /**
   * A rotation that lost to the one followed (not forwarded), whose removals the winner kept: this node
   * is the owner's and makes them again (`takeRemovals`).
   */
  | 'forked'

/** The relay checks of frames tried (by identity): every circle of the node tries the frame it is given. */
const checkedFrames = new WeakMap<Uint8Array, CheckedCircleFrame | null>()

/** A frame's relay check, made once for the bytes; undefined when it fails. */
function checkedOnce (frame: Uint8Array): CheckedCircleFrame | undefined {
  let checked = checkedFrames.get(frame)
  if (checked === undefined) {
    const result = checkCircleFrame(frame)
    checked = result.ok ? result : null
    checkedFrames.set(frame, checked)
  }
  return checked ?? undefined
}

/** The records of a generation, verified and parsed once. */
interface Parsed {
  joins: Array<{ record: JoinRecord, seenAt: number }>
  invites: InviteRecord[]
  leaves: LeaveRecord[]
  roster: Map<string, RosterMember>
}

/** One circle of this node. */
export class HeldCircle {
  readonly state: CircleState
  private readonly keys = new Map<number, CircleKeys>()
  /** The inner channels of `state.forked`, for the list they were derived from. */
  private forked?: { of: ForkedGeneration[] | undefined, channels: string[] }
  /** The folds of the generations held, by generation number: a record of one refolds it and those after. */
  private readonly parsed = new Map<number, Parsed>()
  /** Rotation bodies verified (a signature check each), by body: each rotation held is checked once. */
  private readonly rotations = new WeakMap<Uint8Array, RotationRecord | null>()
  /** Verified JOIN, INVITE and LEAVE records by generation and body. */
  private readonly verified = new Map<string, unknown>()
  /** Ring keys (hex) a losing rotation removed and the winner kept: the owner's node removes them again. */
  private readonly removals = new Set<string>()

  constructor (state: CircleState) {
    this.state = state
  }

  get name (): string {
    return this.state.name
  }

  /** The current generation. */
  get current (): HeldGeneration {
    return this.state.generations[this.state.generations.length - 1]!
  }

  /** Whether this node's member owns the circle (only the owner rotates). */
  get owned (): boolean {
    return equalBytes(this.state.owner, this.state.member.ring.publicKey)
  }

  /** The keys of a generation. */
  keysOf (generation: HeldGeneration): CircleKeys {
    let keys = this.keys.get(generation.generation)
    if (keys === undefined) {
      keys = deriveCircleKeys(generation.secret, generation.generation, this.state.owner)
      this.keys.set(generation.generation, keys)
    }
    return keys
  }

  /** The inner channels of every generation held (their posts are the circle's). */
  channels (): string[] {
    return this.state.generations.map((g) => this.keysOf(g).channel)
  }

  /**
   * The inner channels of the generations dropped for a rotation that won (`state.forked`): this member's
   * own posts there never reached the members who followed the winner (§6.7).
   */
  forkedChannels (): string[] {
    // derived once per list (noteForked assigns a new one): every feed and thread read asks
    const forked = this.state.forked
    const kept = this.forked?.of === forked ? this.forked : undefined
    if (kept !== undefined) return kept.channels
    const channels = (forked ?? []).map((f) => deriveCircleKeys(f.secret, f.generation, this.state.owner).channel)
    this.forked = { of: forked, channels }
    return channels
  }

  /** Whether this member made link tag `tag` over `scope` (a ring-signed post of its own: only its ring key can). */
  wrote (scope: Uint8Array, tag: Uint8Array): boolean {
    return equalBytes(linkTag(this.state.member.ring.secretKey, scope), tag)
  }

  /** The generation whose inner channel is `channel`, or undefined. */
  generationOfChannel (channel: string): HeldGeneration | undefined {
    return this.state.generations.find((g) => this.keysOf(g).channel === channel)
  }

  /**
   * Opens a frame with the newest generation it opens with, of those from index `first` on (all by
   * default); undefined when it is none of them. The relay check (a hash over the frame) is made once a
   * frame, not once a key: pass what `checkCircleFrame` returned, or the bytes (checked once for every
   * circle that tries the same bytes).
   */
  open (frame: Uint8Array | CheckedCircleFrame, first = 0): OpenedFrame | undefined {
    const checked = frame instanceof Uint8Array ? checkedOnce(frame) : frame
    if (checked === undefined) return undefined
    for (let i = this.state.generations.length - 1; i >= first; i--) {
      const generation = this.state.generations[i]!
      const keys = this.keysOf(generation)
      const opened = openCircleFrame(keys, checked)
      if (opened.ok) return { generation, keys, record: { type: opened.type, body: opened.body } }
    }
    return undefined
  }

  /**
   * The `created` time (the owner's clock) of the rotation that began `generation`: no frame of it was
   * sealed before its secret was made. Undefined for the first generation held (joined or created): its
   * frames may be of any age.
   */
  rotatedAt (generation: HeldGeneration): number | undefined {
    const previous = this.previous(generation)
    return previous?.rotation === undefined ? undefined : this.rotationOf(previous, previous.rotation)?.created
  }

  /** The roster of a generation (the current one by default). */
  roster (generation: HeldGeneration = this.current): Map<string, RosterMember> {
    return this.parse(generation).roster
  }

  /**
   * The current roster as rings are chosen from it and warnings judged: the owner is never a newcomer (its
   * `joinedAt` taken as 0). The newcomer delay gives members time to see a key they did not know and have
   * the owner remove it; the owner's key is in every invite, known to each member before it joins.
   */
  ringMembers (): RosterMember[] {
    return [...this.roster().values()].map((m) => equalBytes(m.ringKey, this.state.owner) ? { ...m, joinedAt: 0 } : m)
  }

  /** Whether a ring key (hex) is on a generation's roster. */
  isMember (generation: HeldGeneration, ringKeyHex: string): boolean {
    return this.roster(generation).has(ringKeyHex)
  }

  /**
   * Applies a roster record (JOIN, INVITE, LEAVE, ROTATE) of `generation`, first seen at `seenAt`; `arrived`:
   * when its frame came to this node (earlier for one read from the frames kept), noted with a rotation
   * that waits.
   */
  apply (generation: HeldGeneration, type: number, body: Uint8Array, seenAt: number, arrived = seenAt): RecordOutcome {
    const hex = toHex(body)
    switch (type) {
      case CircleRecordType.JOIN: {
        if (generation.joins.some((j) => toHex(j.body) === hex)) return 'known'
        if (generation.joins.length >= CIRCLE_MAX_RECORDS || this.verify(generation, body, openJoin) === undefined) return 'invalid'
        generation.joins.push({ body, seenAt })
        break
      }
      case CircleRecordType.INVITE: {
        if (generation.invites.some((b) => toHex(b) === hex)) return 'known'
        if (generation.invites.length >= CIRCLE_MAX_RECORDS || this.verify(generation, body, openInviteRecord) === undefined) return 'invalid'
        generation.invites.push(body)
        break
      }
      case CircleRecordType.LEAVE: {
        if (generation.leaves.some((b) => toHex(b) === hex)) return 'known'
        if (generation.leaves.length >= CIRCLE_MAX_RECORDS || this.verify(generation, body, openLeave) === undefined) return 'invalid'
        generation.leaves.push(body)
        break
      }
      case CircleRecordType.ROTATE:
        return this.rotate(generation, body, seenAt, arrived)
      default:
        return 'invalid'
    }
    // the rosters of later generations carry members over from this one
    this.refold(generation.generation)
    return 'roster'
  }

  /**
   * The unix second from which this node follows (or, the owner's, makes) one more rotation of the circle;
   * undefined when it may now (CIRCLE_ROTATIONS_PER_HOUR, CIRCLE_ROTATIONS_PER_DAY, fork switches counted).
   */
  nextRotation (now: number): number | undefined {
    return nextFollow(this.state.follows, now)
  }

  /**
   * Follows the rotation kept waiting out of the oldest generation that has one, when the rate allows at
   * `now`: its outcome ('rotated': keep the state, try the frames kept with the new generation) and when its
   * frame came to this node (a day back for a record written without it), or undefined when nothing was
   * followed.
   */
  release (now: number): { outcome: RecordOutcome, arrived: number } | undefined {
    const generation = this.state.generations.find((g) => g.waiting !== undefined)
    if (generation?.waiting === undefined || this.nextRotation(now) !== undefined) return undefined
    const body = generation.waiting
    const arrived = generation.waitingArrived ?? now - DAY
    delete generation.waiting
    delete generation.waitingArrived
    return { outcome: this.rotate(generation, body, now), arrived }
  }

  /**
   * Drops the generations this node followed a rotation out of more than CIRCLE_FRAME_TTL before `now`
   * (docs/PROTOCOL.md §6.7): relays keep no frame longer, its posts have expired, and every frame would be
   * tried with its keys for nothing. The oldest generation kept gets the members its rotation carried over
   * from them, fixed. Whether any was dropped (the state is to be kept). Call it serially with the frames
   * taken: indexes of `generations` move.
   */
  prune (now: number): boolean {
    const generations = this.state.generations
    let drop = 0
    for (; drop < generations.length - 1; drop++) {
      const generation = generations[drop]!
      // a record written before this field: superseded when its rotation says it was made (an owner who
      // backdates it only has its own circle's old generations dropped sooner), at the latest now
      generation.supersededAt ??= Math.min(now, generation.rotation === undefined ? now : this.rotationOf(generation, generation.rotation)?.created ?? now)
      if (generation.supersededAt + CIRCLE_FRAME_TTL > now) break
    }
    if (drop === 0) return false
    const last = generations[drop - 1]!
    generations[drop]!.carried = this.carriedFrom(last, this.roster(last))
    for (const gone of generations.splice(0, drop)) {
      this.keys.delete(gone.generation)
      this.parsed.delete(gone.generation)
    }
    const first = generations[0]!.generation
    for (const key of this.verified.keys()) {
      if (Number(key.slice(0, key.indexOf('/'))) < first) this.verified.delete(key)
    }
    return true
  }

  /**
   * The members a losing rotation removed that are on the current roster still (the winner kept them), to
   * be removed again by the owner with a new rotation; forgotten once taken.
   */
  takeRemovals (): Uint8Array[] {
    const roster = this.roster()
    const keys = [...this.removals].flatMap((hex) => roster.get(hex)?.ringKey ?? [])
    this.removals.clear()
    return keys
  }

  /**
   * Follows a rotation out of `generation`: the new secret opened with this member's box key and the
   * kept members carried over, or `removed` when it left this member out. Of two rotations of one
   * generation the one with the smaller digest wins (`pickRotation`); the loser's generation is dropped,
   * and the owner's node notes the loser's removals that the winner kept, to make them again (§6.7). A
   * rotation followed (fork switches included) past the rate, or while another of the generation waits,
   * waits (`wait`).
   */
  private rotate (generation: HeldGeneration, body: Uint8Array, seenAt: number, arrived = seenAt): RecordOutcome {
    const keys = this.keysOf(generation)
    const opened = this.rotationOf(generation, body)
    if (opened === undefined) return 'invalid'
    const followed = generation.rotation === undefined ? undefined : this.rotationOf(generation, generation.rotation)
    if (generation.rotation !== undefined) {
      if (equalBytes(generation.rotation, body)) return 'known'
      if (pickRotation(keys, generation.rotation, body) !== body) {
        return followed !== undefined && this.noteRemovals(opened, followed) ? 'forked' : 'invalid'
      }
    } else if (generation !== this.current) {
      return 'invalid'
    }
    if (generation.waiting !== undefined || this.nextRotation(seenAt) !== undefined) return this.wait(generation, body, arrived)
    this.state.follows = withFollow(this.state.follows, seenAt)
    generation.supersededAt ??= seenAt
    if (generation.rotation !== undefined) {
      if (followed !== undefined) this.noteRemovals(followed, opened)
      // the rotation followed so far lost: its generations are dropped, and the winner followed instead
      const index = this.state.generations.indexOf(generation)
      const dropped = this.state.generations.splice(index + 1)
      for (const lost of dropped) this.keys.delete(lost.generation)
      this.noteForked(dropped, seenAt)
      // the winner's generation has the loser's number and other keys: nothing verified under them stands
      this.verified.clear()
      this.parsed.clear()
      delete this.state.removed
    }
    generation.rotation = body
    const secret = rotationSecret(opened, this.state.member)
    if (secret === undefined) {
      this.state.removed = true
      return 'rotated'
    }
    this.state.generations.push({ generation: opened.generation, secret, joins: [], invites: [], leaves: [] })
    return 'rotated'
  }

  /**
   * Keeps a winning rotation of `generation` waiting for the follow rate, with when its frame `arrived`: the
   * one of the smaller digest when one waits already ('invalid' for the loser, not forwarded, as any losing
   * rotation).
   */
  private wait (generation: HeldGeneration, body: Uint8Array, arrived: number): RecordOutcome {
    const waiting = generation.waiting
    if (waiting !== undefined && equalBytes(waiting, body)) return 'known'
    if (waiting !== undefined && pickRotation(this.keysOf(generation), waiting, body) !== body) return 'invalid'
    generation.waiting = body
    generation.waitingArrived = arrived
    return 'waiting'
  }

  /** A rotation body of `generation` verified, once per body held; undefined when it does not verify. */
  private rotationOf (generation: HeldGeneration, body: Uint8Array): RotationRecord | undefined {
    let record = this.rotations.get(body)
    if (record === undefined) {
      const opened = openRotation(this.keysOf(generation), body)
      record = opened.ok ? opened.record : null
      this.rotations.set(body, record)
    }
    return record ?? undefined
  }

  /**
   * The members the rotation out of `previous` carries into the next generation, from `previous`'s roster
   * as it is now (`carryOver`): a join of the old generation seen after the rotation is carried all the
   * same, so the roster does not depend on the order records arrived in.
   */
  private carriedFrom (previous: HeldGeneration, roster: Map<string, RosterMember>): RosterMember[] {
    const rotation = previous.rotation === undefined ? undefined : this.rotationOf(previous, previous.rotation)
    return rotation === undefined ? [] : carryOver(rotation, roster.values())
  }

  /** Forgets the folds of generation number `from` and later (a record of `from` changed them). */
  private refold (from: number): void {
    for (const generation of this.parsed.keys()) {
      if (generation >= from) this.parsed.delete(generation)
    }
  }

  /**
   * On the owner's node, notes the members `loser` removed and `winner` kept; whether there are any.
   * Members do not: only the owner rotates.
   */
  private noteRemovals (loser: RotationRecord, winner: RotationRecord): boolean {
    if (!this.owned) return false
    const kept = new Set(winner.kept.map((entry) => toHex(entry.ringKey)))
    const again = loser.removed.map(toHex).filter((hex) => kept.has(hex))
    for (const hex of again) this.removals.add(hex)
    return again.length > 0
  }

  /**
   * Keeps the secrets of generations dropped at `at` (this member's own posts on them are shown as not
   * delivered), with those dropped less than CIRCLE_FRAME_TTL ago, at most CIRCLE_FORKS_KEPT.
   */
  private noteForked (dropped: HeldGeneration[], at: number): void {
    const kept = (this.state.forked ?? []).filter((f) => f.droppedAt + CIRCLE_FRAME_TTL > at)
    kept.push(...dropped.map((g) => ({ generation: g.generation, secret: g.secret, droppedAt: at })))
    this.state.forked = kept.slice(-CIRCLE_FORKS_KEPT)
  }

  /** The generation held before `generation`, or undefined. */
  private previous (generation: HeldGeneration): HeldGeneration | undefined {
    const index = this.state.generations.indexOf(generation)
    return index > 0 ? this.state.generations[index - 1] : undefined
  }

  /** A record verified once (its signature checks cost a curve operation each), or undefined when it does not verify. */
  private verify<T> (generation: HeldGeneration, body: Uint8Array, open: (keys: CircleKeys, body: Uint8Array) => RecordResult<T>): T | undefined {
    const key = `${generation.generation}/${toHex(body)}`
    const known = this.verified.get(key)
    if (known !== undefined) return known as T
    const opened = open(this.keysOf(generation), body)
    // only records that verify are remembered: they are the ones kept (at most CIRCLE_MAX_RECORDS a kind)
    if (opened.ok) this.verified.set(key, opened.record)
    return opened.ok ? opened.record : undefined
  }

  /**
   * The fold of a generation: the members carried over from the one before, then its own records. Folded
   * forward, in a loop, from the newest generation before it whose fold is kept (a roster never recurses
   * through the generations: thousands of them overflowed the stack). The first generation held starts
   * from the members fixed when those before it were dropped (`carried`), or from none.
   */
  private parse (generation: HeldGeneration): Parsed {
    const kept = this.parsed.get(generation.generation)
    const generations = this.state.generations
    const index = generations.indexOf(generation)
    if (kept !== undefined && index >= 0) return kept
    // a generation no longer held (a rotation that lost): its own records only, not kept
    if (index < 0) return this.fold(generation, [])
    let from = index
    while (from > 0 && !this.parsed.has(generations[from - 1]!.generation)) from--
    let parsed = this.fold(generations[from]!, from === 0 ? generations[0]!.carried ?? [] : this.carriedFrom(generations[from - 1]!, this.parsed.get(generations[from - 1]!.generation)!.roster))
    this.parsed.set(generations[from]!.generation, parsed)
    for (let i = from + 1; i <= index; i++) {
      parsed = this.fold(generations[i]!, this.carriedFrom(generations[i - 1]!, parsed.roster))
      this.parsed.set(generations[i]!.generation, parsed)
    }
    return parsed
  }

  /** One generation's records, verified (once each), folded over the members `carried` into it. */
  private fold (generation: HeldGeneration, carried: RosterMember[]): Parsed {
    const joins: Parsed['joins'] = generation.joins.flatMap(({ body, seenAt }) => {
      const record = this.verify(generation, body, openJoin)
      return record === undefined ? [] : [{ record, seenAt }]
    })
    const invites = generation.invites.flatMap((body) => this.verify(generation, body, openInviteRecord) ?? [])
    const leaves = generation.leaves.flatMap((body) => this.verify(generation, body, openLeave) ?? [])
    return { joins, invites, leaves, roster: rosterOf({ joins, invites, leaves, carried }) }
  }
}
