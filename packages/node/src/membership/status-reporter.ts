/**
 * When a node tells its UIs that membership changed (its 'membership' event): at once for a change that
 * matters (a stamp, the mint starting or ending, the ring, signing), at most once an interval for what
 * moves all the time (minting progress, the directory's size) with the last change of a burst sent at the
 * interval's end, and at every stamp window boundary, when stamps become accepted or expire without any
 * other event.
 */
import { stampWindow, weekOf } from '@murmur/protocol'

/** Shortest time between two reports that only tell of minting progress or the directory's size, in ms. @default 1000 */
export const MEMBERSHIP_PROGRESS_EVENT_INTERVAL = 1000

/** Longest setTimeout delay (2^31 − 1 ms); a later boundary is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** What {@link StatusReporter} needs. */
export interface StatusReporterComponents<S> {
  /** The status now. */
  status(): S
  /** What of a status matters at once: a report goes out as soon as it changes. */
  major(status: S): string
  /** Sends a report (the node's 'membership' event). */
  report(status: S): void
}

/** Options of {@link StatusReporter}. */
export interface StatusReporterInit {
  /** @default MEMBERSHIP_PROGRESS_EVENT_INTERVAL */
  interval?: number
}

/**
 * Reports a status when it changed: a major change at once, any other at most once per `interval` (the
 * last of a burst at the interval's end, so a UI never stays on a stale figure), and a check at every
 * stamp window boundary.
 *
 * @example
 * ```ts
 * const reporter = new StatusReporter({ status: () => membership.status(), major: reportKey, report: (s) => { emit('membership', s) } })
 * reporter.start()
 * directory.addEventListener('stamp-added', () => { reporter.changed() })
 * ```
 */
export class StatusReporter<S> {
  private readonly components: StatusReporterComponents<S>
  private readonly interval: number
  /** The major part of the last report. */
  private reported?: string
  /** The last report, in full. */
  private reportedAll?: string
  /** When the last report went out, in ms. */
  private reportedAt = -Infinity
  private trailingTimer?: ReturnType<typeof setTimeout>
  private boundaryTimer?: ReturnType<typeof setTimeout>
  private running = false

  constructor (components: StatusReporterComponents<S>, init: StatusReporterInit = {}) {
    this.components = components
    this.interval = init.interval ?? MEMBERSHIP_PROGRESS_EVENT_INTERVAL
  }

  /** Takes the status now as reported (nothing is sent for it) and starts checking at window boundaries. */
  start (): void {
    const status = this.components.status()
    this.reported = this.components.major(status)
    this.reportedAll = JSON.stringify(status)
    this.running = true
    this.atNextBoundary()
  }

  /** Sends nothing more. */
  stop (): void {
    this.running = false
    clearTimeout(this.trailingTimer)
    clearTimeout(this.boundaryTimer)
  }

  /** Something may have changed: reports the status if it did (see the class). */
  changed (): void {
    if (!this.running) return
    const status = this.components.status()
    const all = JSON.stringify(status)
    if (all === this.reportedAll) return
    const key = this.components.major(status)
    const now = Date.now()
    const wait = this.reportedAt + this.interval - now
    if (key === this.reported && wait > 0) {
      this.trailingTimer ??= setTimeout(() => {
        this.trailingTimer = undefined
        this.changed()
      }, wait)
      return
    }
    clearTimeout(this.trailingTimer)
    this.trailingTimer = undefined
    this.reported = key
    this.reportedAll = all
    this.reportedAt = now
    this.components.report(status)
  }

  /** Checks again when the next stamp window opens or closes (stamps become accepted or expire then). */
  private atNextBoundary (): void {
    const wait = nextStampBoundary(Math.floor(Date.now() / 1000)) * 1000 - Date.now()
    this.boundaryTimer = setTimeout(() => {
      this.changed()
      if (this.running) this.atNextBoundary()
    }, Math.min(Math.max(0, wait), MAX_TIMER_MS))
  }
}

/**
 * The next time after `now` (unix seconds) at which a stamp window opens or closes: stamps become accepted
 * or expire only then, for this node's member and every member of its directory alike (all of one week
 * share one window).
 *
 * @example
 * ```ts
 * nextStampBoundary(weekStart(week) + 3600) // weekStart(week) + STAMP_GRACE_SECONDS: the previous week's stamps expire
 * ```
 */
export function nextStampBoundary (now: number): number {
  const week = weekOf(now)
  const times = [week - 1, week, week + 1, week + 2].filter((w) => w >= 0).flatMap((w) => {
    const { notBefore, notAfter } = stampWindow(w)
    return [notBefore, notAfter]
  })
  return Math.min(...times.filter((time) => time > now))
}
