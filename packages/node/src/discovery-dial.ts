/**
 * How a node reaches a peer its discovery drew: at the drawn record's addresses, taking whichever peer
 * answers there, with a connection of its own. A record's PeerId is only a claim: free PeerIds claimed at
 * an honest host's address made every dial of that group fail (the host's own PeerId differs) while a
 * sybil host's records worked. An address is what a draw weighs (its group), so what answers at a drawn
 * address is what was drawn.
 */
import { CODE_P2P, CODE_P2P_CIRCUIT, multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, Connection, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What {@link dialDrawn} needs from the node. */
export interface DrawnDialComponents {
  /** The open connections of the node (libp2p's `getConnections`). */
  getConnections(): Connection[]
  /** Opens a connection (libp2p's `dial`; `force` opens a new one even if one is open). */
  dial(target: Multiaddr[], options: AbortOptions & { force?: boolean }): Promise<Connection>
  /**
   * Runs identify again on a connection (`libp2p.services.identify.identify`): libp2p tells protocol
   * topologies (the stem's) of a peer only after an identify, so a peer chosen after its connection was
   * identified is seen as chosen at the next one.
   */
  identify(connection: Connection, options: AbortOptions): Promise<unknown>
  /** Marks the peer as chosen by this node (`ChosenPeers.add`). */
  choose(peer: PeerId): void
}

/**
 * Reaches a drawn peer and makes the peer reached chosen; returns it (undefined if nothing answered).
 * A direct address is dialed without its `/p2p/`: whatever PeerId answers there holds the address the
 * draw weighed. A relayed address keeps it (a relay routes by PeerId, and the peer must prove it holds
 * the key), and so does every address when `exact` (a bootstrap peer: the user named that key). An
 * outbound connection already open to one of the addresses (a DHT query's dial; with `exact`, any to
 * the peer) is reused and identified again; an inbound one is not, as this node did not pick its
 * address: a new outbound connection is dialed beside it.
 *
 * @example
 * ```ts
 * const reached = await dialDrawn({
 *   getConnections: () => libp2p.getConnections(),
 *   dial: async (addrs, options) => libp2p.dial(addrs, options),
 *   identify: async (connection, options) => libp2p.services.identify.identify(connection, options),
 *   choose: (peer) => { chosen.add(peer) }
 * }, drawn, AbortSignal.timeout(DIAL_TIMEOUT))
 * ```
 */
export async function dialDrawn (components: DrawnDialComponents, peer: PeerInfo, signal: AbortSignal, exact = false): Promise<PeerId | undefined> {
  const relayed = (addr: Multiaddr): boolean => addr.getComponents().some((c) => c.code === CODE_P2P_CIRCUIT)
  const named = (addr: Multiaddr): Multiaddr => addr.getComponents().at(-1)?.name === 'p2p' ? addr : addr.encapsulate(`/p2p/${peer.id.toString()}`)
  const direct = exact ? [] : peer.multiaddrs.filter((addr) => !relayed(addr)).map((addr) => addr.decapsulateCode(CODE_P2P))
  // one dial names one PeerId or none: direct addresses first, the relayed ones (or all, if exact) else
  const byId = peer.multiaddrs.filter((addr) => exact || relayed(addr)).map(named)
  const targets = direct.length > 0 ? direct : byId.length > 0 ? byId : [multiaddr(`/p2p/${peer.id.toString()}`)]
  const wanted = new Set(direct.map(String))
  const open = components.getConnections().find((c) => c.direction === 'outbound' && c.status === 'open' && c.limits === undefined &&
    (direct.length > 0 ? wanted.has(c.remoteAddr.decapsulateCode(CODE_P2P).toString()) : c.remotePeer.equals(peer.id)))
  let connection: Connection
  try {
    connection = open ?? await components.dial(targets, { signal, force: true })
  } catch {
    return undefined
  }
  components.choose(connection.remotePeer)
  // the stem hears of a peer at an identify: the one that ran when the connection opened may have been
  // before the peer was chosen
  await components.identify(connection, { signal }).catch(() => {})
  return connection.remotePeer
}
