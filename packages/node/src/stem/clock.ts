/**
 * Time for the stem: the real clock, or a fake one in tests and the simulation.
 */

/** Time source and timers, in ms. Tests and the simulation pass a fake one. */
export interface StemClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * The real clock.
 *
 * @example
 * ```ts
 * const router = new StemRouter({ clock: systemClock, send, fluff })
 * ```
 */
export const systemClock: StemClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>) }
}
