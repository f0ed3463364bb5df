/**
 * Onion-wrapped first hops (issue 19): every node is a mix on `/murmur/mix/1.0.0`; an own post leaves
 * wrapped for 3 connected mixes, each holding it an exponential delay, and the exit publishes it into
 * gossip; loop cover packets make a node's own packets look like the ones it relays. A direct peer of
 * the author sees only fixed-size packets, own, relayed and cover alike. Design and numbers:
 * docs/ANONYMITY.md and docs/ORIGIN-HIDING.md; the packet format: docs/PROTOCOL.md, "Onion packets".
 *
 * @example
 * ```ts
 * import { createOnion } from './onion/index.js'
 *
 * const onion = createOnion({ libp2p, deliver, fallback, penalize, log }, { meanDelay: 800 })
 * await onion.start()
 * await onion.send(topic, envelope, expires) // NoMixPathError with fewer than 3 mixes known
 * ```
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { ONION_MAX_DELAY_MS, ONION_MAX_HOPS } from '@murmur/protocol'
import { expiryDeadline } from '../outbound.js'
import { InvalidConfigError } from '../errors.js'
import { LOOPS_PER_MINUTE, MIX_KEY_LIFETIME, MIX_MEAN_DELAY, MIX_PATH_LENGTH, ONION_MAX_ATTEMPTS, ONION_RESEND_AFTER } from './constants.js'
import { MixDirectory } from './directory.js'
import { MixKeyring } from './keyring.js'
import { Mix } from './mix.js'
import { OnionSender } from './sender.js'
import type { MixDirectoryComponents } from './directory.js'
import type { OnionSenderComponents } from './sender.js'
import type { MixKeyringInit } from './keyring.js'
import type { MixComponents, MixDropCode } from './mix.js'
import type { Libp2p, Logger, PeerId, TypedEventTarget } from '@libp2p/interface'

export * from './constants.js'
export { NoMixPathError } from './errors.js'
export type { MixDropCode } from './mix.js'
export type { KnownMix } from './directory.js'

/** What {@link createOnion} needs from the node. */
export interface OnionComponents {
  libp2p: MixDirectoryComponents['libp2p'] & MixComponents['libp2p'] & Pick<Libp2p, 'peerId'>
  /**
   * At the exit: judge a post as any relayed one (full validation, no sender to charge: the mix before
   * cannot read what it carried) and publish it into gossip. Must not throw.
   */
  deliver(topic: string, envelope: Uint8Array): Promise<void>
  /** An own post no path delivered: sent another way (the stem). */
  fallback(topic: string, envelope: Uint8Array, expires: number): void
  /** Until when an own post may leave (`OwnPosts.deadline`, the outbox's rule). @default forwardableUntil(expires), `expired` */
  deadline?: OnionSenderComponents['deadline']
  /** An own post whose deadline passed while paths failed: given up (never sent again, never to the fallback). @default nothing */
  givenUp?: OnionSenderComponents['givenUp']
  /** The node's clock, unix milliseconds. @default Date.now */
  clock?(): number
  penalize: MixComponents['penalize']
  blocked?: MixComponents['blocked']
  chosen?: MixDirectoryComponents['chosen']
  groupOf?: MixDirectoryComponents['groupOf']
  log: Logger
}

/** Options of {@link createOnion}. */
export interface OnionInit extends Pick<MixKeyringInit, 'lifetime' | 'maxTags'> {
  /** Mixes on an own post's path. @default 3 */
  pathLength?: number
  /** Mean exponential hold per mix, in ms. @default 800 */
  meanDelay?: number
  /** Loop cover packets per minute (0: none). @default 1 */
  loopsPerMinute?: number
  /** An own post not seen in gossip this long after it left is sent through another path, in ms. @default 20000 */
  resendAfter?: number
  /** Paths an own post tries before the fallback takes it. @default 3 */
  maxAttempts?: number
}

/** Events of the onion layer. */
export interface OnionEvents {
  /** A packet this mix dropped, and why. */
  dropped: CustomEvent<{ code: MixDropCode, from?: PeerId }>
  /** One of this node's loops came back. */
  loop: CustomEvent<{ id: Uint8Array }>
}

/**
 * What a node's onion layer is doing: a snapshot, read from `Murmur.onion`.
 *
 * @example
 * ```ts
 * const { enabled, mixes, pending } = node.onion
 * if (enabled && mixes < 3) console.log('own posts leave through the stem until 3 mixes are known')
 * ```
 */
export interface OnionStatus {
  /** Whether the node runs the onion (`onion` in createMurmur's options, and the stem it falls back to). */
  enabled: boolean
  /** The mixes known now (connected peers whose mix key this node holds); own posts need 3. */
  mixes: number
  /** Own posts sent through mixes and not seen in gossip yet. */
  pending: number
  /** Loop cover packets a first mix took since the node started. */
  loopsSent: number
  /** Of those, the loops that came back. */
  loopsReturned: number
  /** Posts this node, as an exit, handed on to be judged and published, since it started. */
  delivered: number
}

/** The status of a node that does not run the onion. */
export const ONION_OFF: Readonly<OnionStatus> = Object.freeze({ enabled: false, mixes: 0, pending: 0, loopsSent: 0, loopsReturned: 0, delivered: 0 })

/** The onion layer of a node. */
export interface Onion extends TypedEventTarget<OnionEvents> {
  start(): Promise<void>
  stop(): void
  /** Sends an own post through a fresh path. Throws NoMixPathError with too few mixes known. */
  send(topic: string, envelope: Uint8Array, expires: number): Promise<void>
  /** A post was seen in gossip: an own one is not sent again. */
  seen(id: Uint8Array | string): void
  /** Sends one loop now; false with too few mixes known. */
  sendLoop(): Promise<boolean>
  /** The mixes known now. */
  readonly mixes: number
  /** Own posts sent and not seen in gossip yet. */
  readonly pending: number
  /** A snapshot of what the layer is doing. */
  status(): OnionStatus
}

class OnionLayer extends TypedEventEmitter<OnionEvents> implements Onion {
  private readonly keyring: MixKeyring
  private readonly directory: MixDirectory
  private readonly mix: Mix
  private readonly sender: OnionSender
  private delivered = 0

  constructor (components: OnionComponents, init: OnionInit) {
    super()
    const { libp2p, log } = components
    this.keyring = new MixKeyring(init)
    this.directory = new MixDirectory({
      libp2p,
      ownKey: () => ({ publicKey: this.keyring.publicKey, expiresIn: this.keyring.expiresIn }),
      chosen: components.chosen,
      groupOf: components.groupOf,
      log
    })
    this.mix = new Mix({
      libp2p,
      keyring: this.keyring,
      exit: (message) => {
        if (message.kind === 'loop') {
          if (this.sender.loopReturned(message.id)) this.safeDispatchEvent('loop', { detail: { id: message.id } })
          return
        }
        void components.deliver(message.topic, message.data).then(() => { this.delivered++ })
      },
      dropped: (code, from) => { this.safeDispatchEvent('dropped', { detail: { code, from } }) },
      penalize: components.penalize,
      blocked: components.blocked,
      groupOf: components.groupOf,
      chosen: components.chosen,
      log
    }, { maxTags: init.maxTags, window: 2 * (init.lifetime ?? MIX_KEY_LIFETIME) })
    this.sender = new OnionSender({
      mixes: () => this.directory.known(),
      self: { peerId: libp2p.peerId, publicKey: () => this.keyring.publicKey },
      send: async (peer, packet) => this.mix.send(peer, packet),
      fallback: components.fallback,
      deadline: components.deadline ?? expiryDeadline,
      givenUp: components.givenUp ?? (() => {}),
      clock: components.clock ?? Date.now
    }, {
      pathLength: init.pathLength ?? MIX_PATH_LENGTH,
      meanDelay: init.meanDelay ?? MIX_MEAN_DELAY,
      loopsPerMinute: init.loopsPerMinute ?? LOOPS_PER_MINUTE,
      resendAfter: init.resendAfter ?? ONION_RESEND_AFTER,
      maxAttempts: init.maxAttempts ?? ONION_MAX_ATTEMPTS
    })
  }

  get mixes (): number {
    return this.directory.size
  }

  get pending (): number {
    return this.sender.pendingCount
  }

  status (): OnionStatus {
    const { loopsSent, loopsReturned } = this.sender
    return { enabled: true, mixes: this.mixes, pending: this.pending, loopsSent, loopsReturned, delivered: this.delivered }
  }

  async start (): Promise<void> {
    await this.mix.start()
    await this.directory.start()
    this.sender.start()
  }

  stop (): void {
    this.sender.stop()
    this.directory.stop()
    this.mix.stop()
  }

  async send (topic: string, envelope: Uint8Array, expires: number): Promise<void> {
    await this.sender.send(topic, envelope, expires)
  }

  seen (id: Uint8Array | string): void {
    this.sender.seen(id)
  }

  async sendLoop (): Promise<boolean> {
    return this.sender.sendLoop()
  }
}

/**
 * Creates the onion layer of a node: its mix, its mix key directory and its sender. Call `start()` once
 * libp2p is set up, report every valid gossip post to `seen()`, and `stop()` it before libp2p stops.
 *
 * @example
 * ```ts
 * const onion = createOnion({ libp2p, deliver: async (topic, envelope) => { await publish(topic, envelope) }, fallback, penalize, log })
 * ```
 */
export function createOnion (components: OnionComponents, init: OnionInit = {}): Onion {
  checkInit(init)
  return new OnionLayer(components, init)
}

/** Throws InvalidConfigError (ERR_INVALID_CONFIG) naming the first option out of range. */
function checkInit (init: OnionInit): void {
  const within = (field: keyof OnionInit, min: number, max: number, integer = false): void => {
    const value = init[field]
    if (value === undefined) return
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new InvalidConfigError(`onion.${field}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`)
    }
  }
  // a loop takes one hop more than a post: the sender itself
  within('pathLength', 1, ONION_MAX_HOPS - 1, true)
  within('meanDelay', 0, ONION_MAX_DELAY_MS)
  within('loopsPerMinute', 0, 600)
  within('resendAfter', 1, 2 ** 31 - 1)
  within('maxAttempts', 1, 100, true)
  within('lifetime', 60_000, 2 ** 31 - 1)
  // at 1, one group's least share (one tag) would be the whole key, and it alone would replace it
  within('maxTags', 2, 2 ** 24, true)
}
