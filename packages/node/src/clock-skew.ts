/**
 * How far this node's clock is from the network's, estimated passively from the `created` times of fresh
 * posts from others (no clock protocol: asking peers the time would fingerprint this node's clock).
 */
import { CREATED_GRANULARITY, MAX_CLOCK_SKEW, decodeEnvelope, decodePost } from '@murmur/protocol'
import { Recent } from './recent.js'
import { UNKNOWN_SENDER } from './store/arrival.js'
import type { Logger } from '@libp2p/interface'
import type { ErrorCode, ValidationResult } from '@murmur/protocol'

/** Posts needed before the offset is known, and again after a clock jump before a skew is claimed. */
export const CLOCK_SKEW_MIN_SAMPLES = 5

/**
 * Seconds a claimed skew stands without a new post to support it. A node fooled by forged posts in a
 * channel where nobody else posts is free again this long after they stop.
 */
export const CLOCK_SKEW_WINDOW = 600

/**
 * Seconds a post is remembered as a sample, in six steps of ten minutes (so 50 to 60 minutes): a forged
 * post stops speaking for its sender group this long after it came, and the honest posts of a group must
 * come at least this often for the group to speak.
 */
export const CLOCK_SKEW_MEMORY = 3600

/**
 * Most sender groups set aside as liars at each end: the bounds are taken from the third-freshest and the
 * third-oldest group (fewer when there are fewer than five groups: always fewer than half of them). See
 * {@link ClockSkewEstimate} for what that costs an attacker.
 */
export const CLOCK_SKEW_SET_ASIDE = 2

/**
 * Sender groups remembered, for samples and for check budgets alike; the least recently heard is
 * forgotten first. An attacker with more addresses than this can push the honest groups out.
 */
export const CLOCK_SKEW_GROUPS = 1024

/**
 * Posts refused as too early that may be verified as of their own time, per sender group, in a burst; one
 * more each second. Such a check costs a signature verification, like any valid post, and is what tells a
 * node whose clock runs behind that it does (every fresh post looks too early to it). A check is charged
 * only when the envelope paid its proof of work (it was valid, or failed at the signature): junk costs
 * the budget nothing, and one group's junk never the budget of another. All groups together have a
 * budget too ({@link CLOCK_SKEW_SHARED_CHECKS}).
 */
export const CLOCK_SKEW_EARLY_CHECKS = 10

/**
 * Checks of posts refused as too early that all sender groups together may run in a burst; more come at
 * {@link CLOCK_SKEW_SHARED_RATE}. Each group's own budget ({@link CLOCK_SKEW_EARLY_CHECKS}) bounds what
 * one group takes, this what many take: a check verifies a signature on the main thread (about 40 ms
 * for a ring of 64 with two link tags), and a thousand groups at one a second each would ask for forty
 * seconds of it every second. A group's check takes from both budgets.
 */
export const CLOCK_SKEW_SHARED_CHECKS = 30

/** Checks a second all sender groups together may run, on average (see {@link CLOCK_SKEW_SHARED_CHECKS}). */
export const CLOCK_SKEW_SHARED_RATE = 2

/**
 * Of the shared checks, those kept for turns: a sender group's first too-early post after
 * {@link CLOCK_SKEW_TURN} seconds is its turn, and only a turn may take the shared budget below this.
 * Under a flood from many groups the shared checks thus go to turns, and a group has one turn per
 * {@link CLOCK_SKEW_TURN} seconds however fast it sends (a turn that finds no check is spent all the
 * same): an honest group's post is checked about once in as many turns as there are groups asking for
 * each check of {@link CLOCK_SKEW_SHARED_RATE}, where a first come, first served budget would go to
 * whoever sends most. Without a flood, a group's posts beyond its turn still take what is above this.
 * Where it ends: turns are remembered for {@link CLOCK_SKEW_GROUPS} groups; an attacker with more takes
 * a fresh turn with each forgotten group, and honest turns then win about as often as first come, first
 * served would let them (each check paid for with a proof of work all the same).
 */
export const CLOCK_SKEW_TURN_RESERVE = 10

/** Seconds between two turns of one sender group (see {@link CLOCK_SKEW_TURN_RESERVE}). */
export const CLOCK_SKEW_TURN = 10

/**
 * Seconds by which the wall clock may move against the monotonic one before it counts as a jump (set by
 * hand, stepped by NTP, or a sleep the monotonic clock did not count). NTP slewing moves it by well under
 * a second between two looks.
 */
export const CLOCK_JUMP = 10

/**
 * Most a fresh post's `created` lags the moment it was made: the builder subtracts a uniform 0..59 s and
 * rounds down to the minute, 0..119 s together (a triangle, one granularity on average).
 */
const MAX_CREATED_LAG = 2 * CREATED_GRANULARITY

/**
 * The margin a bound must clear before a skew is claimed (half of it is the lag assumed of the freshest,
 * or oldest, post when the offset is told). Delivery delays aside, a clock right at the accepted skew
 * is told from five posts only if none lagged less than a minute (1 in 32), one 20 s within it 1 in
 * 1,800, one a minute within it never.
 */
const CLAIM_MARGIN = CREATED_GRANULARITY

/** What a `clock-skew` event says: the estimated offset, and whether it is beyond the accepted skew. */
export interface ClockSkewDetail {
  /** Seconds this node's clock is ahead of the network's (negative: behind); within ±MAX_CLOCK_SKEW unless `skewed`. */
  offset: number
  /**
   * Whether this clock is known to be beyond MAX_CLOCK_SKEW (120 s): ahead, the freshest post of each
   * sender group but a few (see {@link ClockSkewEstimate}) looks that old (this node's posts would be
   * refused); behind, the oldest looks that far in the future (it refuses the posts of others).
   */
  skewed: boolean
}

/** Steps of {@link CLOCK_SKEW_MEMORY}: a sample is forgotten between five and six steps after it came. */
const MEMORY_STEPS = 6
const STEP = CLOCK_SKEW_MEMORY / MEMORY_STEPS

/** The extremes of one sender group's samples in one step of the memory. */
interface Step {
  index: number
  freshest: number
  oldest: number
  count: number
}

/**
 * Bounds on this node's clock offset from the fresh posts of others, kept against the monotonic clock
 * (`created - arrival`) for the last hour ({@link CLOCK_SKEW_MEMORY}) and per sender group: the address
 * group of the peer that delivered the first copy. A post of an honest clock is never younger than its
 * `created` and, fresh, at most two minutes older, so the offset is at most the apparent age of the
 * freshest post and at least that of the oldest less two minutes.
 *
 * Extremes, not an average, because posts are cheap to forge: valid posts backdated by ten minutes (or
 * dated two minutes ahead) are accepted everywhere, and any number of them cannot make the freshest post
 * older (or the oldest younger). But one extreme would let one forged post hide a real skew: a post
 * dated 720 s ahead is valid to a clock 600 s ahead, and made it look right. So each group stands for
 * its freshest and its oldest post of the hour, and the bounds come from the (t+1)-th freshest and the
 * (t+1)-th oldest group of n, with t = min({@link CLOCK_SKEW_SET_ASIDE}, ⌊(n − 1) / 2⌋): up to two groups,
 * always fewer than half, are set aside as liars at each end. A group's extremes, not its median: honest
 * peers forward valid forged posts (backdated, or dated two minutes ahead), so whoever floods a group's
 * median through it could make a right clock look off. "Ahead" is claimed only when even that
 * group's freshest post looks more than the accepted skew old, "behind" only when its oldest looks that
 * far in the future. What that costs an attacker, for a node that heard honest posts through h groups in
 * the last hour:
 * - to hide a real skew: min(3, h) groups of its own, each delivering a forged post at least once an
 *   hour (straight to the node: a post dated far enough ahead to hide a skew is too early for everyone
 *   else and is not forwarded);
 * - to make a node with a right clock refuse to post: more groups than h, and no number of groups once h
 *   is three. One forged post among the honest ones of its group changes nothing (the group's freshest
 *   is still honest).
 * Three, not more, because the two attacks are not alike: a hidden skew withholds a warning about a
 * fault the attacker did not cause, while a false claim silences a node whose clock is right; a larger
 * number would make hiding dearer only by making a node wait for more honest groups before it cannot be
 * silenced, and a node with a handful of peers hears three groups within minutes. On loopback, behind one
 * NAT, or while the sender is not known, everyone is one group: the extremes of the last hour, as before
 * but forgotten after an hour. Backdated posts are valid everywhere, so honest peers forward them: a
 * node behind can be kept from being told by a few such posts that reach it first through honest groups
 * (not promised), as it is by posts that arrive minutes late. A claim needs
 * {@link CLOCK_SKEW_MIN_SAMPLES} posts, the last within {@link CLOCK_SKEW_WINDOW}, so a node fooled
 * while it heard nothing else (a lone poster in a quiet channel) is free that long after the posts
 * stop. Samples are not dropped for being far off: a clock reset to a build date months ago must still
 * be told, and a far-off lie speaks only for its group. Kept against the monotonic clock, the estimate
 * follows at once when the wall clock is set right; after such a jump (or a sleep the monotonic clock
 * did not count) a skew is claimed only from new posts, and is unknown until then. Posts from history
 * sync are not samples: they are old on purpose.
 *
 * @example
 * ```ts
 * const skew = new ClockSkewEstimate()
 * skew.add(Number(valid.post.created), Date.now() / 1000, performance.now() / 1000, senderGroup)
 * skew.detail(Date.now() / 1000, performance.now() / 1000) // undefined until 5 posts, then { offset, skewed }
 * ```
 */
export class ClockSkewEstimate {
  /** Per sender group, the extremes of `created - arrival` in each step of the memory, oldest step first. */
  private readonly groups = new Map<string, Step[]>()
  private samplesSinceJump = 0
  /** Monotonic seconds of the last post. */
  private lastSample = -Infinity
  /** Wall clock minus monotonic clock at the last look, to notice jumps. */
  private base: number | undefined

  /**
   * Adds one fresh post from another node (valid here, or refused as too early and genuine as of its own
   * time): its `created`, the wall (unix) and monotonic clocks at its arrival, all in seconds, and the
   * address group of the peer that delivered it.
   */
  add (created: number, now: number, monotonic: number, group: string = UNKNOWN_SENDER): void {
    this.look(now, monotonic)
    const sample = created - monotonic
    const index = Math.floor(monotonic / STEP)
    const steps = live(this.groups.get(group) ?? [], index)
    const last = steps.at(-1)
    if (last?.index === index) {
      last.freshest = Math.max(last.freshest, sample)
      last.oldest = Math.min(last.oldest, sample)
      last.count++
    } else {
      steps.push({ index, freshest: sample, oldest: sample, count: 1 })
    }
    // the most recently heard group last: the first is the one to forget
    this.groups.delete(group)
    this.groups.set(group, steps)
    if (this.groups.size > CLOCK_SKEW_GROUPS) this.groups.delete(this.groups.keys().next().value!)
    this.samplesSinceJump++
    this.lastSample = monotonic
  }

  /**
   * The offset when the wall clock reads `now` (unix seconds) and the monotonic one `monotonic`
   * (seconds), and whether it is known to be beyond the accepted skew; undefined while fewer than
   * {@link CLOCK_SKEW_MIN_SAMPLES} posts arrived in the memory, or while the posts say the clock is off
   * but too few arrived since the last jump or none recently.
   */
  detail (now: number, monotonic: number): ClockSkewDetail | undefined {
    this.look(now, monotonic)
    const index = Math.floor(monotonic / STEP)
    // the group extremes that may bound the offset: the SET_ASIDE + 1 freshest (negated), as many oldest
    const minusFreshest: number[] = []
    const oldest: number[] = []
    let groups = 0
    let samples = 0
    for (const [group, all] of this.groups) {
      const steps = live(all, index)
      if (steps.length === 0) {
        this.groups.delete(group)
        continue
      }
      if (steps !== all) this.groups.set(group, steps)
      let groupFreshest = -Infinity
      let groupOldest = Infinity
      for (const step of steps) {
        groupFreshest = Math.max(groupFreshest, step.freshest)
        groupOldest = Math.min(groupOldest, step.oldest)
        samples += step.count
      }
      keep(minusFreshest, -groupFreshest)
      keep(oldest, groupOldest)
      groups++
    }
    if (samples < CLOCK_SKEW_MIN_SAMPLES) return undefined
    const setAside = Math.min(CLOCK_SKEW_SET_ASIDE, Math.floor((groups - 1) / 2))
    const base = now - monotonic
    // at most this far ahead: no post is younger than its `created`
    const atMost = base + minusFreshest[setAside]!
    // at least this far ahead: no fresh post lags its `created` by more than two minutes
    const atLeast = base - oldest[setAside]! - MAX_CREATED_LAG
    // exclusive: within one group the oldest post is at least as old as the freshest, and the groups set
    // aside are fewer than half, so one group at least is below both bounds
    const ahead = atMost - CLAIM_MARGIN > MAX_CLOCK_SKEW
    const behind = atLeast + CLAIM_MARGIN < -MAX_CLOCK_SKEW
    if (ahead || behind) {
      if (this.samplesSinceJump < CLOCK_SKEW_MIN_SAMPLES || monotonic - this.lastSample > CLOCK_SKEW_WINDOW) return undefined
      return { offset: Math.round(ahead ? atMost - CLAIM_MARGIN / 2 : atLeast + CLAIM_MARGIN / 2), skewed: true }
    }
    const middle = atLeast <= atMost
      ? (atLeast + atMost) / 2
      // forged or late posts made the bounds cross: the point between them nearest to no offset at all
      : clamp(0, atMost, atLeast)
    return { offset: clamp(Math.round(middle), -MAX_CLOCK_SKEW, MAX_CLOCK_SKEW), skewed: false }
  }

  /** Notices a jump of the wall clock against the monotonic one: skews are claimed again only from new posts. */
  private look (now: number, monotonic: number): void {
    const base = now - monotonic
    if (this.base !== undefined && Math.abs(base - this.base) > CLOCK_JUMP) this.samplesSinceJump = 0
    this.base = base
  }
}

/** Inserts `value` into `least`, ascending, which keeps the CLOCK_SKEW_SET_ASIDE + 1 least values. */
function keep (least: number[], value: number): void {
  if (least.length > CLOCK_SKEW_SET_ASIDE && value >= least[CLOCK_SKEW_SET_ASIDE]!) return
  least.push(value)
  least.sort((a, b) => a - b)
  least.length = Math.min(least.length, CLOCK_SKEW_SET_ASIDE + 1)
}

/** The steps still remembered when the monotonic clock is in step `index`. */
function live (steps: Step[], index: number): Step[] {
  return steps[0] === undefined || steps[0].index > index - MEMORY_STEPS ? steps : steps.filter((step) => step.index > index - MEMORY_STEPS)
}

function clamp (value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value))
}

/** What a {@link ClockWatch} needs from the node. */
export interface ClockWatchComponents {
  /** This node's clock, unix milliseconds. */
  now(): number
  /** A monotonic clock in milliseconds. @default performance.now */
  monotonic?(): number
  /** Full validation of an envelope as if the clock read `at` (unix seconds); the intake's `validateAt`. */
  validateAt(topic: string, envelope: Uint8Array, at: number): ValidationResult
  /** Called when the clock is found beyond the accepted skew, and when it is back within it. */
  onChange(detail: ClockSkewDetail): void
  /** Where a crossing is logged (a warning when the clock is found off). @default no log */
  log?: Logger
}

/** A token bucket: `tokens` as of monotonic millisecond `at`. */
interface Bucket {
  tokens: number
  at: number
}

/** Refills `bucket` up to monotonic millisecond `now`, at `perSecond` up to `size`; its tokens. */
function fill (bucket: Bucket, now: number, size: number, perSecond: number): number {
  // never back: a monotonic clock does not go back, but a refill must not be taken twice if it did
  if (now > bucket.at) {
    bucket.tokens = Math.min(size, bucket.tokens + (now - bucket.at) * perSecond / 1000)
    bucket.at = now
  }
  return bucket.tokens
}

/** A sender group's own budget of checks, and when its next turn comes (monotonic milliseconds). */
interface GroupChecks extends Bucket {
  turn: number
}

/**
 * Who may check a post refused as too early as of its own time: its sender group's own budget first
 * ({@link CLOCK_SKEW_EARLY_CHECKS}), then the budget shared by all groups ({@link CLOCK_SKEW_SHARED_CHECKS}),
 * with the part of it kept for turns ({@link CLOCK_SKEW_TURN_RESERVE}). Both on the monotonic clock: a
 * wall clock set back must not stop the checks until it has caught up again.
 */
class EarlyChecks {
  private readonly groups = new Recent<GroupChecks>(CLOCK_SKEW_GROUPS)
  private readonly shared: Bucket

  constructor (now: number) {
    this.shared = { tokens: CLOCK_SKEW_SHARED_CHECKS, at: now }
  }

  /**
   * A check of a post of `group` at monotonic millisecond `now`: the function that charges it (call it
   * once the check found the proof of work paid), or undefined when there is none for it now.
   */
  take (group: string, now: number): (() => void) | undefined {
    const own = this.groups.get(group) ?? { tokens: CLOCK_SKEW_EARLY_CHECKS, at: now, turn: now }
    this.groups.set(group, own)
    if (fill(own, now, CLOCK_SKEW_EARLY_CHECKS, 1) < 1) return undefined
    const turn = now >= own.turn
    const next = now + CLOCK_SKEW_TURN * 1000
    if (fill(this.shared, now, CLOCK_SKEW_SHARED_CHECKS, CLOCK_SKEW_SHARED_RATE) < (turn ? 1 : CLOCK_SKEW_TURN_RESERVE + 1)) {
      // spent all the same: a group draws for the kept checks once a turn, however fast it sends
      if (turn) own.turn = next
      return undefined
    }
    return () => {
      own.tokens--
      this.shared.tokens--
      if (turn) own.turn = next
    }
  }
}

/**
 * Feeds a {@link ClockSkewEstimate} with every envelope first verified from gossip or the stem, with the
 * address group of the peer that delivered it: the valid ones, and those refused as too early that are
 * genuine posts of their own time (rate-limited per group, see {@link CLOCK_SKEW_EARLY_CHECKS}, and over
 * all groups, see {@link CLOCK_SKEW_SHARED_CHECKS}).
 *
 * @example
 * ```ts
 * const watch = new ClockWatch({ now: Date.now, validateAt: (t, e, at) => intake.validateAt(t, e, at), onChange: (d) => log(d) })
 * watch.observe(topic, envelope, result, senderGroup) // from the intake's onVerified
 * watch.current() // { offset: 3, skewed: false }, or undefined while unknown
 * ```
 */
export class ClockWatch {
  private readonly estimate = new ClockSkewEstimate()
  private readonly components: ClockWatchComponents
  private readonly monotonic: () => number
  private skewed = false
  private readonly checks: EarlyChecks

  constructor (components: ClockWatchComponents) {
    this.components = components
    this.monotonic = components.monotonic ?? (() => performance.now())
    this.checks = new EarlyChecks(this.monotonic())
  }

  /**
   * One envelope from gossip or the stem, verified for the first time, its result, and the address group
   * of the peer that delivered it (undefined: not known, counted as one group with every other unknown).
   */
  observe (topic: string, envelope: Uint8Array, result: ValidationResult, from: string = UNKNOWN_SENDER): void {
    if (result.ok) {
      this.add(Number(result.post.created), from)
    } else if (result.code === 'ERR_TOO_EARLY') {
      const charge = this.checks.take(from, this.monotonic())
      const created = charge === undefined ? undefined : createdOf(envelope)
      if (charge === undefined || created === undefined) return
      const checked = this.components.validateAt(topic, envelope, created + CREATED_GRANULARITY)
      // charged only once the proof of work was paid: junk must not use up what honest posts need
      if (checked.ok || SIGNATURE_STAGE.has(checked.code)) charge()
      if (!checked.ok) return
      this.add(created, from)
    } else {
      return
    }
    this.current()
  }

  /**
   * The offset now and whether it is known to be beyond the accepted skew, or undefined while unknown;
   * calls `onChange` when that crossed since the last look (a clock set right is seen at once). A claim
   * that lapses for want of recent posts makes it unknown, without an event: the clock may still be off.
   */
  current (): ClockSkewDetail | undefined {
    const detail = this.estimate.detail(this.components.now() / 1000, this.monotonic() / 1000)
    if (detail === undefined) return undefined
    const { offset, skewed } = detail
    if (skewed !== this.skewed) {
      this.skewed = skewed
      const log = this.components.log
      if (skewed) {
        log?.error('this node\'s clock is about %d s %s the other nodes\': %s; set the clock right', Math.abs(offset), offset > 0 ? 'ahead of' : 'behind', offset > 0 ? 'they refuse its posts' : 'it refuses theirs')
      } else {
        log?.('this node\'s clock is no longer known to be off (%d s)', offset)
      }
      this.components.onChange(detail)
    }
    return detail
  }

  private add (created: number, group: string): void {
    this.estimate.add(created, this.components.now() / 1000, this.monotonic() / 1000, group)
  }
}

/**
 * Refusals that come after the proof of work was found paid (ring members that are no points, a
 * signature that does not verify): the check cost a verification. Every other refusal cost hashes.
 */
const SIGNATURE_STAGE = new Set<ErrorCode>(['ERR_BAD_RING', 'ERR_BAD_SIGNATURE'])

/** The claimed `created` of an envelope's post (unauthenticated), or undefined when it is not readable (a sealed circle post). */
function createdOf (envelope: Uint8Array): number | undefined {
  try {
    return Number(decodePost(decodeEnvelope(envelope).post).created)
  } catch {
    return undefined
  }
}
