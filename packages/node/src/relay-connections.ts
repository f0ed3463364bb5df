/**
 * The relayed (limited) connections between browsers: WebRTC is started over them by the side whose
 * turn it is, and they are closed as soon as an unlimited connection to the same peer is open (or
 * when they come up after one).
 *
 * Two browsers first meet through a circuit relay: a connection with limits (bytes, seconds) that
 * carries the WebRTC signalling. Only one of the two starts that signalling — the one whose PeerId
 * sorts first ({@link initiatesWebRTC}). The browser platform's WebRTC transport dials no `/webrtc`
 * address of a peer that sorts before the dialer, so when the later-sorting browser finds the other
 * one first it opens a plain relayed connection, and the earlier-sorting one starts WebRTC over it
 * here. Two tabs that find each other at the same moment so run one signalling session, not two that
 * race and leave two WebRTC connections between the same pair.
 *
 * Once the direct WebRTC connection is up the relayed one has done its job; keeping it would hold a
 * slot on the relay until its limits run out and leave two paths to the same peer. gossipsub never
 * uses limited connections, so closing it changes which path carries nothing — it frees the relay
 * and makes the direct path the only one.
 *
 * Logs name no peer and no address (DEBUG logs are often shared; who talks to whom is what Murmur hides).
 */
import { CODE_P2P } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT } from './constants.js'
import { WEBRTC_UPGRADE_ATTEMPTS } from './relay-constants.js'
import type { AbortOptions, ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What {@link relayedConnectionCloser} needs from libp2p. */
export interface RelayedConnectionCloserComponents {
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: {
    getConnections(peerId?: PeerId): Connection[]
    openConnection(target: Multiaddr, options?: AbortOptions): Promise<Connection>
  }
  transportManager: { dialTransportForMultiaddr(multiaddr: Multiaddr): unknown }
  logger: ComponentLogger
}

/** The running service (it has no API besides start and stop). */
export type RelayedConnectionCloser = Startable

/**
 * Whether this node, rather than `remote`, starts the WebRTC signalling between the two: the one
 * whose PeerId sorts first as a string. Both sides compute the same answer, so exactly one of them
 * dials WebRTC.
 *
 * @example
 * ```ts
 * if (initiatesWebRTC(node.peerId.toString(), peer.toString())) {
 *   // dial the peer's /p2p-circuit/webrtc address
 * }
 * ```
 */
export function initiatesWebRTC (self: string, remote: string): boolean {
  return self < remote
}

class RelayedConnectionCloserService implements RelayedConnectionCloser {
  private readonly components: RelayedConnectionCloserComponents
  private readonly log: Logger
  /** Peers whose relayed connection is being upgraded to WebRTC right now. */
  private readonly upgrading = new Set<string>()
  private shutdown = new AbortController()

  constructor (components: RelayedConnectionCloserComponents) {
    this.components = components
    this.log = components.logger.forComponent('murmur:relayed-connections')
    this.onOpen = this.onOpen.bind(this)
  }

  start (): void {
    this.shutdown = new AbortController()
    this.components.events.addEventListener('connection:open', this.onOpen)
  }

  stop (): void {
    this.components.events.removeEventListener('connection:open', this.onOpen)
    this.shutdown.abort()
  }

  private onOpen (evt: CustomEvent<Connection>): void {
    const opened = evt.detail
    const peer = opened.remotePeer
    // a relayed connection that comes up after the direct one (a dial that was under way) is as useless
    if (opened.limits === undefined || this.hasDirect(peer)) {
      this.closeRelayed(peer)
    } else if (opened.direction === 'inbound' && initiatesWebRTC(this.components.peerId.toString(), peer.toString())) {
      void this.upgrade(opened)
    }
  }

  private closeRelayed (peer: PeerId): void {
    for (const connection of this.components.connectionManager.getConnections(peer)) {
      if (connection.limits !== undefined && connection.status === 'open') {
        this.log('a direct connection is open: closing the relayed one to the same peer')
        connection.close().catch((err: unknown) => { connection.abort(err as Error) })
      }
    }
  }

  /**
   * A peer that sorts after us reached us over a relay: it waits for us to start WebRTC, over the
   * connection it opened (`<relay>/p2p-circuit/webrtc/p2p/<peer>` reuses it for the signalling).
   */
  private async upgrade (relayed: Connection): Promise<void> {
    const peer = relayed.remotePeer
    const key = peer.toString()
    const target = relayed.remoteAddr.decapsulateCode(CODE_P2P).encapsulate(`/webrtc/p2p/${key}`)
    if (this.upgrading.has(key) || this.components.transportManager.dialTransportForMultiaddr(target) == null) {
      return
    }
    this.upgrading.add(key)
    try {
      // a failed attempt closes its relayed connection; the next one opens a fresh one to the same relay
      for (let attempt = 1; attempt <= WEBRTC_UPGRADE_ATTEMPTS && !this.shutdown.signal.aborted && !this.hasDirect(peer); attempt++) {
        this.log('a peer reached us over a relay: starting WebRTC (attempt %d)', attempt)
        try {
          const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(DIAL_TIMEOUT)])
          await this.components.connectionManager.openConnection(target, { signal })
        } catch (err) {
          this.log('could not start WebRTC - %e', err)
        }
      }
    } finally {
      this.upgrading.delete(key)
    }
  }

  private hasDirect (peer: PeerId): boolean {
    return this.components.connectionManager.getConnections(peer).some((c) => c.limits === undefined && c.status === 'open')
  }
}

/**
 * A libp2p service that starts WebRTC over the relayed connections that browsers sorting after this
 * one open to it, and closes limited (relayed) connections to a peer once a direct, unlimited
 * connection to it is open.
 *
 * @example
 * ```ts
 * import { createLibp2p } from 'libp2p'
 *
 * const node = await createLibp2p({ services: { relayedConnections: relayedConnectionCloser() } })
 * ```
 */
export function relayedConnectionCloser (): (components: RelayedConnectionCloserComponents) => RelayedConnectionCloser {
  return (components) => new RelayedConnectionCloserService(components)
}
