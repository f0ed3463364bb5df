/**
 * Fakes for stem tests: a manual clock and a seeded random source.
 */
import type { StemClock } from '../src/stem/index.js'

interface Timer {
  at: number
  seq: number
  fn: () => void
}

/** A clock that only moves when told to; timers fire in time order during `advance`. */
export class FakeClock implements StemClock {
  private time = 0
  private seq = 0
  private readonly timers = new Map<number, Timer>()

  now (): number {
    return this.time
  }

  setTimeout (fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.time + Math.max(0, ms), seq: id, fn })
    return id
  }

  clearTimeout (handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Number of pending timers. */
  get pending (): number {
    return this.timers.size
  }

  /** Moves time forward by `ms`, firing due timers (and timers they set) in order. */
  advance (ms: number): void {
    const end = this.time + ms
    for (;;) {
      let next: Timer | undefined
      for (const timer of this.timers.values()) {
        if (timer.at <= end && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) {
          next = timer
        }
      }
      if (next === undefined) {
        break
      }
      this.timers.delete(next.seq)
      this.time = next.at
      next.fn()
    }
    this.time = end
  }
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
