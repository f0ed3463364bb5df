/**
 * Discrete-event time for the anonymity simulation: a binary heap of timed callbacks that also serves as
 * the stem router's clock, so the router's embargo timers run in simulated time.
 */
import type { StemClock } from '../../packages/node/dist/src/stem/clock.js'

interface Scheduled {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** A discrete-event queue; `run()` executes events in (time, insertion) order. */
export class EventQueue implements StemClock {
  private readonly heap: Scheduled[] = []
  private seq = 0
  private time = 0

  now (): number {
    return this.time
  }

  setTimeout (fn: () => void, ms: number): unknown {
    const event: Scheduled = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.push(event)
    return event
  }

  clearTimeout (handle: unknown): void {
    if (handle !== undefined) (handle as Scheduled).cancelled = true
  }

  /** Runs events until none is left before `until`; time ends at `until`. */
  run (until = Infinity): void {
    for (;;) {
      const next = this.heap[0]
      if (next === undefined || next.at > until) break
      this.pop()
      if (next.cancelled) continue
      this.time = next.at
      next.fn()
    }
    if (until !== Infinity) this.time = until
  }

  private less (a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private push (event: Scheduled): void {
    const heap = this.heap
    heap.push(event)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  private pop (): void {
    const heap = this.heap
    const last = heap.pop()!
    if (heap.length === 0) return
    heap[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r
      if (m === i) break
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
  }
}

