/**
 * Fakes for stem tests: a manual clock, a seeded random source, and a router harness on them.
 */
import { EPOCH_DURATION, EPOCH_JITTER, StemRouter } from '../src/stem/index.js'
import type { SendResult } from '../src/outbound.js'
import type { StemClock, StemEvent, StemRouterInit } from '../src/stem/index.js'

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

/** Topic and envelope of the posts routed in router tests (the router never looks inside). */
export const TOPIC = 'murmur/2/#stem'
export const ENVELOPE = new Uint8Array([1, 2, 3])
/** The longest epoch: advancing by it always starts a new one. */
export const EPOCH = EPOCH_DURATION + EPOCH_JITTER

/** A router on a fake clock, with what it sent, fluffed and reported. */
export interface Harness {
  router: StemRouter
  clock: FakeClock
  sent: Array<{ peer: string, id: string }>
  fluffed: Array<{ id: string, expires: number | undefined }>
  events: StemEvent[]
}

/** A router with recording fakes; `seed` seeds its randomness. */
export function setup (init: StemRouterInit = {}, seed = 1): Harness {
  const clock = new FakeClock()
  const sent: Harness['sent'] = []
  const fluffed: Harness['fluffed'] = []
  const events: StemEvent[] = []
  const router = new StemRouter({
    clock,
    random: seededRandom(seed),
    send: (peer, _topic, _envelope, id) => { sent.push({ peer, id }) },
    fluff: async (_topic, _envelope, expires): Promise<SendResult> => {
      fluffed.push({ id: fluffIds.shift() ?? '', expires })
      return { status: 'sent', recipients: 6 }
    },
    onEvent: (event) => {
      events.push(event)
      if (event.type === 'fluff') fluffIds.push(event.id)
    }
  }, init)
  // fluff events precede the fluff call: ids are queued by the event and consumed by the call
  const fluffIds: string[] = []
  return { router, clock, sent, fluffed, events }
}

/** The peers posts were handed to, marked to publish them (the stem ended at this router), in order. */
export function handoffs (events: StemEvent[]): string[] {
  return events.flatMap((e) => e.type === 'forward' && e.publish ? [e.to] : [])
}

/** The reasons of the fluff events, in order. */
export function fluffReasons (events: StemEvent[]): string[] {
  return events.flatMap((e) => e.type === 'fluff' ? [e.reason] : [])
}
