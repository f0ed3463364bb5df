/**
 * The sending side: an own post wrapped for a path of MIX_PATH_LENGTH connected mixes and handed to the
 * first, kept until it is seen in gossip and sent again through another path if it is not; and loop
 * cover packets, through as many mixes and back to this node, at a Poisson rate.
 */
import { randomBytes } from '@libp2p/crypto'
import { encodeOnionMessage, messageId, ONION_LOOP_ID_BYTES, toHex, wrapOnion } from '@murmur/protocol'
import { drawFromGroups, randomIndex } from '../random.js'
import { MAX_MIX_HOLD } from './constants.js'
import { NoMixPathError } from './errors.js'
import type { Deadline, DropReason } from '../outbound.js'
import type { KnownMix } from './directory.js'
import type { OnionHop } from '@murmur/protocol'
import type { PeerId } from '@libp2p/interface'

/** Resolved parameters of the sender (their defaults are documented on `OnionInit`). */
export interface OnionSenderParams {
  pathLength: number
  meanDelay: number
  loopsPerMinute: number
  resendAfter: number
  maxAttempts: number
}

/** What {@link OnionSender} needs. */
export interface OnionSenderComponents {
  /** The mixes a path may be drawn from. */
  mixes(): KnownMix[]
  /** This node: the last hop of its loops. */
  self: { peerId: PeerId, publicKey(): Uint8Array }
  /** Writes a packet to the first hop; false when it could not. */
  send(peer: PeerId, packet: Uint8Array): Promise<boolean>
  /** An own post that used up its paths without being seen in gossip: the node's fallback (the stem) takes it. */
  fallback(topic: string, envelope: Uint8Array, expires: number): void
  /** Until when an own post may leave (unix seconds), and what refuses it after: the outbox's rule (`OutboxComponents.deadline`). */
  deadline(topic: string, envelope: Uint8Array, expires: number): Deadline
  /** An own post whose deadline passed before it was seen in gossip: given up, neither sent again nor handed to the fallback. */
  givenUp(topic: string, envelope: Uint8Array, reason: DropReason): void
  /** The node's clock, unix milliseconds. */
  clock(): number
}

interface Pending {
  topic: string
  envelope: Uint8Array
  expires: number
  attempts: number
  /** First hops already tried: a black hole there is not tried again while others are known. */
  tried: Set<string>
  timer?: ReturnType<typeof setTimeout>
}

/** An exponential delay of mean `mean` ms, whole, at most `cap`. @default cap MAX_MIX_HOLD */
export function exponentialDelay (mean: number, cap = MAX_MIX_HOLD): number {
  const uniform = (randomIndex(2 ** 53) + 1) / (2 ** 53 + 1)
  return Math.min(cap, Math.round(-mean * Math.log(uniform)))
}

/**
 * Draws `count` distinct mixes: by address group, mixes this node dialed first (the stem's rule for its
 * successors, with the same `drawFromGroups`), then mixes that dialed it, one per address group while
 * groups last. Every hop after the first is one with an address (one this node reached it at: the hop
 * before dials it there, F6); the first, which this node reaches over its connection, is one not in
 * `avoid` when there is one.
 */
export function drawPath (mixes: readonly KnownMix[], count: number, avoid: ReadonlySet<string> = new Set()): KnownMix[] | undefined {
  const addressed = mixes.filter((mix) => mix.address !== undefined)
  const untried = mixes.filter((mix) => !avoid.has(mix.peerId.toString()))
  // first hops in the order of the draw, untried ones before: the first that leaves enough addressed mixes behind it
  const firsts = [...drawMixes(untried, untried.length), ...drawMixes(mixes.filter((mix) => !untried.includes(mix)), mixes.length)]
  const first = firsts.find((mix) => addressed.filter((other) => other !== mix).length >= count - 1)
  if (first === undefined) return undefined
  // the first's address group is drawn again only when the others run out
  const others = addressed.filter((other) => other !== first)
  const later = drawMixes(others.filter((other) => other.group !== first.group), count - 1)
  if (later.length < count - 1) later.push(...drawMixes(others.filter((other) => other.group === first.group), count - 1 - later.length))
  return [first, ...later]
}

/** Up to `count` of `mixes`, by address group, mixes this node dialed before those that dialed it. */
function drawMixes (mixes: readonly KnownMix[], count: number): KnownMix[] {
  const byGroup = (pool: readonly KnownMix[]): KnownMix[][] => {
    const groups = new Map<string, KnownMix[]>()
    for (const mix of pool) groups.set(mix.group, [...groups.get(mix.group) ?? [], mix])
    return [...groups.values()]
  }
  const drawn = drawFromGroups(byGroup(mixes.filter((mix) => mix.dialed)), count)
  if (drawn.length < count) drawn.push(...drawFromGroups(byGroup(mixes.filter((mix) => !mix.dialed)), count - drawn.length))
  return drawn
}

/**
 * Own posts and loops leaving through mixes.
 *
 * @example
 * ```ts
 * const sender = new OnionSender({ mixes: () => directory.known(), self, send: (peer, packet) => mix.send(peer, packet), fallback }, params)
 * await sender.send(topic, envelope, expires) // throws NoMixPathError with fewer than 3 mixes known
 * sender.seen(id) // it is out there: no resend
 * ```
 */
export class OnionSender {
  private readonly components: OnionSenderComponents
  private readonly params: OnionSenderParams
  private readonly pending = new Map<string, Pending>()
  /** Loops out, by id, with the timer that forgets one that never comes back. */
  private readonly loops = new Map<string, ReturnType<typeof setTimeout>>()
  private loopTimer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private sentLoops = 0
  private returnedLoops = 0

  constructor (components: OnionSenderComponents, params: OnionSenderParams) {
    this.components = components
    this.params = params
  }

  /** Own posts sent and not yet seen in gossip. */
  get pendingCount (): number {
    return this.pending.size
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.scheduleLoop()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.loopTimer)
    for (const post of this.pending.values()) clearTimeout(post.timer)
    for (const timer of this.loops.values()) clearTimeout(timer)
    this.pending.clear()
    this.loops.clear()
  }

  /**
   * Wraps an own post for a fresh path and sends it to the first mix; a first mix that cannot be
   * reached is replaced at once, up to `maxAttempts` paths in all. Throws NoMixPathError when the post
   * does not fit a packet, fewer than `pathLength` mixes are known or no first hop took the post
   * (nothing is kept then: the caller sends it another way).
   */
  async send (topic: string, envelope: Uint8Array, expires: number): Promise<void> {
    const id = toHex(messageId(topic, envelope))
    const post: Pending = this.pending.get(id) ?? { topic, envelope, expires, attempts: 0, tried: new Set() }
    let message: Uint8Array
    try {
      message = encodeOnionMessage({ kind: 'publish', topic, data: envelope })
    } catch (err) {
      // a ring-signed post over a large ring: no packet holds it
      throw new NoMixPathError(`the post does not fit an onion packet: ${(err as Error).message}`, { cause: err })
    }
    while (post.attempts < this.params.maxAttempts) {
      const path = drawPath(this.components.mixes(), this.params.pathLength, post.tried)
      if (path === undefined) break
      post.attempts++
      post.tried.add(path[0]!.peerId.toString())
      if (!await this.components.send(path[0]!.peerId, wrapOnion({ hops: this.hops(path), message }))) continue
      this.pending.set(id, post)
      clearTimeout(post.timer)
      post.timer = setTimeout(() => { this.retry(id) }, this.params.resendAfter)
      return
    }
    this.seen(id)
    throw new NoMixPathError(`no path took the post (${this.components.mixes().length} mixes known, ${this.params.pathLength} a path, ${post.attempts} tried)`)
  }

  /** An own post (or any post) was seen in gossip: no resend. */
  seen (id: Uint8Array | string): void {
    const key = typeof id === 'string' ? id : toHex(id)
    const post = this.pending.get(key)
    if (post === undefined) return
    clearTimeout(post.timer)
    this.pending.delete(key)
  }

  /** A loop came back: whether it was one of ours (dropped either way). */
  loopReturned (id: Uint8Array): boolean {
    const key = toHex(id)
    clearTimeout(this.loops.get(key))
    if (!this.loops.delete(key)) return false
    this.returnedLoops++
    return true
  }

  /** Loops a first mix took since this node started. */
  get loopsSent (): number {
    return this.sentLoops
  }

  /** Of those, the loops that came back. */
  get loopsReturned (): number {
    return this.returnedLoops
  }

  /** Sends one loop now (false when too few mixes are known or the first could not be reached). Never throws. */
  async sendLoop (): Promise<boolean> {
    const path = drawPath(this.components.mixes(), this.params.pathLength)
    if (path === undefined || !this.running) return false
    const id = randomBytes(ONION_LOOP_ID_BYTES)
    const self = { peerId: this.components.self.peerId, publicKey: this.components.self.publicKey(), group: 'self', dialed: true }
    const key = toHex(id)
    // a loop that never comes back is forgotten after the longest it can take
    this.loops.set(key, setTimeout(() => this.loops.delete(key), (path.length + 1) * MAX_MIX_HOLD + this.params.resendAfter))
    const sent = await this.components.send(path[0]!.peerId, wrapOnion({ hops: this.hops([...path, self]), message: encodeOnionMessage({ kind: 'loop', id }) }))
    if (sent) this.sentLoops++
    return sent
  }

  private hops (path: readonly KnownMix[]): OnionHop[] {
    return path.map((mix) => ({ publicKey: mix.publicKey, peerId: mix.peerId.toMultihash().bytes, address: mix.address, delay: exponentialDelay(this.params.meanDelay) }))
  }

  /**
   * An own post not seen in gossip `resendAfter` after it left: given up past its deadline (the exit of a
   * path still under way refuses it then, as every hop does); else sent through a fresh path, or, its
   * paths used up, handed to the fallback.
   */
  private retry (id: string): void {
    const post = this.pending.get(id)
    if (post === undefined || !this.running) return
    const { at, reason } = this.components.deadline(post.topic, post.envelope, post.expires)
    if (Math.floor(this.components.clock() / 1000) > at) {
      this.pending.delete(id)
      this.components.givenUp(post.topic, post.envelope, reason)
      return
    }
    const give = (): void => {
      this.pending.delete(id)
      this.components.fallback(post.topic, post.envelope, post.expires)
    }
    if (post.attempts >= this.params.maxAttempts) {
      give()
      return
    }
    this.send(post.topic, post.envelope, post.expires).catch(give)
  }

  private scheduleLoop (): void {
    if (!this.running || this.params.loopsPerMinute <= 0) return
    this.loopTimer = setTimeout(() => {
      void this.sendLoop().finally(() => { this.scheduleLoop() })
    }, exponentialDelay(60_000 / this.params.loopsPerMinute, Infinity))
  }
}
