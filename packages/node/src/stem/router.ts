/**
 * The Dandelion++ stem as a state machine. It owns routing decisions only: clock, randomness, sending
 * to a peer and fluffing into gossip are injected, so the node and the anonymity simulation run this
 * exact code. Inputs are already validated; peers are plain strings. Where a post goes is the epoch's
 * routing table (`routes.ts`); this module holds posts, their embargo timers and how they leave the stem.
 */
import { logger } from '@libp2p/logger'
import { systemClock } from './clock.js'
import {
  EMBARGO_MEAN, EMBARGO_MIN, EPOCH_DURATION, EPOCH_JITTER, FLUFF_PROBABILITY, HAND_OFF, LOOP_LIMIT, MAX_HELD_POSTS, MAX_REMEMBERED, MAX_STEM_HOLD, NO_PEER_DELAY_MAX,
  NO_PEER_DELAY_MIN, PROVISIONAL_EPOCH, REMEMBER_DONE, STEM_SUCCESSORS
} from './constants.js'
import { exponential } from './embargo.js'
import { StemStoppedError } from './errors.js'
import { HeldPosts } from './held.js'
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
  /** The sender group a relayed post is charged to in the table of held posts (see `HeldPosts`). */
  group?: string
  /**
   * The peer the post never goes to: where a relayed post came from; for an own post, a stem peer drawn
   * at random when it is sent, so that it has as many peers left to try as a relayed post has.
   */
  avoid?: string
  expires?: number
  /** When it entered the stem here (clock ms): past `maxHold` an embargo publishes it rather than hand it on. */
  since: number
  /** Successors this post was sent to (and may still hold it). */
  tried: Set<string>
  /** Times the post was sent on. */
  hops: number
  /** Times a copy came back to this node while it held the post (along a cycle, or sent back). */
  returns: number
  /** The successor the post was last sent to. */
  via?: string
  /** That successor went away while no other was there to take the post. */
  stranded?: boolean
  timer?: unknown
  /** Settles the pending `originate` of an own post waiting for a stem peer. */
  settle?: { resolve(result: SendResult): void, reject(err: Error): void }
  /** An own post sent by an earlier run (see `StemRouter.resume`), not routed since: `avoid` is drawn when it is. */
  resumed?: boolean
  /**
   * Its stem ended here: the stem peers it was handed to, marked to publish it (the last is `via`). Held
   * until seen in gossip; when the embargo timer fires first or that peer goes away, it is handed to
   * another, and published here when none is left.
   */
  handedTo?: Set<string>
}

/**
 * Dandelion++ routing for one node.
 *
 * Per epoch it picks `successors` stem successors among stem-capable peers (peers we dialed first:
 * an attacker can open many connections to us, not make us dial it), one of them (a dialed one when
 * there is one) for all own posts, and whether it is a diffuser. Each inbound stem peer is mapped to one
 * successor the first time it sends, spreading inbound peers evenly over the successors (Dandelion++'s
 * one-to-one pseudorandom forwarding; see `StemRoutes`).
 *
 * Once a post is in the stem, this node treats it the same whether it is its own or relayed: a copy that
 * comes back (a cycle, or a successor bouncing it) goes to a stem peer it has not been through, at most
 * `loopLimit` times (`LOOP_LIMIT`); the next copy back, or one with no such peer left, ends its stem
 * (a post that keeps coming back is walking a part of the stem graph with no diffuser ahead, and would
 * otherwise visit every node before it ends): it is handed, marked "publish", to another stem peer, which
 * publishes it (`HAND_OFF`: the node where a loop closes is most often the post's author); the embargo timer (`EMBARGO_MIN` + Exp(`EMBARGO_MEAN`), the
 * same draw for both) sends it through an untried successor, and publishes it when none is left. Only the
 * first hop differs (own posts take the epoch's own route; a diffuser fluffs relayed posts at once),
 * which is the Dandelion++ model the simulation measures. So nothing a successor can provoke — bouncing
 * a post back any number of times, swallowing it, disconnecting — answers "is this V's own post".
 *
 * @example
 * ```ts
 * const router = new StemRouter({ send: (peer, topic, envelope) => write(peer, topic, envelope), fluff })
 * router.addPeer('peer-a', true)
 * router.addPeer('peer-b', true)
 * await router.originate('murmur/2/#lobby', envelope, id, expires) // leaves through one successor
 * ```
 */
export class StemRouter {
  private readonly components: StemRouterComponents
  private readonly clock: StemClock
  private readonly random: () => number
  private readonly log: Logger
  private readonly routes: StemRoutes
  private readonly embargoMin: number
  private readonly embargoMean: number
  private readonly maxHold: number
  private readonly rememberDone: number
  private readonly loopLimit: number
  private readonly noPeerDelayMin: number
  private readonly noPeerDelayMax: number
  private readonly handOff: boolean

  private readonly held: HeldPosts<Held>
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
    this.embargoMin = init.embargoMin ?? EMBARGO_MIN
    this.embargoMean = init.embargoMean ?? EMBARGO_MEAN
    this.maxHold = init.maxHold ?? MAX_STEM_HOLD
    const maxHeld = init.maxHeld ?? MAX_HELD_POSTS
    this.rememberDone = init.rememberDone ?? REMEMBER_DONE
    this.loopLimit = init.loopLimit ?? LOOP_LIMIT
    this.noPeerDelayMin = init.noPeerDelayMin ?? NO_PEER_DELAY_MIN
    this.noPeerDelayMax = init.noPeerDelayMax ?? NO_PEER_DELAY_MAX
    this.handOff = init.handOff ?? HAND_OFF
    if (!(fluffProbability >= 0 && fluffProbability <= 1)) {
      throw new RangeError(`fluffProbability must be in [0, 1], got ${fluffProbability}`)
    }
    if (!Number.isInteger(successors) || successors < 1) {
      throw new RangeError(`successors must be a positive integer, got ${successors}`)
    }
    if (!(this.embargoMin >= 0) || !(this.embargoMean >= 0)) {
      throw new RangeError(`embargoMin and embargoMean must be >= 0, got ${this.embargoMin}, ${this.embargoMean}`)
    }
    if (!(this.maxHold >= 0)) {
      throw new RangeError(`maxHold must be >= 0, got ${this.maxHold}`)
    }
    if (!(this.loopLimit >= 0) || !(Number.isInteger(this.loopLimit) || this.loopLimit === Infinity)) {
      throw new RangeError(`loopLimit must be a non-negative integer or Infinity, got ${this.loopLimit}`)
    }
    if (!Number.isInteger(maxHeld) || maxHeld < 1) {
      throw new RangeError(`maxHeld must be a positive integer, got ${maxHeld}`)
    }
    this.held = new HeldPosts(maxHeld)
    this.routes = new StemRoutes({
      clock: this.clock,
      random: this.random,
      dialed: components.dialed,
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

  /** A stem-capable peer connected; `outbound` when we dialed it; `group` its address group (see `StemRoutes`). A post stranded for want of a successor goes on. */
  addPeer (peer: string, outbound: boolean, group?: string): void {
    this.routes.addPeer(peer, outbound, group)
    for (const post of this.held.values()) {
      if (post.stranded === true) this.sendOn(post)
    }
  }

  /**
   * A stem-capable peer disconnected (or cannot take stem streams): a successor it was is replaced. A post
   * last sent to it may have gone down with it, so it goes on at once through an untried successor (the
   * peer may have it again if it comes back), or as soon as a stem peer connects; own and relayed alike.
   */
  removePeer (peer: string): void {
    this.routes.removePeer(peer)
    for (const post of this.held.values()) {
      if (post.via !== peer) continue
      post.tried.delete(peer)
      post.via = undefined
      this.sendOn(post)
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
    const post: Held = { id, topic, envelope, own: true, expires, tried: new Set(), hops: 0, returns: 0, since: this.clock.now() }
    post.avoid = this.routes.anyPeerBut(this.routes.ownRoute)
    this.held.add(post)
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

  /**
   * Holds an own post an earlier run of this node sent into the stem and that has not come back since:
   * held as it was before the restart (sent once, not sent again now), with a fresh embargo timer and a
   * fresh set of tried peers. A copy that comes back takes the loop path, as a held relayed post would,
   * and the timer gets the post out even if the successor that had it swallowed it.
   */
  resume (topic: string, envelope: Uint8Array, id: string, expires: number): void {
    if (this.stopped || this.held.has(id) || this.done.has(id)) {
      return
    }
    const post: Held = { id, topic, envelope, own: true, expires, tried: new Set(), hops: 1, returns: 0, resumed: true, since: this.clock.now() }
    post.timer = this.clock.setTimeout(() => { this.embargoFired(post) }, this.embargoDelay())
    this.held.add(post)
  }

  /**
   * A stem post from inbound peer `from` that passed full validation (or is byte for byte a held one).
   * `group` is the address group of that peer, which a full table charges the post to (PeerIds are
   * free: sybils of one address make room among their own posts); by default the peer itself. `publish`:
   * the sender ended the post's stem and handed it here to publish (see `StemRouterInit.handOff`), which
   * this node does at once, own or relayed, held or not (unless nobody here subscribes to its topic: then
   * it is routed as any stem post).
   */
  relay (from: string, topic: string, envelope: Uint8Array, id: string, group: string = from, publish = false): void {
    if (this.stopped || this.done.has(id)) {
      return
    }
    this.routes.tick()
    const known = this.held.get(id)
    const canFluff = this.components.canFluff?.(topic) ?? true
    if (publish && canFluff) {
      this.fluffHeld(known ?? { id, topic, envelope, own: false, from, group, tried: new Set(), hops: 0, returns: 0, since: this.clock.now() }, 'handoff')
      return
    }
    if (known !== undefined) {
      // back along a cycle, or bounced: the same rule for own and relayed posts, so that a successor
      // bouncing a post learns nothing about who wrote it
      if (known.handedTo !== undefined) return
      known.returns++
      const next = known.returns > this.loopLimit ? undefined : this.nextHop(known, from)
      if (next !== undefined) this.forward(known, next)
      else this.endStem(known, from, 'loop')
      return
    }
    const post: Held = { id, topic, envelope, own: false, from, group, avoid: from, tried: new Set(), hops: 0, returns: 0, since: this.clock.now() }
    if (this.routes.isDiffuser && canFluff) {
      this.fluffHeld(post, 'diffuser')
      return
    }
    const evicted = this.held.makeRoom()
    if (evicted !== undefined) {
      // forgotten here, not published: its stem goes on past us without our timer or loop memory
      this.clock.clearTimeout(evicted.timer)
      this.log.trace('stem table full: forgot the oldest post of the sender group holding the most')
    }
    this.held.add(post)
    this.moveOn(post, this.nextHop(post), 'no-route')
  }

  /** The post arrived through gossip: it left the stem, so its embargo ends. */
  seen (id: string): void {
    const post = this.held.remove(id)
    if (post !== undefined) {
      this.clock.clearTimeout(post.timer)
      post.settle?.resolve({ status: 'sent', recipients: 0 })
    }
    this.remember(id)
  }

  /** The envelope held for post `id`, if it is in the stem here (a copy with the same bytes needs no validation). */
  heldCopy (id: string): Uint8Array | undefined {
    return this.held.get(id)?.envelope
  }

  /** Whether post `id` already left the stem (a stem copy of it is dropped unread). */
  hasLeft (id: string): boolean {
    return this.done.has(id)
  }

  /** Writing a post to `peer` failed: the peer stops being a successor and what was sent to it takes another route. */
  sendFailed (peer: string): void {
    if (!this.stopped) this.removePeer(peer)
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

  /**
   * Where a post goes next: never to the peer it avoids (see `Held.avoid`) nor back to the one it just
   * came from. The first hop is the epoch's own route (own posts) or the successor the inbound edge is
   * mapped to (relayed posts), else another successor. Every later hop — after a loop, a bounce, a timer
   * or a lost successor — is a stem peer the post has not been sent to here, drawn as successors are
   * (`StemRoutes.draw`: dialed peers first, by address group): an own post and a relayed one have as many
   * peers left to try, in no order that depends on which peer the post avoids, so how many bounces make a
   * node publish a post, and when a successor gets it again, do not say whether the node wrote it. As loops go on to every stem peer, not only the two successors, a
   * post rarely comes back to a node with no peer left to hand it to.
   */
  private nextHop (post: Held, arrivedFrom?: string): string | undefined {
    if (post.resumed === true) {
      // routed for the first time since the restart: the peer sending it back had it (as the successor a
      // held post was sent to would), and it avoids one other peer, as a relayed post avoids its sender
      post.resumed = false
      if (arrivedFrom !== undefined) post.tried.add(arrivedFrom)
      post.avoid = this.routes.anyPeerBut(arrivedFrom)
    }
    const fresh = (peer: string): boolean => !post.tried.has(peer) && peer !== arrivedFrom && peer !== post.avoid
    if (post.hops === 0) {
      const first = post.own ? this.routes.ownRoute : this.routes.routeFor(post.from!)
      if (first !== undefined && fresh(first)) return first
      return (post.own ? this.routes.ownSuccessors.find(fresh) : undefined) ?? this.routes.successors.find(fresh)
    }
    return this.routes.draw(fresh)
  }

  /**
   * The stem of a post that came back once too often ends (see `StemRouterInit.handOff`): it is handed,
   * marked "publish", to a stem peer drawn as successors are (`StemRoutes.draw`), other than the one it just came from (`arrivedFrom`),
   * the one it avoids and any it was handed to before; with no such peer, or `handOff` off, it is published
   * here. The node a loop closes at is most often the author, the more so the smaller the channel: a
   * peer publishing in its place hides that from everyone but the peer it picks.
   */
  private endStem (post: Held, arrivedFrom: string | undefined, reason: FluffReason): void {
    const handedTo = post.handedTo ?? new Set()
    const to = this.handOff ? this.routes.draw((peer) => peer !== arrivedFrom && peer !== post.avoid && !handedTo.has(peer)) : undefined
    if (to === undefined) {
      this.fluffHeld(post, reason)
      return
    }
    handedTo.add(to)
    post.handedTo = handedTo
    this.forward(post, to, true)
  }

  /** Sends the post on to `next`, or, with nowhere left to go, out of the stem for `reason`. */
  private moveOn (post: Held, next: string | undefined, reason: FluffReason): void {
    if (next === undefined) {
      this.fluffHeld(post, reason)
    } else {
      this.forward(post, next)
    }
  }

  /** Sends a post whose successor went away on; with no successor to take it, it waits for one (`stranded`). */
  private sendOn (post: Held): void {
    if (post.settle !== undefined) {
      // an own post still waiting for its first stem peer: its retry timer takes care of it
      return
    }
    if (post.handedTo !== undefined) {
      this.endStem(post, undefined, 'loop')
      return
    }
    const next = this.nextHop(post)
    post.stranded = next === undefined
    if (next !== undefined) this.forward(post, next)
  }

  private forward (post: Held, to: string, publish = false): void {
    if (this.components.passable?.(post.topic, post.envelope) === false) {
      // time overtook it while held here: the next hop would refuse it and charge this node
      this.fluffHeld(post, 'embargo')
      return
    }
    post.tried.add(to)
    post.via = to
    post.hops++
    post.stranded = false
    if (post.timer === undefined || post.settle !== undefined) {
      this.clock.clearTimeout(post.timer)
      post.settle?.resolve({ status: 'sent', recipients: 1 })
      post.settle = undefined
      post.timer = this.clock.setTimeout(() => { this.embargoFired(post) }, this.embargoDelay())
    }
    this.components.onEvent?.({ type: 'forward', id: post.id, to, own: post.own, publish })
    this.components.send(to, post.topic, post.envelope, post.id, publish)
  }

  private retryOwn (post: Held): void {
    if (this.held.get(post.id) !== post) {
      return
    }
    this.routes.tick()
    post.avoid ??= this.routes.anyPeerBut(this.routes.ownRoute)
    this.moveOn(post, this.nextHop(post), 'no-stem-peer')
  }

  /** A fresh embargo timer, in ms: the same draw for own and relayed posts. */
  private embargoDelay (): number {
    return this.embargoMin + exponential(this.embargoMean, this.random)
  }

  private embargoFired (post: Held): void {
    if (this.held.get(post.id) !== post) {
      return
    }
    post.timer = undefined
    if (this.clock.now() - post.since >= this.maxHold) {
      // held here long enough: the next untried peer would add another embargo, and another (one per stem peer)
      this.fluffHeld(post, 'embargo')
      return
    }
    if (post.handedTo !== undefined) {
      // the peer it was handed to did not publish it in time: another one, else here
      this.endStem(post, post.via, 'embargo')
      return
    }
    // not back through gossip in time: another successor, else out of the stem here (own posts too)
    this.moveOn(post, this.nextHop(post), 'embargo')
  }

  private fluffHeld (post: Held, reason: FluffReason): void {
    this.clock.clearTimeout(post.timer)
    this.held.remove(post.id)
    this.remember(post.id)
    // an own post time overtook while held here: `fluff` gives it up and publishes nothing, so its author
    // hears it dropped, not exposed (an own post still waiting in `originate` hears it from the rejection);
    // asked of a relayed post too, so that both kinds take the same work to their publish
    const passable = this.components.passable?.(post.topic, post.envelope) !== false
    const overtaken = post.own && !passable
    if (overtaken) {
      this.log('an own post held in the stem could no longer leave: given up (%s)', reason)
    } else {
      this.components.onEvent?.({ type: 'fluff', id: post.id, topic: post.topic, reason, own: post.own })
      // no post id here: this log would tie the node to the post
      if (post.own) this.log('an own post went out without origin hiding (%s)', reason)
      else this.log.trace('fluffing a relayed post (%s)', reason)
    }
    const published = this.components.fluff(post.topic, post.envelope, post.expires, post.group)
    if (post.settle !== undefined) {
      published.then(post.settle.resolve, post.settle.reject)
    } else if (overtaken) {
      published.then(() => {}, (err: unknown) => {
        this.components.onEvent?.({ type: 'dropped', id: post.id, topic: post.topic, error: err instanceof Error ? err : new Error(String(err)) })
      })
    } else {
      // a relayed post kept here (no longer forwardable) is the sender's doing: never the error log, which it could fill
      published.catch((err: unknown) => {
        if (post.own) this.log.error('fluff failed (%s) - %e', reason, err)
        else this.log.trace('fluff failed (%s) - %e', reason, err)
      })
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
