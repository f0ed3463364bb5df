/**
 * The Dandelion++ stem as a state machine. It owns routing decisions only: clock, randomness, sending
 * to a peer and fluffing into gossip are injected, so the node and the anonymity simulation run this
 * exact code. Inputs are already validated; peers are plain strings. Where a post goes is the epoch's
 * routing table (`routes.ts`); this module holds posts, their embargo timers and how they leave the stem.
 */
import { logger } from '@libp2p/logger'
import { systemClock } from './clock.js'
import {
  EPOCH_DURATION, EPOCH_JITTER, FLUFF_PROBABILITY, MAX_HELD_PER_PEER, MAX_HELD_POSTS, MAX_REMEMBERED, NO_PEER_DELAY_MAX,
  NO_PEER_DELAY_MIN, OWN_EMBARGO_MEAN, OWN_EMBARGO_MIN, OWN_RESENDS, PROVISIONAL_EPOCH, REMEMBER_DONE, STEM_SUCCESSORS
} from './constants.js'
import { EMBARGO_MEAN, exponential } from './embargo.js'
import { StemStoppedError } from './errors.js'
import { StemRoutes } from './routes.js'
import type { StemClock } from './clock.js'
import type { FluffReason, StemRouterComponents, StemRouterInit } from './types.js'
import type { SendResult } from '../outbound.js'
import type { Logger } from '@libp2p/interface'

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
  /** The successor the post was last sent to. */
  via?: string
  /** Own posts: that successor went away while no other stem peer was there to take the post. */
  stranded?: boolean
  timer?: unknown
  /** Settles the pending `originate` of an own post waiting for a stem peer. */
  settle?: { resolve(result: SendResult): void, reject(err: Error): void }
}

/**
 * Dandelion++ routing for one node.
 *
 * Per epoch it picks `successors` stem successors among stem-capable peers (peers we dialed first:
 * an attacker can open many connections to us, not make us dial it), one of them (a dialed one when
 * there is one) for all own posts, and whether it is a diffuser. Each inbound stem peer is mapped to one
 * successor the first time it sends, spreading inbound peers evenly over the successors (Dandelion++'s
 * one-to-one pseudorandom forwarding; see `StemRoutes`). Every held post has an exponential embargo timer; when it fires
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
  private readonly routes: StemRoutes
  private readonly embargoMean: number
  private readonly ownEmbargoMin: number
  private readonly ownEmbargoMean: number
  private readonly ownResends: number
  private readonly maxHeld: number
  private readonly maxHeldPerPeer: number
  private readonly rememberDone: number
  private readonly noPeerDelayMin: number
  private readonly noPeerDelayMax: number

  private readonly held = new Map<string, Held>()
  /** Held relayed posts per inbound peer, kept with `held` by `hold` and `release`. */
  private readonly heldPerPeer = new Map<string, number>()
  /** Ids that left the stem, with when; insertion order is time order. */
  private readonly done = new Map<string, number>()
  private stopped = false

  constructor (components: StemRouterComponents, init: StemRouterInit = {}) {
    this.components = components
    this.clock = components.clock ?? systemClock
    this.random = components.random ?? Math.random
    this.log = components.log ?? logger('murmur:stem')
    const fluffProbability = init.fluffProbability ?? FLUFF_PROBABILITY
    const successors = init.successors ?? STEM_SUCCESSORS
    this.embargoMean = init.embargoMean ?? EMBARGO_MEAN
    this.ownEmbargoMin = init.ownEmbargoMin ?? OWN_EMBARGO_MIN
    this.ownEmbargoMean = init.ownEmbargoMean ?? OWN_EMBARGO_MEAN
    this.ownResends = init.ownResends ?? OWN_RESENDS
    this.maxHeld = init.maxHeld ?? MAX_HELD_POSTS
    this.maxHeldPerPeer = init.maxHeldPerPeer ?? MAX_HELD_PER_PEER
    this.rememberDone = init.rememberDone ?? REMEMBER_DONE
    this.noPeerDelayMin = init.noPeerDelayMin ?? NO_PEER_DELAY_MIN
    this.noPeerDelayMax = init.noPeerDelayMax ?? NO_PEER_DELAY_MAX
    if (!(fluffProbability >= 0 && fluffProbability <= 1)) {
      throw new RangeError(`fluffProbability must be in [0, 1], got ${fluffProbability}`)
    }
    if (!Number.isInteger(successors) || successors < 1) {
      throw new RangeError(`successors must be a positive integer, got ${successors}`)
    }
    this.routes = new StemRoutes({
      clock: this.clock,
      random: this.random,
      onChange: (current, diffuser) => {
        this.components.onEvent?.({ type: 'epoch', successors: [...current], diffuser })
        this.log('stem successors: %d, diffuser: %s', current.length, diffuser)
      }
    }, {
      fluffProbability,
      successors,
      epochDuration: init.epochDuration ?? EPOCH_DURATION,
      epochJitter: init.epochJitter ?? EPOCH_JITTER,
      provisionalEpoch: init.provisionalEpoch ?? PROVISIONAL_EPOCH
    })
  }

  /** The successors of the current epoch. */
  get currentSuccessors (): readonly string[] {
    return this.routes.successors
  }

  /** The successor own posts leave through this epoch. */
  get ownRoute (): string | undefined {
    return this.routes.ownRoute
  }

  /** Whether this node fluffs every relayed post this epoch. */
  get isDiffuser (): boolean {
    return this.routes.isDiffuser
  }

  /** Number of posts held under embargo. */
  get heldCount (): number {
    return this.held.size
  }

  /** The successor posts from inbound peer `peer` go to this epoch, if it sent any yet. */
  routeOf (peer: string): string | undefined {
    return this.routes.routeOf(peer)
  }

  /** A stem-capable peer connected; `outbound` when we dialed it (see `StemRoutes`). */
  addPeer (peer: string, outbound: boolean): void {
    this.routes.addPeer(peer, outbound)
    for (const post of this.held.values()) {
      if (post.stranded === true) this.resendOwn(post)
    }
  }

  /**
   * A stem-capable peer disconnected (or cannot take stem streams): a successor it was is replaced. An
   * own post last sent to it may have gone down with it, so it goes on at once, or as soon as a stem
   * peer connects, rather than when its re-send timer fires.
   */
  removePeer (peer: string): void {
    this.routes.removePeer(peer)
    for (const post of this.held.values()) {
      if (post.own && post.via === peer) this.resendOwn(post)
    }
  }

  /**
   * Sends an own post: through the epoch's own successor, never into gossip while one exists. With no
   * stem peer it waits a short random delay (taking a stem peer that connects meanwhile) and fluffs.
   */
  async originate (topic: string, envelope: Uint8Array, id: string, expires?: number): Promise<SendResult> {
    if (this.stopped) {
      throw new StemStoppedError()
    }
    this.routes.tick()
    if (this.held.has(id) || this.done.has(id)) {
      return { status: 'sent', recipients: 0 }
    }
    const post: Held = { id, topic, envelope, own: true, expires, tried: new Set() }
    this.hold(post)
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
    this.routes.tick()
    const known = this.held.get(id)
    if (known !== undefined) {
      if (known.own) {
        // an own post back along a cycle: the author must never end its stem (it would be the post's first
        // gossip hop). An untried successor takes it; else a successor that already had it, which sees the
        // loop and ends the stem itself
        const next = this.nextHop(known, from) ?? this.routes.anyOwnSuccessor()
        if (next !== undefined) this.forward(known, next)
        return
      }
      // it came back along a cycle: try a successor it has not been through yet, else end the stem
      this.moveOn(known, this.nextHop(known, from), 'loop')
      return
    }
    const post: Held = { id, topic, envelope, own: false, from, tried: new Set() }
    if (this.held.size >= this.maxHeld || (this.heldPerPeer.get(from) ?? 0) >= this.maxHeldPerPeer) {
      this.fluffHeld(post, 'full')
      return
    }
    if (this.routes.isDiffuser && (this.components.canFluff?.(topic) ?? true)) {
      this.fluffHeld(post, 'diffuser')
      return
    }
    this.hold(post)
    this.moveOn(post, this.nextHop(post), 'no-route')
  }

  /** The post arrived through gossip: it left the stem, so its embargo ends. */
  seen (id: string): void {
    const post = this.release(id)
    if (post !== undefined) {
      this.clock.clearTimeout(post.timer)
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
    // an own post was taken care of by removePeer
    if (post === undefined || post.own || this.stopped) {
      return
    }
    this.moveOn(post, this.nextHop(post), 'no-route')
  }

  /** Clears every timer; own posts still waiting for a stem peer are rejected with StemStoppedError. */
  stop (): void {
    this.stopped = true
    for (const post of this.held.values()) {
      this.clock.clearTimeout(post.timer)
      post.settle?.reject(new StemStoppedError())
    }
    this.held.clear()
    this.heldPerPeer.clear()
    this.done.clear()
  }

  private hold (post: Held): void {
    this.held.set(post.id, post)
    if (post.from !== undefined) {
      this.heldPerPeer.set(post.from, (this.heldPerPeer.get(post.from) ?? 0) + 1)
    }
  }

  /** Stops holding post `id`; the post that was held, if any. */
  private release (id: string): Held | undefined {
    const post = this.held.get(id)
    if (post === undefined) {
      return undefined
    }
    this.held.delete(id)
    if (post.from !== undefined) {
      const left = (this.heldPerPeer.get(post.from) ?? 1) - 1
      if (left === 0) this.heldPerPeer.delete(post.from)
      else this.heldPerPeer.set(post.from, left)
    }
    return post
  }

  /**
   * Where a post goes next: the own successor, or the successor its inbound edge is mapped to; if the
   * post already went there (a cycle, a failed write), another successor it has not tried. An own post
   * only goes to successors we dialed while there are any (see `lastResort`).
   */
  private nextHop (post: Held, arrivedFrom = post.from): string | undefined {
    const fresh = (peer: string): boolean => !post.tried.has(peer) && peer !== arrivedFrom
    if (post.own) {
      const own = this.routes.ownRoute
      return own !== undefined && fresh(own) ? own : this.routes.ownSuccessors.find(fresh)
    }
    const preferred = post.from === undefined ? undefined : this.routes.routeFor(post.from)
    return preferred !== undefined && fresh(preferred) ? preferred : this.untried(post, arrivedFrom)
  }

  /** A successor the post has not been through, other than where it came from. */
  private untried (post: Held, arrivedFrom = post.from): string | undefined {
    return this.routes.successors.find((peer) => !post.tried.has(peer) && peer !== post.from && peer !== arrivedFrom)
  }

  /**
   * Where an own post goes when no successor we dialed is left to try: a successor that dialed us (it
   * may be an observer that dials every node, but it learns less than all of gossip would if the author
   * published the post itself), else nowhere.
   */
  private lastResort (post: Held): string | undefined {
    return post.own ? this.untried(post) : undefined
  }

  /** Sends the post on to `next`, or, with nowhere left to go, out of the stem for `reason`. */
  private moveOn (post: Held, next: string | undefined, reason: FluffReason): void {
    if (next === undefined) {
      this.fluffHeld(post, reason)
    } else {
      this.forward(post, next)
    }
  }

  /** Sends an own post on again, like a re-send; with no successor at all it waits for one (`stranded`). */
  private resendOwn (post: Held): void {
    const next = this.nextHop(post) ?? this.routes.anyOwnSuccessor()
    post.stranded = next === undefined
    if (next !== undefined) this.forward(post, next)
  }

  private forward (post: Held, to: string): void {
    post.tried.add(to)
    post.via = to
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
    this.routes.tick()
    this.moveOn(post, this.nextHop(post) ?? this.lastResort(post), 'no-stem-peer')
  }

  private embargoFired (post: Held): void {
    if (this.held.get(post.id) !== post) {
      return
    }
    post.timer = undefined
    // the author re-stems (an untried successor first, else any: one that knows the post ends its stem)
    // rather than expose itself as the first gossip hop, up to OWN_RESENDS times through successors we
    // dialed, then once through one that dialed us
    let next: string | undefined
    if (post.own && (post.resends ?? 0) < this.ownResends) {
      post.resends = (post.resends ?? 0) + 1
      next = this.nextHop(post) ?? this.routes.anyOwnSuccessor()
    } else {
      next = this.lastResort(post)
    }
    this.moveOn(post, next, 'embargo')
  }

  private fluffHeld (post: Held, reason: FluffReason): void {
    this.clock.clearTimeout(post.timer)
    this.release(post.id)
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
}
