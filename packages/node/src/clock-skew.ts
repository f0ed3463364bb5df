/**
 * How far this node's clock is from the network's, estimated passively from the `created` times of fresh
 * posts from others (no clock protocol: asking peers the time would fingerprint this node's clock).
 */
import { CREATED_GRANULARITY, MAX_CLOCK_SKEW, decodeEnvelope, decodePost } from '@murmur/protocol'
import type { Logger } from '@libp2p/interface'
import type { ValidationResult } from '@murmur/protocol'

/** Posts needed before the offset is known, and again after a clock jump before a skew is claimed. */
export const CLOCK_SKEW_MIN_SAMPLES = 5

/**
 * Seconds a claimed skew stands without a new post to support it. A node fooled by forged posts in a
 * channel where nobody else posts is free again this long after they stop.
 */
export const CLOCK_SKEW_WINDOW = 600

/**
 * Posts refused as too early that may be verified as of their own time, in a burst; one more each
 * second. Such a check costs a signature verification, like any valid post, and is what tells a node
 * whose clock runs behind that it does (every fresh post looks too early to it).
 */
export const CLOCK_SKEW_EARLY_CHECKS = 10

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
   * Whether this clock is known to be beyond MAX_CLOCK_SKEW (120 s): ahead, even the freshest post of
   * others looks that old (this node's posts would be refused); behind, even the oldest looks that far
   * in the future (it refuses the posts of others).
   */
  skewed: boolean
}

/**
 * Bounds on this node's clock offset from two extremes of the fresh posts of others, kept against the
 * monotonic clock (`created - arrival`) since the node started: the freshest-looking post and the
 * oldest-looking one. A post of an honest clock is never younger than its `created` and, fresh, at most
 * two minutes older, so the offset is at most the apparent age of the freshest post and at least that of
 * the oldest less two minutes.
 *
 * The extremes, not an average, because posts are cheap to forge: valid posts backdated by ten minutes
 * (or dated two minutes ahead) are accepted everywhere, and any number of them cannot make the freshest
 * post older (or the oldest younger). "Ahead" is claimed only when even the freshest post looks more
 * than the accepted skew old, "behind" only when even the oldest looks that far in the future; one post
 * of an honest clock, seen at any time since the start, rules out the false claim for good. What forged
 * posts can do is hide a real skew (the node is then not told, as before it could be), and fool a node
 * that has heard no other honest node since it started (a lone poster in a quiet channel): a claim needs
 * {@link CLOCK_SKEW_MIN_SAMPLES} posts, the last within {@link CLOCK_SKEW_WINDOW}, so it is unknown again
 * that long after they stop. Late posts (an outbox flushed after minutes) hide a clock behind in the same
 * way. Kept against the monotonic clock, the estimate follows at once when the wall clock is set right;
 * after such a jump (or a sleep the monotonic clock did not count) a skew is claimed only from new posts,
 * and is unknown until then. Posts from history sync are not samples: they are old on purpose.
 *
 * @example
 * ```ts
 * const skew = new ClockSkewEstimate()
 * skew.add(Number(valid.post.created), Date.now() / 1000, performance.now() / 1000)
 * skew.detail(Date.now() / 1000, performance.now() / 1000) // undefined until 5 posts, then { offset, skewed }
 * ```
 */
export class ClockSkewEstimate {
  /** Greatest `created - arrival`: the freshest-looking post. */
  private freshest = -Infinity
  /** Least `created - arrival`: the oldest-looking post. */
  private oldest = Infinity
  private samples = 0
  private samplesSinceJump = 0
  /** Monotonic seconds of the last post. */
  private lastSample = -Infinity
  /** Wall clock minus monotonic clock at the last look, to notice jumps. */
  private base: number | undefined

  /**
   * Adds one fresh post from another node (valid here, or refused as too early and genuine as of its own
   * time): its `created`, and the wall (unix) and monotonic clocks at its arrival, all in seconds.
   */
  add (created: number, now: number, monotonic: number): void {
    this.look(now, monotonic)
    const sample = created - monotonic
    this.freshest = Math.max(this.freshest, sample)
    this.oldest = Math.min(this.oldest, sample)
    this.samples++
    this.samplesSinceJump++
    this.lastSample = monotonic
  }

  /**
   * The offset when the wall clock reads `now` (unix seconds) and the monotonic one `monotonic`
   * (seconds), and whether it is known to be beyond the accepted skew; undefined while fewer than
   * {@link CLOCK_SKEW_MIN_SAMPLES} posts arrived, or while the posts say the clock is off but too few
   * arrived since the last jump or none recently.
   */
  detail (now: number, monotonic: number): ClockSkewDetail | undefined {
    this.look(now, monotonic)
    if (this.samples < CLOCK_SKEW_MIN_SAMPLES) return undefined
    const base = now - monotonic
    // at most this far ahead: no post is younger than its `created`
    const atMost = base - this.freshest
    // at least this far ahead: no fresh post lags its `created` by more than two minutes
    const atLeast = base - this.oldest - MAX_CREATED_LAG
    // exclusive: the oldest post is at least as old as the freshest, so atLeast >= atMost - 120
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

/**
 * Feeds a {@link ClockSkewEstimate} with every envelope first verified from gossip or the stem: the valid
 * ones, and those refused as too early that are genuine posts of their own time (rate-limited, see
 * {@link CLOCK_SKEW_EARLY_CHECKS}).
 *
 * @example
 * ```ts
 * const watch = new ClockWatch({ now: Date.now, validateAt: (t, e, at) => intake.validateAt(t, e, at), onChange: (d) => log(d) })
 * watch.observe(topic, envelope, result) // from the intake's onVerified
 * watch.current() // { offset: 3, skewed: false }, or undefined while unknown
 * ```
 */
export class ClockWatch {
  private readonly estimate = new ClockSkewEstimate()
  private readonly components: ClockWatchComponents
  private readonly monotonic: () => number
  private skewed = false
  private checks = CLOCK_SKEW_EARLY_CHECKS
  private refilled: number

  constructor (components: ClockWatchComponents) {
    this.components = components
    this.monotonic = components.monotonic ?? (() => performance.now())
    this.refilled = components.now()
  }

  /** One envelope from gossip or the stem, verified for the first time, and its result. */
  observe (topic: string, envelope: Uint8Array, result: ValidationResult): void {
    if (result.ok) {
      this.add(Number(result.post.created))
    } else if (result.code === 'ERR_TOO_EARLY' && this.takeCheck()) {
      const created = createdOf(envelope)
      if (created === undefined || !this.components.validateAt(topic, envelope, created + CREATED_GRANULARITY).ok) return
      this.add(created)
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

  private add (created: number): void {
    this.estimate.add(created, this.components.now() / 1000, this.monotonic() / 1000)
  }

  private takeCheck (): boolean {
    const now = this.components.now()
    const refill = Math.floor((now - this.refilled) / 1000)
    if (refill > 0) {
      this.checks = Math.min(CLOCK_SKEW_EARLY_CHECKS, this.checks + refill)
      this.refilled += refill * 1000
    }
    if (this.checks === 0) return false
    this.checks--
    return true
  }
}

/** The claimed `created` of an envelope's post (unauthenticated), or undefined when it is not readable (a sealed circle post). */
function createdOf (envelope: Uint8Array): number | undefined {
  try {
    return Number(decodePost(decodeEnvelope(envelope).post).created)
  } catch {
    return undefined
  }
}
