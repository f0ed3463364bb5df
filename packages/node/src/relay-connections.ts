/**
 * Closes the limited (relayed) connections to a peer as soon as an unlimited one to it is open.
 *
 * Two browsers first meet through a circuit relay: a connection with limits (bytes, seconds) that
 * carries the WebRTC signalling. Once their direct WebRTC connection is up the relayed one has done
 * its job; keeping it would hold a slot on the relay until its limits run out and leave two paths to
 * the same peer. gossipsub never uses limited connections, so this changes which path carries
 * nothing — it frees the relay and makes the direct path the only one.
 */
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'

/** What {@link relayedConnectionCloser} needs from libp2p. */
export interface RelayedConnectionCloserComponents {
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: { getConnections(peerId?: PeerId): Connection[] }
  logger: ComponentLogger
}

/** The running service (it has no API besides start and stop). */
export type RelayedConnectionCloser = Startable

class RelayedConnectionCloserService implements RelayedConnectionCloser {
  private readonly components: RelayedConnectionCloserComponents
  private readonly log: Logger

  constructor (components: RelayedConnectionCloserComponents) {
    this.components = components
    this.log = components.logger.forComponent('murmur:relayed-connections')
    this.onOpen = this.onOpen.bind(this)
  }

  start (): void {
    this.components.events.addEventListener('connection:open', this.onOpen)
  }

  stop (): void {
    this.components.events.removeEventListener('connection:open', this.onOpen)
  }

  private onOpen (evt: CustomEvent<Connection>): void {
    const opened = evt.detail
    if (opened.limits !== undefined) {
      return
    }
    for (const connection of this.components.connectionManager.getConnections(opened.remotePeer)) {
      if (connection.limits !== undefined && connection.status === 'open') {
        this.log('direct connection to %p over %a: closing the relayed one over %a', opened.remotePeer, opened.remoteAddr, connection.remoteAddr)
        connection.close().catch((err: unknown) => { connection.abort(err as Error) })
      }
    }
  }
}

/**
 * A libp2p service that closes limited (relayed) connections to a peer once a direct, unlimited
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
