/**
 * How far this node's clock is from the network's, estimated passively from the `created` times of fresh
 * posts from others (no clock protocol: asking peers the time would fingerprint this node's clock).
 */
import { CREATED_GRANULARITY, MAX_CLOCK_SKEW, decodeEnvelope, decodePost } from '@murmur/protocol'
import type { Logger } from '@libp2p/interface'
import type { ValidationResult } from '@murmur/protocol'

/** Most recent samples the estimate is the median of. */
export const CLOCK_SKEW_SAMPLES = 64

/** Samples needed before the estimate is known. */
export const CLOCK_SKEW_MIN_SAMPLES = 5

/**
 * Posts refused as too early that may be verified as of their own time, in a burst; one more each
 * second. Such a check costs a signature verification, like any valid post, and is what tells a node
 * whose clock runs behind that it does (every fresh post looks too early to it).
 */
export const CLOCK_SKEW_EARLY_CHECKS = 10

/**
 * Seconds by which `created` lags the moment its post was made, on average: the builder subtracts a
 * uniform 0..59 s and rounds down to the minute, which together average one granularity.
 */
const CREATED_LAG = CREATED_GRANULARITY

/** What a `clock-skew` event says: the estimated offset, and whether it is beyond the accepted skew. */
export interface ClockSkewDetail {
  /** Seconds this node's clock is ahead of the network's (negative: behind). */
  offset: number
  /** Whether `|offset|` is beyond MAX_CLOCK_SKEW (120 s): this node's posts would be refused, and it refuses others'. */
  skewed: boolean
}

/**
 * The median over the last {@link CLOCK_SKEW_SAMPLES} fresh posts from others of what the network's
 * time was at this node's monotonic zero (`created + lag - arrival`, arrival on the monotonic clock),
 * compared with what this node's wall clock says now. Each sample is off by up to a minute (the coarse
 * `created`) plus the post's travel time; the median of a few is well within the 120 s that matter, and
 * old posts re-sent late are outliers it ignores. Kept against the monotonic clock, the estimate follows
 * at once when the wall clock is set right. Posts from history sync are not samples: they are old on purpose.
 *
 * @example
 * ```ts
 * const skew = new ClockSkewEstimate()
 * skew.add(Number(valid.post.created), performance.now() / 1000)
 * skew.offset(Date.now() / 1000, performance.now() / 1000) // undefined until 5 samples, then seconds ahead (negative: behind)
 * ```
 */
export class ClockSkewEstimate {
  private readonly samples: number[] = []

  /** Adds one fresh post from another node: its `created` (unix seconds) and when it arrived, in monotonic seconds. */
  add (created: number, arrived: number): void {
    this.samples.push(created + CREATED_LAG - arrived)
    if (this.samples.length > CLOCK_SKEW_SAMPLES) this.samples.shift()
  }

  /**
   * Seconds this node's clock is ahead of the network's (negative: behind) when the wall clock reads
   * `now` (unix seconds) and the monotonic one `monotonic` (seconds), or undefined while unknown.
   */
  offset (now: number, monotonic: number): number | undefined {
    if (this.samples.length < CLOCK_SKEW_MIN_SAMPLES) return undefined
    const sorted = [...this.samples].sort((a, b) => a - b)
    const middle = sorted.length >> 1
    const network = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
    return Math.round(now - monotonic - network)
  }
}

/** What a {@link ClockWatch} needs from the node. */
export interface ClockWatchComponents {
  /** This node's clock, unix milliseconds. */
  now(): number
  /** A monotonic clock in milliseconds. @default performance.now */
  monotonic?(): number
  /** Full validation of an envelope as if the clock read `at` (unix seconds); the intake's `validateAt`. */
  validateAt(topic: string, envelope: Uint8Array, at: number): ValidationResult
  /** Called when the estimate crosses the accepted skew, either way (first when it is found beyond it). */
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
    const arrived = this.monotonic() / 1000
    if (result.ok) {
      this.estimate.add(Number(result.post.created), arrived)
    } else if (result.code === 'ERR_TOO_EARLY' && this.takeCheck()) {
      const created = createdOf(envelope)
      if (created === undefined || !this.components.validateAt(topic, envelope, created + CREATED_GRANULARITY).ok) return
      this.estimate.add(created, arrived)
    } else {
      return
    }
    this.current()
  }

  /**
   * The offset now and whether it is beyond the accepted skew, or undefined while unknown; calls
   * `onChange` when that crossed since the last look (a clock set right is seen at once).
   */
  current (): ClockSkewDetail | undefined {
    const offset = this.estimate.offset(this.components.now() / 1000, this.monotonic() / 1000)
    if (offset === undefined) return undefined
    const skewed = Math.abs(offset) > MAX_CLOCK_SKEW
    if (skewed !== this.skewed) {
      this.skewed = skewed
      const log = this.components.log
      if (skewed) {
        log?.error('this node\'s clock is about %d s %s the other nodes\': they refuse its posts, and it refuses theirs; set the clock right', Math.abs(offset), offset > 0 ? 'ahead of' : 'behind')
      } else {
        log?.('this node\'s clock agrees with the other nodes\' again (%d s)', offset)
      }
      this.components.onChange({ offset, skewed })
    }
    return { offset, skewed }
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
