import { compareBytes, concatBytes, equalBytes, toHex } from '../bytes.js'
import { MAX_RING_SIZE } from '../constants.js'
import { sodium } from '../sodium.js'
import type { InviteRecord, JoinRecord, LeaveRecord } from './records.js'

/**
 * How long a newcomer stays out of other members' rings, in seconds: long enough for every member to see
 * the join (and the warnings a wave of joins raises) and for the owner to remove a wave of fakes before
 * it is in anyone's ring. @default 86400 (one day)
 */
export const NEWCOMER_DELAY_SECONDS = 86_400
/** The window over which joins by one inviter count as fast growth, in seconds. @default 604800 (one week) */
export const GROWTH_WINDOW_SECONDS = 604_800
/** Joins from one inviter within GROWTH_WINDOW_SECONDS that raise FAST_GROWTH. @default 5 */
export const FAST_GROWTH_JOINS = 5
/** Share of the other members of a ring invited by one inviter that raises ONE_INVITER. @default 0.5 */
export const ONE_INVITER_SHARE = 0.5
/** Inviter of joins that named no invite key, or a key no invite record names (yet). */
export const UNATTRIBUTED = 'unattributed'
/**
 * Most members of a circle: MAX_RING_SIZE, so that every post can be signed over the whole eligible roster
 * (a signer-chosen subset of a larger roster lets readers intersect the rings of linked posts, and lets
 * a flood of joins crowd honest members out of rings). Past it the earliest joins are the roster. A
 * rotation of 64 fits one 16 KiB frame (144 bytes a member). A larger group is a public channel with
 * member stamps. @default 64
 */
export const MAX_CIRCLE_MEMBERS = MAX_RING_SIZE

/** A member as one member's roster holds it. */
export interface RosterMember {
  ringKey: Uint8Array
  boxKey: Uint8Array
  name: string
  /** Unix seconds: the later of the join's claimed time and when this roster first saw it (no backdating). */
  joinedAt: number
  /** Hex ring key of the member whose invite key co-signed the join, or UNATTRIBUTED. */
  inviter: string
}

/** Everything a member has seen of one generation's roster; the result does not depend on arrival order. */
export interface RosterInput {
  /** Verified joins, each with the unix second this member first saw it. */
  joins: Array<{ record: JoinRecord, seenAt: number }>
  /** Verified invite records. */
  invites: InviteRecord[]
  /** Verified leaves: a key that left stays out of this generation (remove wins). */
  leaves: LeaveRecord[]
  /**
   * Members carried over by the rotation that began this generation, as the previous roster held them
   * (`carryOver`): their join time and inviter go with them, so a rotation neither makes a newcomer
   * established nor hides who brought it in.
   */
  carried?: RosterMember[]
}

/**
 * The roster of a generation from the records seen: the members carried over by its rotation, then joins
 * in order of `joinedAt` (the first per ring key wins), at most MAX_CIRCLE_MEMBERS in all, minus leaves, joins attributed to the inviter whose invite
 * record names the co-signing key and had not expired at the join's claimed time (a join under an
 * expired key is not on the roster). A set-union fold: two members who have seen the same records hold
 * the same roster, whatever order they arrived in, so rosters converge after a partition once history
 * sync has carried the records both ways.
 *
 * @example
 * ```ts
 * const roster = rosterOf({ joins, invites, leaves })
 * roster.get(toHex(me.ring.publicKey))?.inviter
 * ```
 */
export function rosterOf (input: RosterInput): Map<string, RosterMember> {
  const invites = new Map<string, InviteRecord>()
  for (const invite of input.invites) {
    const key = toHex(invite.inviteKey)
    const held = invites.get(key)
    // one key, two inviters: a copied key; the earlier record (then the smaller inviter key) keeps it
    if (held === undefined || invite.created < held.created || (invite.created === held.created && compareBytes(invite.inviter, held.inviter) < 0)) invites.set(key, invite)
  }
  const left = new Set(input.leaves.map((leave) => toHex(leave.ringKey)))
  const roster = new Map<string, RosterMember>()
  for (const member of input.carried ?? []) {
    const key = toHex(member.ringKey)
    if (!left.has(key)) roster.set(key, { ...member })
  }
  const ordered = [...input.joins].sort((a, b) => joinedAt(a) - joinedAt(b) || compareBytes(a.record.ringKey, b.record.ringKey) || compareBytes(a.record.boxKey, b.record.boxKey))
  for (const join of ordered) {
    if (roster.size >= MAX_CIRCLE_MEMBERS) break
    const key = toHex(join.record.ringKey)
    if (left.has(key)) continue
    if (roster.has(key)) continue
    const invite = sodium.is_zero(join.record.inviteKey) ? undefined : invites.get(toHex(join.record.inviteKey))
    if (invite !== undefined && join.record.created > invite.expires) continue
    roster.set(key, {
      ringKey: join.record.ringKey,
      boxKey: join.record.boxKey,
      name: join.record.name,
      joinedAt: joinedAt(join),
      inviter: invite === undefined ? UNATTRIBUTED : toHex(invite.inviter)
    })
  }
  return roster
}

const joinedAt = (join: { record: JoinRecord, seenAt: number }): number => Math.max(join.record.created, join.seenAt)

/** Options of {@link selectRing} and {@link rosterWarnings}. */
export interface RingPolicy {
  /** The signer's ring key (always in its own ring). */
  self: Uint8Array
  /** Unix seconds. */
  now: number
  /** The circle's minimum ring size (from its invite). */
  minRing: number
  /** Seconds a newcomer stays out of rings. @default NEWCOMER_DELAY_SECONDS (86400) */
  newcomerDelay?: number
  /**
   * Largest ring. @default MAX_RING_SIZE (64)
   */
  maxSize?: number
  /**
   * Secret seed of the choice when more members are eligible than `maxSize`: the same seed gives the same
   * ring, so a signer keeps one ring for a thread or a week (a fresh choice per post lets a reader intersect
   * the rings of linked posts). Required when the roster is cut: a ranking keyed by anything public (the
   * signer's own key, say) lets anyone rank the roster under each member's key and find the one whose cut
   * matches the ring. @default none (a cut without it throws)
   */
  seed?: Uint8Array
}

/** What {@link selectRing} chose. */
export interface RingSelection {
  /** The ring, strictly ascending, the signer's key in it. */
  ring: Uint8Array[]
  /** Members eligible (the signer included) before the cut to `maxSize`. */
  eligible: number
  /** Members left out for being newer than the newcomer delay. */
  newcomers: number
  /** True when the ring is below the circle's minimum: the UI says so, and the builder refuses to post. */
  belowMinimum: boolean
  /**
   * Unix seconds until which the signer is itself a newcomer, or undefined. Until then no other member's
   * ring holds its key, so any ring that does names it: the UI lets a newcomer read but not post.
   */
  selfNewcomerUntil?: number
  /**
   * True when the signer's key is not on the roster (its join not seen yet, or left out of a full roster
   * of 64): it cannot post, and `ring` is itself alone (`belowMinimum`).
   */
  offRoster?: true
}

/**
 * The ring a member signs a circle post with: itself and every member of the roster that joined at least
 * `newcomerDelay` ago, cut to `maxSize` by a keyed ranking when the
 * roster is larger. Says when the ring is below the circle's minimum.
 *
 * @example
 * ```ts
 * const { ring, belowMinimum } = selectRing(roster.values(), { self: me.ring.publicKey, now, minRing: 5 })
 * if (belowMinimum) warn('this circle is too small to post in anonymously')
 * ```
 */
export function selectRing (members: Iterable<RosterMember>, policy: RingPolicy): RingSelection {
  const delay = policy.newcomerDelay ?? NEWCOMER_DELAY_SECONDS
  const maxSize = Math.min(policy.maxSize ?? MAX_RING_SIZE, MAX_RING_SIZE)
  let newcomers = 0
  let selfNewcomerUntil: number | undefined
  const others: Uint8Array[] = []
  let onRoster = false
  for (const member of members) {
    if (equalBytes(member.ringKey, policy.self)) {
      onRoster = true
      if (member.joinedAt + delay > policy.now) selfNewcomerUntil = member.joinedAt + delay
      continue
    }
    if (member.joinedAt + delay > policy.now) {
      newcomers++
      continue
    }
    others.push(member.ringKey)
  }
  // a key off the roster signs no ring validators would take: nothing to choose (and no cut to make)
  if (!onRoster) return { ring: [policy.self], eligible: 0, newcomers, belowMinimum: true, offRoster: true }
  const eligible = others.length + 1
  if (others.length > maxSize - 1) {
    const seed = policy.seed
    if (seed === undefined) throw new RangeError('a ring cut to maxSize needs a secret seed')
    const rank = (key: Uint8Array): Uint8Array => sodium.crypto_generichash(32, concatBytes([RANK_DOMAIN, key]), seed)
    others.sort((a, b) => compareBytes(rank(a), rank(b)))
    others.length = maxSize - 1
  }
  const ring = [policy.self, ...others].sort(compareBytes)
  return { ring, eligible, newcomers, belowMinimum: ring.length < policy.minRing, ...(selfNewcomerUntil === undefined ? {} : { selfNewcomerUntil }) }
}

const RANK_DOMAIN = new TextEncoder().encode('murmur/v2/circle/ring-rank')

/** A warning a UI shows a member before it posts in a circle. */
export type CircleWarning =
  | { code: 'RING_BELOW_MINIMUM', ring: number, minRing: number }
  | { code: 'SELF_NEWCOMER', until: number }
  | { code: 'NEWCOMERS_WAITING', count: number, until: number }
  | { code: 'ONE_INVITER', inviter: string, invited: number, of: number }
  | { code: 'FAST_GROWTH', inviter: string, joins: number, window: number }

/** Options of {@link rosterWarnings} besides {@link RingPolicy}. */
export interface WarningPolicy extends RingPolicy {
  /** @default GROWTH_WINDOW_SECONDS */
  growthWindow?: number
  /** @default FAST_GROWTH_JOINS */
  fastGrowthJoins?: number
  /** @default ONE_INVITER_SHARE */
  oneInviterShare?: number
}

/**
 * What a member should know before posting, from its roster (docs/ANONYMITY.md, Circles): the ring it would
 * sign with is below the minimum; it is itself a newcomer (a ring holding its key would name it); newcomers are waiting out the delay; one inviter (or no attributable
 * inviter) brought in at least half of the other members of its ring; one inviter brought in many members
 * in the growth window. None of these proves an attack: each says whose honesty the member's anonymity rests on.
 *
 * @example
 * ```ts
 * for (const w of rosterWarnings(roster.values(), { self, now, minRing: 5 })) ui.warn(w)
 * ```
 */
export function rosterWarnings (members: Iterable<RosterMember>, policy: WarningPolicy): CircleWarning[] {
  const list = [...members]
  const selection = selectRing(list, policy)
  const warnings: CircleWarning[] = []
  if (selection.belowMinimum) warnings.push({ code: 'RING_BELOW_MINIMUM', ring: selection.ring.length, minRing: policy.minRing })
  if (selection.selfNewcomerUntil !== undefined) warnings.push({ code: 'SELF_NEWCOMER', until: selection.selfNewcomerUntil })
  const delay = policy.newcomerDelay ?? NEWCOMER_DELAY_SECONDS
  const waiting = list.filter((m) => !equalBytes(m.ringKey, policy.self) && m.joinedAt + delay > policy.now)
  if (waiting.length > 0) warnings.push({ code: 'NEWCOMERS_WAITING', count: waiting.length, until: Math.max(...waiting.map((m) => m.joinedAt + delay)) })

  const inRing = new Set(selection.ring.map(toHex))
  const others = list.filter((m) => inRing.has(toHex(m.ringKey)) && !equalBytes(m.ringKey, policy.self))
  const byInviter = countBy(others, (m) => m.inviter)
  const share = policy.oneInviterShare ?? ONE_INVITER_SHARE
  for (const [inviter, invited] of byInviter) {
    if (others.length >= 2 && invited >= 2 && invited >= share * others.length) warnings.push({ code: 'ONE_INVITER', inviter, invited, of: others.length })
  }
  const window = policy.growthWindow ?? GROWTH_WINDOW_SECONDS
  const recent = countBy(list.filter((m) => m.joinedAt > policy.now - window && !equalBytes(m.ringKey, policy.self)), (m) => m.inviter)
  for (const [inviter, joins] of recent) {
    if (joins >= (policy.fastGrowthJoins ?? FAST_GROWTH_JOINS)) warnings.push({ code: 'FAST_GROWTH', inviter, joins, window })
  }
  return warnings
}

function countBy<T> (items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

/**
 * The anonymity set of a post against a coalition: the ring members the coalition does not control. A
 * ring signature hides the signer among the ring, so a coalition that knows which members are its own
 * narrows a post to the rest; this is the whole of what a circle can promise against its own members.
 *
 * @example
 * ```ts
 * anonymitySet(ring, new Set(fakes.map(toHex))) // 1: Secret's attack, the target alone
 * ```
 */
export function anonymitySet (ring: Uint8Array[], controlled: ReadonlySet<string>): number {
  return ring.filter((key) => !controlled.has(toHex(key))).length
}
