/**
 * The Dandelion++ stem as a state machine. It owns routing decisions only: clock, randomness, sending
 * to a peer and fluffing into gossip are injected, so the node and the anonymity simulation run this
 * exact code. Inputs are already validated; peers are plain strings.
 */
import { logger } from '@libp2p/logger'
import {
  EPOCH_DURATION, EPOCH_JITTER, FLUFF_PROBABILITY, MAX_HELD_PER_PEER, MAX_HELD_POSTS, MAX_REMEMBERED, NO_PEER_DELAY_MAX,
  NO_PEER_DELAY_MIN, OWN_EMBARGO_MEAN, OWN_EMBARGO_MIN, OWN_RESENDS, PROVISIONAL_EPOCH, REMEMBER_DONE, STEM_SUCCESSORS
} from './constants.js'
import { EMBARGO_MEAN, exponential } from './embargo.js'
import { StemStoppedError } from './errors.js'
import type { SendResult } from '../outbound.js'
import type { Logger } from '@libp2p/interface'

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

/**
 * Why a post left the stem:
 * `diffuser` — this node is a diffuser this epoch; `embargo` — its fail-safe timer fired before the post
 * came back through gossip; `loop` — it came back along the stem and no untried successor was left;
 * `no-route` — no successor other than the sender; `no-stem-peer` — an own post found no stem peer;
 * `full` — the table of held posts was full.
 */
export type FluffReason = 'diffuser' | 'embargo' | 'loop' | 'no-route' | 'no-stem-peer' | 'full'

/** What the router did, for logs, metrics and the simulation. */
export type StemEvent =
  | { type: 'epoch', successors: string[], diffuser: boolean }
  | { type: 'forward', id: string, to: string, own: boolean }
  | { type: 'fluff', id: string, topic: string, reason: FluffReason, own: boolean }

/** What {@link StemRouter} needs from its surroundings. */
export interface StemRouterComponents {
  /** Writes a stem post to `peer`. Fire and forget: report a failed write with {@link StemRouter.sendFailed}. */
  send(peer: string, topic: string, envelope: Uint8Array, id: string): void
  /** Publishes into gossip; `expires` (unix seconds) is known for own posts only. */
  fluff(topic: string, envelope: Uint8Array, expires: number | undefined): Promise<SendResult>
  /** Whether a fluff of `topic` can spread from here (someone subscribed); a relay forwards instead when not. */
  canFluff?(topic: string): boolean
  /** @default systemClock */
  clock?: StemClock
  /** Uniform in [0, 1). @default Math.random */
  random?(): number
  /** Called synchronously for every routing decision. */
  onEvent?(event: StemEvent): void
  /** @default logger('murmur:stem') */
  log?: Logger
}

/** Parameters of {@link StemRouter}; defaults in `stem/constants.ts`. */
export interface StemRouterInit {
  /**
   * Probability that the node is a diffuser for an epoch.
   *
   * @default 0.1
   */
  fluffProbability?: number
  /**
   * Successors picked per epoch.
   *
   * @default 2
   */
  successors?: number
  /**
   * Shortest epoch in ms.
   *
   * @default 600_000
   */
  epochDuration?: number
  /**
   * Uniform random extra per epoch, in ms.
   *
   * @default 60_000
   */
  epochJitter?: number
  /**
   * Longest epoch, in ms, while fewer than `successors` successors could be picked.
   *
   * @default 60_000
   */
  provisionalEpoch?: number
  /**
   * Mean of the exponential embargo timer, in ms (Dandelion++ Proposition 3, see `embargoMean`).
   *
   * @default ≈ 85_421
   */
  embargoMean?: number
  /**
   * Floor of an own post's re-send timer, in ms.
   *
   * @default 10_000
   */
  ownEmbargoMin?: number
  /**
   * Mean of the exponential part of an own post's re-send timer, in ms.
   *
   * @default 10_000
   */
  ownEmbargoMean?: number
  /**
   * Re-sends of an own post into the stem before its author publishes it itself.
   *
   * @default OWN_RESENDS (3)
   */
  ownResends?: number
  /**
   * Most stem posts held at once.
   *
   * @default 1024
   */
  maxHeld?: number
  /**
   * Most held posts from one inbound peer.
   *
   * @default MAX_HELD_PER_PEER (256)
   */
  maxHeldPerPeer?: number
  /**
   * How long ids of posts that left the stem are remembered, in ms.
   *
   * @default 1_800_000
   */
  rememberDone?: number
  /**
   * Shortest delay before an own post is fluffed for want of a stem peer, in ms.
   *
   * @default 500
   */
  noPeerDelayMin?: number
  /**
   * Longest such delay, in ms.
   *
   * @default 2_000
   */
  noPeerDelayMax?: number
}

interface Held {
  id: string
  topic: string
  envelope: Uint8Array
  own: boolean
  /** The inbound stem peer a relayed post came from. */
  from?: string
  expires?: number
  /** Successors this post was already sent to. */
  tried: Set<string>
  /** Own posts: re-sends after the embargo fired. */
  resends?: number
  timer?: unknown
  /** Settles the pending `originate` of an own post waiting for a stem peer. */
  settle?: { resolve(result: SendResult): void, reject(err: Error): void }
}

/**
 * Dandelion++ routing for one node.
 *
 * Per epoch it picks `successors` stem successors among stem-capable peers (peers we dialed first:
 * an attacker can open many connections to us, not make us dial it), one of them for all own posts,
 * and whether it is a diffuser. Each inbound stem peer is mapped to one successor the first time it
 * sends, spreading inbound peers evenly over the successors (Dandelion++'s one-to-one pseudorandom
 * forwarding). Every held post has an exponential embargo timer; when it fires
 * before the post came back through gossip ({@link StemRouter.seen}), a relay fluffs the post itself
 * and an author first re-sends it through another successor (see `OWN_EMBARGO_MIN`).
 *
 * @example
 * ```ts
 * const router = new StemRouter({ send: (peer, topic, envelope) => write(peer, topic, envelope), fluff })
 * router.addPeer('peer-a', true)
 * router.addPeer('peer-b', true)
 * await router.originate('murmur/1/#lobby', envelope, id, expires) // leaves through one successor
 * ```
 */
export class StemRouter {
  private readonly components: StemRouterComponents
  private readonly clock: StemClock
  private readonly random: () => number
  private readonly log: Logger
  private readonly fluffProbability: number
  private readonly successorCount: number
  private readonly epochDuration: number
  private readonly epochJitter: number
  private readonly provisionalEpoch: number
  private readonly embargoMean: number
  private readonly ownEmbargoMin: number
  private readonly ownEmbargoMean: number
  private readonly ownResends: number
  private readonly maxHeld: number
  private readonly maxHeldPerPeer: number
  private readonly rememberDone: number
  private readonly noPeerDelayMin: number
  private readonly noPeerDelayMax: number

  /** Stem-capable peers, with whether we dialed them. */
  private readonly candidates = new Map<string, boolean>()
  private successors: string[] = []
  private ownSuccessor: string | undefined
  private readonly inbound = new Map<string, string>()
  private diffuser = false
  private epochEnd = -Infinity
  private readonly held = new Map<string, Held>()
  /** Ids that left the stem, with when; insertion order is time order. */
  private readonly done = new Map<string, number>()
  private stopped = false

  constructor (components: StemRouterComponents, init: StemRouterInit = {}) {
    this.components = components
    this.clock = components.clock ?? systemClock
    this.random = components.random ?? Math.random
    this.log = components.log ?? logger('murmur:stem')
    this.fluffProbability = init.fluffProbability ?? FLUFF_PROBABILITY
    this.successorCount = init.successors ?? STEM_SUCCESSORS
    this.epochDuration = init.epochDuration ?? EPOCH_DURATION
    this.epochJitter = init.epochJitter ?? EPOCH_JITTER
    this.provisionalEpoch = init.provisionalEpoch ?? PROVISIONAL_EPOCH
    this.embargoMean = init.embargoMean ?? EMBARGO_MEAN
    this.ownEmbargoMin = init.ownEmbargoMin ?? OWN_EMBARGO_MIN
    this.ownEmbargoMean = init.ownEmbargoMean ?? OWN_EMBARGO_MEAN
    this.ownResends = init.ownResends ?? OWN_RESENDS
    this.maxHeld = init.maxHeld ?? MAX_HELD_POSTS
    this.maxHeldPerPeer = init.maxHeldPerPeer ?? MAX_HELD_PER_PEER
    this.rememberDone = init.rememberDone ?? REMEMBER_DONE
    this.noPeerDelayMin = init.noPeerDelayMin ?? NO_PEER_DELAY_MIN
    this.noPeerDelayMax = init.noPeerDelayMax ?? NO_PEER_DELAY_MAX
    if (!(this.fluffProbability >= 0 && this.fluffProbability <= 1)) {
      throw new RangeError(`fluffProbability must be in [0, 1], got ${this.fluffProbability}`)
    }
    if (!Number.isInteger(this.successorCount) || this.successorCount < 1) {
      throw new RangeError(`successors must be a positive integer, got ${this.successorCount}`)
    }
  }

  /** The successors of the current epoch. */
  get currentSuccessors (): readonly string[] {
    return this.successors
  }

  /** The successor own posts leave through this epoch. */
  get ownRoute (): string | undefined {
    return this.ownSuccessor
  }

  /** Whether this node fluffs every relayed post this epoch. */
  get isDiffuser (): boolean {
    return this.diffuser
  }

  /** Number of posts held under embargo. */
  get heldCount (): number {
    return this.held.size
  }

  /** The successor posts from inbound peer `peer` go to this epoch, if it sent any yet. */
  routeOf (peer: string): string | undefined {
    return this.inbound.get(peer)
  }

  /** A stem-capable peer connected; `outbound` when we dialed it. */
  addPeer (peer: string, outbound: boolean): void {
    this.candidates.set(peer, outbound)
    if (this.tick() || this.successors.includes(peer) || this.successors.length >= this.successorCount) {
      return
    }
    this.successors.push(peer)
    this.ownSuccessor ??= peer
    this.epochEnd = Math.min(this.epochEnd, this.clock.now() + this.provisionalEpoch)
    this.emitEpoch()
  }

  /** A stem-capable peer disconnected (or cannot take stem streams): a successor it was is replaced. */
  removePeer (peer: string): void {
    this.candidates.delete(peer)
    this.inbound.delete(peer)
    const index = this.successors.indexOf(peer)
    if (index === -1) {
      return
    }
    const replacement = this.successorsFrom(this.unusedCandidates())[0]
    if (replacement === undefined) {
      this.successors.splice(index, 1)
      this.epochEnd = Math.min(this.epochEnd, this.clock.now() + this.provisionalEpoch)
    } else {
      this.successors[index] = replacement
    }
    for (const [from, to] of this.inbound) {
      if (to === peer) {
        this.inbound.delete(from)
      }
    }
    if (this.ownSuccessor === peer) {
      this.ownSuccessor = replacement ?? this.successors[Math.floor(this.random() * this.successors.length)]
    }
    this.emitEpoch()
  }

  /**
   * Sends an own post: through the epoch's own successor, never into gossip while one exists. With no
   * stem peer it waits a short random delay (taking a stem peer that connects meanwhile) and fluffs.
   */
  async originate (topic: string, envelope: Uint8Array, id: string, expires?: number): Promise<SendResult> {
    if (this.stopped) {
      throw new StemStoppedError()
    }
    this.tick()
    if (this.held.has(id) || this.done.has(id)) {
      return { status: 'sent', recipients: 0 }
    }
    const post: Held = { id, topic, envelope, own: true, expires, tried: new Set() }
    this.held.set(id, post)
    const to = this.nextHop(post)
    if (to !== undefined) {
      this.forward(post, to)
      return { status: 'sent', recipients: 1 }
    }
    const delay = this.noPeerDelayMin + this.random() * (this.noPeerDelayMax - this.noPeerDelayMin)
    return new Promise<SendResult>((resolve, reject) => {
      post.settle = { resolve, reject }
      post.timer = this.clock.setTimeout(() => { this.retryOwn(post) }, delay)
    })
  }

  /** A stem post from inbound peer `from` that passed full validation. */
  relay (from: string, topic: string, envelope: Uint8Array, id: string): void {
    if (this.stopped || this.done.has(id)) {
      return
    }
    this.tick()
    const known = this.held.get(id)
    if (known !== undefined) {
      if (known.own) {
        // an own post back along a cycle: the author must never end its stem (it would be the post's first
        // gossip hop). An untried successor takes it; else a successor that already had it, which sees the
        // loop and ends the stem itself
        const next = this.nextHop(known, from) ?? this.successors[Math.floor(this.random() * this.successors.length)]
        if (next !== undefined) this.forward(known, next)
        return
      }
      // it came back along a cycle: try a successor it has not been through yet, else end the stem
      const next = this.nextHop(known, from)
      if (next === undefined) {
        this.fluffHeld(known, 'loop')
      } else {
        this.forward(known, next)
      }
      return
    }
    const post: Held = { id, topic, envelope, own: false, from, tried: new Set() }
    if (this.held.size >= this.maxHeld || this.heldFrom(from) >= this.maxHeldPerPeer) {
      this.fluffHeld(post, 'full')
      return
    }
    if (this.diffuser && (this.components.canFluff?.(topic) ?? true)) {
      this.fluffHeld(post, 'diffuser')
      return
    }
    this.held.set(id, post)
    const to = this.nextHop(post)
    if (to === undefined) {
      this.fluffHeld(post, 'no-route')
    } else {
      this.forward(post, to)
    }
  }

  /** The post arrived through gossip: it left the stem, so its embargo ends. */
  seen (id: string): void {
    const post = this.held.get(id)
    if (post !== undefined) {
      this.clock.clearTimeout(post.timer)
      this.held.delete(id)
      post.settle?.resolve({ status: 'sent', recipients: 0 })
    }
    this.remember(id)
  }

  /** Whether the post is held or already left the stem (a stem copy of it needs no validation). */
  knows (id: string): boolean {
    return this.held.has(id) || this.done.has(id)
  }

  /** Writing post `id` to `peer` failed: the peer stops being a successor and the post takes another route. */
  sendFailed (peer: string, id: string): void {
    this.removePeer(peer)
    const post = this.held.get(id)
    if (post === undefined || this.stopped) {
      return
    }
    const next = this.nextHop(post)
    if (next === undefined) {
      this.fluffHeld(post, post.own ? 'no-stem-peer' : 'no-route')
    } else {
      this.forward(post, next)
    }
  }

  /** Clears every timer; own posts still waiting for a stem peer are rejected with StemStoppedError. */
  stop (): void {
    this.stopped = true
    for (const post of this.held.values()) {
      this.clock.clearTimeout(post.timer)
      post.settle?.reject(new StemStoppedError())
    }
    this.held.clear()
    this.done.clear()
  }

  /** Number of held posts that came from inbound peer `from`. */
  private heldFrom (from: string): number {
    let count = 0
    for (const post of this.held.values()) {
      if (post.from === from) count++
    }
    return count
  }

  /** Starts a new epoch when the current one is over; true when it did. */
  private tick (): boolean {
    if (this.clock.now() < this.epochEnd) {
      return false
    }
    this.successors = this.successorsFrom([...this.candidates.keys()]).slice(0, this.successorCount)
    this.ownSuccessor = this.successors[Math.floor(this.random() * this.successors.length)]
    this.diffuser = this.random() < this.fluffProbability
    this.inbound.clear()
    const now = this.clock.now()
    this.epochEnd = now + this.epochDuration + this.random() * this.epochJitter
    if (this.successors.length < this.successorCount) {
      this.epochEnd = Math.min(this.epochEnd, now + this.provisionalEpoch)
    }
    this.emitEpoch()
    return true
  }

  /** Candidates we dialed first, each group in random order. */
  private successorsFrom (peers: string[]): string[] {
    const dialed = peers.filter((peer) => this.candidates.get(peer) === true)
    const dialing = peers.filter((peer) => this.candidates.get(peer) !== true)
    return [...this.shuffle(dialed), ...this.shuffle(dialing)]
  }

  private unusedCandidates (): string[] {
    return [...this.candidates.keys()].filter((peer) => !this.successors.includes(peer))
  }

  private shuffle (items: string[]): string[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      const item = items[i]!
      items[i] = items[j]!
      items[j] = item
    }
    return items
  }

  /**
   * Where a post goes next: the own successor, or the successor its inbound edge is mapped to; if the
   * post already went there (a cycle, a failed write), another successor it has not tried.
   */
  private nextHop (post: Held, arrivedFrom = post.from): string | undefined {
    const preferred = post.own ? this.ownSuccessor : this.routeFor(post.from)
    if (preferred !== undefined && !post.tried.has(preferred) && preferred !== arrivedFrom) {
      return preferred
    }
    return this.successors.find((peer) => !post.tried.has(peer) && peer !== post.from && peer !== arrivedFrom)
  }

  /**
   * The successor of inbound peer `from`, mapped on first use; never `from` itself while another exists.
   * The map is one-to-one, as in Dandelion++: a new inbound peer takes a successor that the fewest
   * inbound peers map to this epoch (ties at random), so with two inbound and two outbound stem peers
   * each successor carries exactly one inbound edge. Mapping inbound peers independently at random
   * sends both to the same successor half the time; the other then carries nothing but the node's
   * own posts (when they go there), and a spy there names the author (first-spy precision 0.051 instead of 0.036 at p = 0.1 in the paper's model).
   */
  private routeFor (from: string | undefined): string | undefined {
    if (from === undefined) {
      return undefined
    }
    const mapped = this.inbound.get(from)
    if (mapped !== undefined && this.successors.includes(mapped)) {
      return mapped
    }
    const load = new Map<string, number>()
    for (const to of this.inbound.values()) {
      load.set(to, (load.get(to) ?? 0) + 1)
    }
    const options = this.successors.filter((peer) => peer !== from)
    const least = Math.min(...options.map((peer) => load.get(peer) ?? 0))
    const emptiest = options.filter((peer) => (load.get(peer) ?? 0) === least)
    const chosen = emptiest[Math.floor(this.random() * emptiest.length)]
    if (chosen !== undefined) {
      this.inbound.set(from, chosen)
    }
    return chosen
  }

  private forward (post: Held, to: string): void {
    post.tried.add(to)
    if (post.timer === undefined || post.settle !== undefined) {
      this.clock.clearTimeout(post.timer)
      post.settle?.resolve({ status: 'sent', recipients: 1 })
      post.settle = undefined
      const delay = post.own
        ? this.ownEmbargoMin + exponential(this.ownEmbargoMean, this.random)
        : exponential(this.embargoMean, this.random)
      post.timer = this.clock.setTimeout(() => { this.embargoFired(post) }, delay)
    }
    this.components.onEvent?.({ type: 'forward', id: post.id, to, own: post.own })
    this.components.send(to, post.topic, post.envelope, post.id)
  }

  private retryOwn (post: Held): void {
    if (this.held.get(post.id) !== post) {
      return
    }
    this.tick()
    const to = this.nextHop(post)
    if (to === undefined) {
      this.fluffHeld(post, 'no-stem-peer')
    } else {
      this.forward(post, to)
    }
  }

  private embargoFired (post: Held): void {
    if (this.held.get(post.id) !== post) {
      return
    }
    post.timer = undefined
    // the author re-stems (an untried successor first, else any: one that knows the post ends its stem)
    // rather than expose itself as the first gossip hop, up to OWN_RESENDS times
    let next: string | undefined
    if (post.own && (post.resends ?? 0) < this.ownResends) {
      post.resends = (post.resends ?? 0) + 1
      next = this.nextHop(post) ?? this.successors[Math.floor(this.random() * this.successors.length)]
    }
    if (next === undefined) {
      this.fluffHeld(post, 'embargo')
    } else {
      this.forward(post, next)
    }
  }

  private fluffHeld (post: Held, reason: FluffReason): void {
    this.clock.clearTimeout(post.timer)
    this.held.delete(post.id)
    this.remember(post.id)
    this.components.onEvent?.({ type: 'fluff', id: post.id, topic: post.topic, reason, own: post.own })
    if (post.own) {
      // no post id here: this log would tie the node to the post
      this.log('an own post went out without origin hiding (%s)', reason)
    } else {
      this.log.trace('fluffing a relayed post (%s)', reason)
    }
    const published = this.components.fluff(post.topic, post.envelope, post.expires)
    if (post.settle !== undefined) {
      published.then(post.settle.resolve, post.settle.reject)
    } else {
      published.catch((err: unknown) => { this.log.error('fluff failed (%s) - %e', reason, err) })
    }
  }

  private remember (id: string): void {
    const now = this.clock.now()
    this.done.delete(id)
    this.done.set(id, now)
    for (const [old, at] of this.done) {
      if (this.done.size <= MAX_REMEMBERED && now - at < this.rememberDone) {
        break
      }
      this.done.delete(old)
    }
  }

  private emitEpoch (): void {
    this.components.onEvent?.({ type: 'epoch', successors: [...this.successors], diffuser: this.diffuser })
    this.log('stem successors: %d, diffuser: %s', this.successors.length, this.diffuser)
  }
}
