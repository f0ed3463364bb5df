/**
 * Which address group delivered a post: the group is taken from the peer's connection when the
 * connection opens (before any message can arrive over it) and remembered after it closes, so a peer
 * that hangs up while its message is still being validated (gossipsub validates asynchronously, sync
 * ingests after network reads) is still charged for it.
 */
import { Recent } from './recent.js'
import { addressGroup } from './sync/admission.js'
import type { Connection, Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'

/**
 * Peers whose address group is remembered after their last connection closed. A message is validated
 * within seconds of its arrival; 4,096 departures in that time would take a churn of thousands of
 * connections a second, and even then only the churner's own messages lose their group.
 */
export const DEPARTED_GROUPS = 4096

/** What {@link SenderGroups} reads: the open connections of a peer, and the connection events. */
export interface SenderGroupsComponents {
  getConnections(peer?: PeerId): Connection[]
  addEventListener: TypedEventTarget<Libp2pEvents>['addEventListener']
}

/**
 * The address group (`addressGroup`: an IPv4 address, an IPv6 /48) of each peer, as its connections
 * showed it. A peer with connections from two groups at once is charged to the one it opened first; a
 * peer that comes back alone on another address, to the new one.
 *
 * @example
 * ```ts
 * const groups = new SenderGroups(libp2p)
 * intake.ingest(topic, envelope, groups.of(peer)) // the group, or undefined if never connected
 * ```
 */
export class SenderGroups {
  private readonly components: SenderGroupsComponents
  private readonly seen = new Recent<string>(DEPARTED_GROUPS)

  constructor (components: SenderGroupsComponents) {
    this.components = components
    components.addEventListener('connection:open', (evt) => {
      const connection = evt.detail
      if (components.getConnections(connection.remotePeer).length <= 1) this.seen.set(connection.remotePeer.toString(), addressGroup(connection.remoteAddr))
      else this.note(connection)
    })
  }

  /** The group of `peer`: of its open connections, else as last seen; undefined for a peer never connected (or long gone). */
  of (peer: PeerId): string | undefined {
    const key = peer.toString()
    const known = this.seen.get(key)
    if (known !== undefined) return known
    const connection = this.components.getConnections(peer)[0]
    return connection === undefined ? undefined : this.note(connection)
  }

  private note (connection: Connection): string {
    const key = connection.remotePeer.toString()
    const group = this.seen.get(key) ?? addressGroup(connection.remoteAddr)
    this.seen.set(key, group)
    return group
  }
}
