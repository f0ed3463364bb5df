/**
 * The libp2p side of the stem: the `/murmur/stem/3.0.0` handler and sender around a {@link StemRouter}.
 * Each inbound frame is decoded, validated in full (the node's validator) and only then routed; bad
 * input is dropped, its sender penalised for every bad frame and its stream closed; a peer the node has
 * cut off (`blocked`) is refused and disconnected. Successors get one long-lived stream each.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { displayLine, equalBytes, messageId, toHex } from '@murmur/protocol'
import * as lp from 'it-length-prefixed'
import { MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, STEM_DIAL_TIMEOUT, STEM_PROTOCOL } from './constants.js'
import { NoStemRouteError, StemStoppedError } from './errors.js'
import { decodeStemFrame, encodeStemFrame } from './frame.js'
import { StemRouter } from './router.js'
import { addressGroup } from '../sync/admission.js'
import { ownAddressGroups, stemGroup } from '../own-crowd.js'
import { isVerifyRefusal } from '../verify/errors.js'
import { registerTopology } from '../topology.js'
import type { StemClock } from './clock.js'
import type { FluffReason, StemRouterInit } from './types.js'
import type { Verdict } from '../intake.js'
import type { Outbound, SendResult } from '../outbound.js'
import type { Connection, Libp2p, Logger, PeerId, Stream, TypedEventTarget } from '@libp2p/interface'

/**
 * Full protocol validation of a stem post (the same checks as gossip, without storing it): route it,
 * drop it and penalise the sender, or just drop it. `from` is the peer that sent the frame (a post this
 * node fluffs later is charged to it).
 */
export type StemValidator = (topic: string, envelope: Uint8Array, from: PeerId) => Promise<Verdict>

/** What the stem uses of the libp2p node. */
export type StemLibp2p = Pick<Libp2p, 'handle' | 'unhandle' | 'register' | 'unregister' | 'dialProtocol'> & Partial<Pick<Libp2p, 'getMultiaddrs' | 'getConnections' | 'peerStore'>>

/** What {@link createStem} needs from the node. */
export interface StemComponents {
  libp2p: StemLibp2p
  /** Validates every stem post before it is routed. Must not throw; a throw drops the post unpenalised. */
  validate: StemValidator
  /**
   * The address group of `peer` (the node's `SenderGroups`: captured when its connection opened), which
   * its relayed posts are charged to in the table of held posts, and which a successor that dialed this
   * node is drawn by (one this node dialed by choice is drawn by the address it dialed).
   * @default the group of the connection the post came over (`addressGroup` of its remote address)
   */
  groupOf?(peer: PeerId): string | undefined
  /**
   * Whether this node chose to dial `peer` (`ChosenPeers.dialed`: the peer holds a connection this node chose): only such a peer's outbound connection
   * makes it a dialed stem candidate, not one a DHT query opened. @default every outbound connection counts
   */
  chosen?(peer: PeerId): boolean
  /** Records misbehaviour of `peer` (the node feeds gossipsub's score); `code` says what it sent. Called once per bad frame. */
  penalize(peer: PeerId, code: string): void
  /**
   * Whether `peer` is cut off (the node's shared penalty tracker): its stem streams are refused and its
   * connection closed. @default never
   */
  blocked?(peer: PeerId): boolean
  /** Publishes into gossip (`StemRouterComponents.fluff`: `group` is a relayed post's sender group). */
  fluff(topic: string, envelope: Uint8Array, expires: number | undefined, group?: string): Promise<SendResult>
  /** Whether a fluff of `topic` can spread from this node (someone here subscribes to it). @default always */
  canFluff?(topic: string): boolean
  /** Whether a held post may still leave the node (see `StemRouterComponents.passable`). @default always */
  passable?(topic: string, envelope: Uint8Array): boolean
  /** A stem post (own or relayed; `id` its post id in hex) was sent to the successor `to`. @default nothing */
  forwarded?(id: string, to: PeerId): void
  /** Post id as a hex string. @default hex of `messageId` from `@murmur/protocol` */
  messageId?(topic: string, envelope: Uint8Array): string
  /** @default the system clock */
  clock?: StemClock
  /** @default Math.random */
  random?(): number
  /** @default logger('murmur:stem') */
  log?: Logger
}

/** Options of {@link createStem}: the router's parameters and stream limits. */
export interface StemInit extends StemRouterInit {
  /**
   * Inbound stem streams per connection.
   *
   * @default 2
   */
  maxInboundStreams?: number
  /**
   * Outbound stem streams per connection.
   *
   * @default 2
   */
  maxOutboundStreams?: number
}

/** Events of the stem. */
export interface StemEvents {
  /** An own post went into gossip from this node: no stem peer, or its stem lost it. */
  unprotected: CustomEvent<{ id: string, topic: string, reason: FluffReason }>
  /** An own post the stem held until it could no longer leave: given up (`error` says why), never published. */
  dropped: CustomEvent<{ id: string, topic: string, error: Error }>
}

/** The Dandelion++ stem: an {@link Outbound} for own posts plus the relay of other nodes' stems. */
export interface Stem extends Outbound, TypedEventTarget<StemEvents> {
  /** Registers the protocol handler and starts tracking stem-capable peers. */
  start(): Promise<void>
  /** Tells the stem a post arrived through gossip (call it for every valid gossip message). */
  seen(id: Uint8Array | string): void
  /**
   * Holds an own post that an earlier run sent into the stem and that has not come back since (see
   * `StemRouter.resume`): not sent now, but a copy that comes back is routed, and its embargo gets it out.
   */
  resume(topic: string, envelope: Uint8Array, expires: number): void
  /** The routing state machine, for diagnostics. */
  readonly router: StemRouter
}

/**
 * Creates the stem of a node. Call `start()` once libp2p is set up, use it as the node's `Outbound`,
 * report every valid gossip post to `seen()`, and `stop()` it before libp2p stops.
 *
 * @example
 * ```ts
 * const stem = createStem({
 *   libp2p,
 *   validate: async (topic, envelope) => validateEnvelope(envelope, { topic }).ok ? 'accept' : 'reject',
 *   penalize: (peer) => { tracker.penalise(peer.toString()) },
 *   fluff: async (topic, envelope, expires) => direct.send(topic, envelope, expires ?? farFuture),
 *   log
 * })
 * await stem.start()
 * await stem.send(topic, envelope, expires) // leaves through a stem successor
 * ```
 */
export function createStem (components: StemComponents, init: StemInit = {}): Stem {
  return new StemTransport(components, init)
}

class StemTransport extends TypedEventEmitter<StemEvents> implements Stem {
  readonly router: StemRouter
  private readonly components: StemComponents
  private readonly log: Logger
  private readonly idOf: (topic: string, envelope: Uint8Array) => string
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly peers = new Map<string, PeerId>()
  private readonly streams = new Map<string, Promise<Stream>>()
  private topologyId?: string
  private running = false

  constructor (components: StemComponents, init: StemInit) {
    super()
    this.components = components
    this.log = components.log ?? logger('murmur:stem')
    this.idOf = components.messageId ?? ((topic, envelope) => toHex(messageId(topic, envelope)))
    this.maxInboundStreams = init.maxInboundStreams ?? MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    this.router = new StemRouter({
      send: (peer, topic, envelope, _id, publish) => { void this.write(peer, topic, envelope, publish) },
      fluff: components.fluff,
      canFluff: components.canFluff,
      passable: components.passable,
      // the node's one truth of the peers it dialed by choice, asked at every draw: a peer whose chosen
      // connection closed while another stays open is no longer drawn as dialed
      ...(components.chosen === undefined ? {} : { dialed: (peer: string) => this.chosen(peer) }),
      clock: components.clock,
      random: components.random,
      log: this.log,
      onEvent: (event) => {
        if (event.type === 'epoch') this.prepare(event.successors)
        if (event.type === 'forward') {
          const to = this.peers.get(event.to)
          if (to !== undefined) this.components.forwarded?.(event.id, to)
        }
        if (event.type === 'fluff' && event.own) {
          this.safeDispatchEvent('unprotected', { detail: { id: event.id, topic: event.topic, reason: event.reason } })
        }
        if (event.type === 'dropped') {
          this.safeDispatchEvent('dropped', { detail: { id: event.id, topic: event.topic, error: event.error } })
        }
      }
    }, init)
  }

  /** Whether the node chose `peer` (`StemComponents.chosen`): the stem peers it dialed, for the routes. */
  private chosen (peer: string): boolean {
    const peerId = this.peers.get(peer)
    return peerId !== undefined && this.components.chosen?.(peerId) === true
  }

  async start (): Promise<void> {
    if (this.running) {
      return
    }
    const { libp2p } = this.components
    await libp2p.handle(STEM_PROTOCOL, (stream, connection) => { void this.read(stream, connection) }, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams
    })
    // running before the topology reports the peers already connected, so their streams are opened too
    this.running = true
    this.topologyId = await registerTopology(libp2p, STEM_PROTOCOL, {
      onConnect: (peerId, connection) => {
        const peer = peerId.toString()
        this.peers.set(peer, peerId)
        const dialed = connection.direction === 'outbound' && (this.components.chosen?.(peerId) ?? true)
        // a peer this node dialed by choice is where it dialed it: a sybil that first connected from
        // addresses of its own must not be drawn as many hosts once it is dialed at one; a peer in this
        // node's own address group (its crowd) is drawn as a group of its own (own-crowd.ts)
        const group = dialed ? addressGroup(connection.remoteAddr) : this.components.groupOf?.(peerId) ?? addressGroup(connection.remoteAddr)
        this.router.addPeer(peer, dialed, stemGroup(group, peer, ownAddressGroups(libp2p.getMultiaddrs?.() ?? [])))
      },
      onDisconnect: (peerId) => {
        const peer = peerId.toString()
        this.peers.delete(peer)
        this.streams.delete(peer)
        this.router.removePeer(peer)
      }
    })
  }

  stop (): void {
    if (!this.running) {
      return
    }
    this.running = false
    this.router.stop()
    const { libp2p } = this.components
    if (this.topologyId !== undefined) {
      libp2p.unregister(this.topologyId)
    }
    libp2p.unhandle(STEM_PROTOCOL).catch((err: unknown) => { this.log.error('could not unhandle %s - %e', STEM_PROTOCOL, err) })
    for (const pending of this.streams.values()) {
      pending.then((stream) => { stream.abort(new StemStoppedError()) }, () => {})
    }
    this.streams.clear()
    this.peers.clear()
  }

  async send (topic: string, envelope: Uint8Array, expires: number): Promise<SendResult> {
    return this.router.originate(topic, envelope, this.idOf(topic, envelope), expires)
  }

  resume (topic: string, envelope: Uint8Array, expires: number): void {
    this.router.resume(topic, envelope, this.idOf(topic, envelope), expires)
  }

  seen (id: Uint8Array | string): void {
    this.router.seen(typeof id === 'string' ? id : toHex(id))
  }

  /** Reads the frames a peer sends on one inbound stem stream. */
  private async read (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer
    if (this.refused(connection)) {
      stream.abort(new Error('stem peer cut off'))
      return
    }
    const group = this.components.groupOf?.(peer) ?? addressGroup(connection.remoteAddr)
    try {
      for await (const data of lp.decode(stream, { maxDataLength: MAX_FRAME_BYTES })) {
        if (!await this.receive(peer, group, data.subarray()) || this.refused(connection)) {
          // it sent something invalid: penalised already, and not read any further
          stream.abort(new Error('invalid stem input'))
          return
        }
      }
      await stream.close()
    } catch (err) {
      const name = (err as Error).name
      if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'InvalidMessageLengthError') {
        this.log('oversized stem frame from %p - %e', peer, err)
        this.components.penalize(peer, 'ERR_BAD_STEM_FRAME')
        this.refused(connection)
      } else {
        this.log('stem stream from %p ended - %e', peer, err)
      }
      stream.abort(err as Error)
    }
  }

  /** Whether the connection's peer is cut off; if so the connection is closed. */
  private refused (connection: Connection): boolean {
    if (this.components.blocked?.(connection.remotePeer) !== true) {
      return false
    }
    this.log('closing the connection of cut-off stem peer %p', connection.remotePeer)
    connection.abort(new Error('stem peer cut off'))
    return true
  }

  /**
   * One frame from `peer` of address group `group`: decode, drop a post that left the stem, validate
   * (unless it is byte for byte the copy held here, validated when it came), route. False when it was
   * invalid. Never throws.
   */
  private async receive (peer: PeerId, group: string, bytes: Uint8Array): Promise<boolean> {
    let topic: string
    let envelope: Uint8Array
    let publish: boolean
    try {
      ({ topic, envelope, publish } = decodeStemFrame(bytes))
    } catch (err) {
      this.log('bad stem frame from %p - %e', peer, err)
      this.components.penalize(peer, (err as { code?: string }).code ?? 'ERR_BAD_STEM_FRAME')
      return false
    }
    const from = peer.toString()
    const id = this.idOf(topic, envelope)
    this.log.trace('stem frame from %p', peer)
    if (this.router.hasLeft(id)) {
      // a late copy: dropped whatever it holds, so nothing to check
      return true
    }
    const held = this.router.heldCopy(id)
    if (held === undefined || !equalBytes(held, envelope)) {
      // other bytes under a held id are judged in full: a copy that fails is the sender's fault, not a loop
      let verdict: Verdict
      try {
        verdict = await this.components.validate(topic, envelope, peer)
      } catch (err) {
        // not judged (the pool is overloaded or stopping): the frame is dropped, nobody is charged, and the
        // predecessor's embargo fluffs the post if it is not seen in gossip
        if (isVerifyRefusal(err)) this.log('stem post from %p not judged - %e', peer, err)
        else this.log.error('stem validation failed - %e', err)
        return true
      }
      if (verdict === 'reject') {
        this.log('invalid stem post from %p on %s', peer, displayLine(topic))
        this.components.penalize(peer, 'ERR_INVALID_STEM_POST')
        return false
      }
      if (verdict !== 'accept' && this.router.heldCopy(id) === undefined) {
        return true
      }
    }
    if (this.running) {
      // a held post is routed from the copy held here, never from these bytes
      this.router.relay(from, topic, envelope, id, group, publish)
    }
    return true
  }

  /** Writes one frame to a stem peer (marked for it to publish when `publish`); on failure the router re-routes the post. */
  private async write (peer: string, topic: string, envelope: Uint8Array, publish: boolean): Promise<void> {
    try {
      const stream = await this.streamTo(peer)
      stream.send(lp.encode.single(encodeStemFrame({ topic, envelope, publish })))
      this.log.trace('stem frame to %s', peer)
    } catch (err) {
      this.log('stem write to %s failed - %e', peer, err)
      this.streams.delete(peer)
      if (this.running) {
        this.router.sendFailed(peer)
      }
    }
  }

  /**
   * Opens the stream to each successor that has none, as soon as it is picked: opening one takes a
   * multistream-select round trip, which the first post sent there would otherwise wait for (at every
   * hop of a stem through successors fresh in their epoch). A successor learns it is one when the
   * stream opens rather than with the first post; it learns nothing of any post.
   */
  private prepare (successors: readonly string[]): void {
    for (const peer of successors) {
      if (!this.running || this.streams.has(peer)) continue
      // a failure is only logged: the first write to the peer opens the stream again or re-routes the post
      this.streamTo(peer).catch((err: unknown) => { this.log('could not open a stem stream to %s - %e', peer, err) })
    }
  }

  /** The open stem stream to `peer`, opened on first use (or when it became a successor). */
  private async streamTo (peer: string): Promise<Stream> {
    const open = this.streams.get(peer)
    if (open !== undefined) {
      const stream = await open
      if (stream.status === 'open' && stream.writeStatus === 'writable') {
        return stream
      }
      this.streams.delete(peer)
    }
    const peerId = this.peers.get(peer)
    if (peerId === undefined) {
      throw new NoStemRouteError(`no connection to stem peer ${peer}`)
    }
    const opening = this.components.libp2p.dialProtocol(peerId, STEM_PROTOCOL, { signal: AbortSignal.timeout(STEM_DIAL_TIMEOUT) })
    this.streams.set(peer, opening)
    const forget = (): void => { if (this.streams.get(peer) === opening) this.streams.delete(peer) }
    // a stream that failed to open is not kept, whoever was waiting for it
    opening.catch(forget)
    const stream = await opening
    stream.addEventListener('close', forget)
    return stream
  }
}
