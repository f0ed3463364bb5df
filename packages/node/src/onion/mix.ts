/**
 * The mix: takes one onion packet per inbound stream, peels its layer, holds it the delay its sender
 * chose (at most MAX_MIX_HOLD), then forwards it to the next hop or, at the exit, hands its message on.
 * Every refusal is a typed code; only a stream that is not exactly one packet is its sender's fault (an
 * honest mix forwards what it could open, and cannot see whether the next layer is sound).
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { decodeOnionMessage, equalBytes, ONION_PACKET_BYTES } from '@murmur/protocol'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { HeldPosts } from '../stem/held.js'
import { addressGroup } from '../sync/admission.js'
import { MAX_MIX_HELD, MAX_MIX_HOLD, MAX_MIX_INBOUND_STREAMS, MIX_FORWARD_DIAL_TIMEOUT, MIX_PROTOCOL, MIX_STREAM_TIMEOUT } from './constants.js'
import { ForwardShares } from './forward-shares.js'
import { ForwardSlots } from './forward-slots.js'
import { closeWithin, peerClosed, readExactly, writeAll } from './stream.js'
import type { ForwardCharge, ForwardSharesInit } from './forward-shares.js'
import type { ForwardSource } from './forward-slots.js'
import type { MixKeyring, MixShareRefused } from './keyring.js'
import type { OnionMessage, OnionRefused, OnionUnwrapped } from '@murmur/protocol'
import type { Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Why a mix dropped a packet: the protocol's refusal codes, a sender's group over its share of a key (`MixKeyring`, or of this mix's part of the next hop's: `ForwardShares`), a full queue, or a next hop it could not reach. */
export type MixDropCode = OnionRefused['code'] | MixShareRefused['code'] | 'ERR_MIX_FULL' | 'ERR_MIX_UNREACHABLE'

/** A packet held until its delay is over. */
interface HeldPacket {
  id: string
  group: string
  from: PeerId
  timer: ReturnType<typeof setTimeout>
  /** Its forward counted against its next hop (a relay hop's), refunded if it is dropped here. */
  charge?: ForwardCharge
}

/** What {@link Mix} needs from the node. */
export interface MixComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dial' | 'getConnections'>
  keyring: MixKeyring
  /** The exit's message, once held: a post to judge and publish, or a loop back at its sender. */
  exit(message: OnionMessage): void
  /** A packet dropped here, and why (`from`: the peer it came from). */
  dropped(code: MixDropCode, from?: PeerId): void
  /** Records misbehaviour of `peer` (the node's penalty tracker). */
  penalize(peer: PeerId, code: string): void
  /** Whether `peer` is cut off: its streams are refused. @default never */
  blocked?(peer: PeerId): boolean
  /** The address group a packet from `peer` is charged to, in the full queue and for forwarding dials. @default its connection's `addressGroup` */
  groupOf?(peer: PeerId): string | undefined
  /** Whether this node chose to dial `peer` (`ChosenPeers.dialed`): its packets may take the dials kept for such peers. @default every outbound connection */
  chosen?(peer: PeerId): boolean
  log: Logger
}

/**
 * One node's mix.
 *
 * @example
 * ```ts
 * const mix = new Mix({ libp2p, keyring, exit: (message) => {}, dropped: () => {}, penalize, log })
 * await mix.start()
 * await mix.send(firstHop, packet) // an own packet leaves as any forwarded one does
 * ```
 */
export class Mix {
  private readonly components: MixComponents
  /** Packets held, charged to the address group they came from: a full queue drops the fullest group's oldest (the stem's rule). */
  private readonly held = new HeldPosts<HeldPacket>(MAX_MIX_HELD)
  private nextId = 0
  /** Connections this mix opens to forward a packet, charged to the address group the packet came from. */
  private readonly forwarding = new ForwardSlots()
  /** The part of each next hop's key each sender's address group may spend through this mix. */
  private readonly shares: ForwardShares
  private running = false

  constructor (components: MixComponents, init: ForwardSharesInit = {}) {
    this.components = components
    this.shares = new ForwardShares(init)
  }

  async start (): Promise<void> {
    if (this.running) return
    await this.components.libp2p.handle(MIX_PROTOCOL, (stream, connection) => { void this.read(stream, connection) }, {
      maxInboundStreams: MAX_MIX_INBOUND_STREAMS
    })
    this.running = true
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    for (const { timer } of this.held.values()) clearTimeout(timer)
    this.held.clear()
    this.components.libp2p.unhandle(MIX_PROTOCOL).catch((err: unknown) => { this.components.log.error('could not unhandle %s - %e', MIX_PROTOCOL, err) })
  }

  /**
   * Sends an own packet to its first hop `peer`, a connected mix: false when it could not, or when this
   * node's own packets hold their part of that mix's key (`ForwardShares`, as any sender through it).
   */
  async send (peer: PeerId, packet: Uint8Array): Promise<boolean> {
    const charge = this.shares.charge(peer.toString(), OWN_PACKETS.group)
    if (charge === undefined) {
      this.components.log('own packets hold their part of the key of %p', peer)
      return false
    }
    const sent = await this.forward(peer, packet, undefined, OWN_PACKETS)
    if (!sent) charge.refund()
    return sent
  }

  /**
   * Writes `packet` to `peer` on a stream of its own, within MIX_STREAM_TIMEOUT; false when it could not.
   * A connected peer is reached over its connection; any other only at `target` (the address a
   * packet named, without /p2p), on a short-lived connection (closed once the packet is written or the deadline
   * passes) charged to `source`, the sender of the packet (`ForwardSlots`):
   * packets naming hosts that never answer take their sender's share of the dials, for MIX_FORWARD_DIAL_TIMEOUT
   * each, and less as their dials fail. The dial passes the node's connection gater.
   */
  private async forward (peer: PeerId, packet: Uint8Array, target: Multiaddr | undefined, source: ForwardSource): Promise<boolean> {
    const { libp2p, log } = this.components
    const connected = libp2p.getConnections(peer).find((connection) => connection.status === 'open')
    if (connected !== undefined) return this.write(connected, packet)
    if (target === undefined) {
      log('next hop %p not connected and no address named', peer)
      return false
    }
    const slot = this.forwarding.take(source, addressGroup(target))
    if (slot === undefined) {
      log('the sender\'s forwarding dials are taken, not dialing %p', peer)
      return false
    }
    let connection: Connection | undefined
    let reached = false
    const started = Date.now()
    try {
      connection = await libp2p.dial(target.encapsulate(`/p2p/${peer.toString()}`), { signal: AbortSignal.timeout(MIX_FORWARD_DIAL_TIMEOUT) })
      reached = await this.write(connection, packet, true)
      return reached
    } catch (err) {
      log('could not dial %p to forward a packet - %e', peer, err)
      return false
    } finally {
      slot.release(reached)
      // closed only when this dial opened it (not a connection that formed meanwhile for other reasons)
      if (connection !== undefined && connection.timeline.open >= started) {
        const opened = connection
        opened.close({ signal: AbortSignal.timeout(MIX_STREAM_TIMEOUT) }).catch((err: unknown) => { opened.abort(err as Error) })
      }
    }
  }

  /**
   * Writes `packet` on a new mix stream of `connection`, within MIX_STREAM_TIMEOUT; with `confirmed`, also
   * waits (as long again) for the peer to close its side, so that the connection can be closed after.
   */
  private async write (connection: Connection, packet: Uint8Array, confirmed = false): Promise<boolean> {
    try {
      const stream = await connection.newStream(MIX_PROTOCOL, { signal: AbortSignal.timeout(MIX_STREAM_TIMEOUT) })
      await writeAll(stream, packet, MIX_STREAM_TIMEOUT)
      if (confirmed) await peerClosed(stream, MIX_STREAM_TIMEOUT)
      return true
    } catch (err) {
      this.components.log('could not send a packet to %p - %e', connection.remotePeer, err)
      return false
    }
  }

  private async read (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer
    if (this.components.blocked?.(from) === true) {
      stream.abort(new Error('mix peer cut off'))
      return
    }
    let packet: Uint8Array
    try {
      packet = await readExactly(stream, ONION_PACKET_BYTES, MIX_STREAM_TIMEOUT)
    } catch (err) {
      this.components.log('bad mix stream from %p - %e', from, err)
      stream.abort(err as Error)
      this.components.penalize(from, 'ERR_ONION_SIZE')
      this.components.dropped('ERR_ONION_SIZE', from)
      return
    }
    // the sender waits for this side to close: closed at once, so a connection carries any number of packets
    closeWithin(stream, MIX_STREAM_TIMEOUT).catch((err: unknown) => { this.components.log('mix stream from %p not closed - %e', from, err) })
    if (!this.running) return
    const group = this.components.groupOf?.(from) ?? addressGroup(connection.remoteAddr)
    const chosen = connection.direction === 'outbound' && (this.components.chosen?.(from) ?? true)
    this.take(packet, from, { group, chosen, peer: from.toString() })
  }

  /** A packet from `from` refused with `code`: logged, and reported (its sender charged as `dropped` decides). */
  private refuse (code: MixDropCode, from: PeerId): void {
    this.components.log('packet from %p refused - %s', from, code)
    this.components.dropped(code, from)
  }

  /** Peels, holds and passes on one packet that came from `from`, charged to `source`. */
  private take (packet: Uint8Array, from: PeerId, source: ForwardSource): void {
    const opened = this.components.keyring.open(packet, source.group)
    if (!opened.ok) {
      this.refuse(opened.code, from)
      return
    }
    const passOn = this.passOn(opened, from, source)
    if (typeof passOn === 'string') {
      this.refuse(passOn, from)
      return
    }
    opened.keep()
    const evicted = this.held.makeRoom()
    if (evicted !== undefined) {
      clearTimeout(evicted.timer)
      evicted.charge?.refund()
      this.components.dropped('ERR_MIX_FULL', evicted.from)
    }
    const id = String(this.nextId++)
    const timer = setTimeout(() => {
      this.held.remove(id)
      if (this.running) passOn.run()
    }, Math.min(opened.delay, MAX_MIX_HOLD))
    this.held.add({ id, group: source.group, from, timer, charge: passOn.charge })
  }

  /**
   * What becomes of an opened packet once held: its message handed on at the exit, else sent to its next
   * hop, counted against the part of that hop's key its sender's group may spend. A refusal code when the
   * exit's message or the next hop is not canonical (read before the packet is held, as its author MACed
   * it with the layer: an honest mix before could not have told), or when that part is spent: refused at
   * once, it takes no place in the queue and no replay tag, and nobody is charged.
   */
  private passOn (opened: OnionUnwrapped, from: PeerId, source: ForwardSource): PassOn | 'ERR_ONION_PAYLOAD' | 'ERR_ONION_ROUTING' | 'ERR_MIX_SHARE' {
    if (opened.kind === 'exit') {
      const message = decodeOnionMessage(opened.message)
      return message === undefined ? 'ERR_ONION_PAYLOAD' : { run: () => { this.components.exit(message) } }
    }
    const next = nextHopOf(opened)
    if (next === undefined) return 'ERR_ONION_ROUTING'
    const charge = this.shares.charge(next.peer.toString(), source.group)
    if (charge === undefined) return 'ERR_MIX_SHARE'
    return {
      charge,
      run: () => {
        void this.forward(next.peer, opened.packet, next.address, source).then((sent) => {
          if (sent) return
          charge.refund()
          this.components.dropped('ERR_MIX_UNREACHABLE', from)
        })
      }
    }
  }
}

/** What an opened packet becomes once held (`run`), and its forward counted against its next hop. */
interface PassOn {
  run(): void
  charge?: ForwardCharge
}

/** What this node's own packets are charged to, were one ever dialed (a first hop is a connected mix). */
const OWN_PACKETS: ForwardSource = { group: 'own', chosen: true }

/** A relay hop's next hop as a PeerId and, when named, a multiaddr. */
interface NextHop {
  peer: PeerId
  address?: Multiaddr
}

/**
 * The next hop of a relay hop, or undefined when it is not canonical: a PeerId is a multihash libp2p reads
 * as one, nothing after it; an address is empty or a multiaddr whose bytes are exactly its encoding.
 */
function nextHopOf (opened: Extract<OnionUnwrapped, { kind: 'relay' }>): NextHop | undefined {
  try {
    const peer = peerIdFromMultihash(Digest.decode(opened.next))
    if (!equalBytes(peer.toMultihash().bytes, opened.next)) return undefined
    if (opened.address.byteLength === 0) return { peer }
    const address = multiaddr(opened.address)
    return equalBytes(address.bytes, opened.address) ? { peer, address: address.decapsulateCode(CODE_P2P) } : undefined
  } catch {
    return undefined
  }
}
