/**
 * kad-dht takes a peer into its routing table only after pinging it, through one first-in first-out queue
 * shared by the peers the node is connected to and every peer any DHT answer names. A lying DHT server
 * names tarpits (addresses that accept and never speak): each one's ping waits out its 5 s timeout, a few at
 * a time, and the DHT servers the node is connected to waited behind hundreds of them. A fresh node got 2
 * of 10 connected servers into its table in 20 s (session 7, F12M item 1; test/dht-contacts-tarpits).
 * Here a peer that completes identify over an open connection and speaks the node's DHT protocol is
 * offered to the routing table at once, past that queue: its ping runs over the open connection.
 */
import type { IdentifyResult, Logger, PeerId, PeerInfo, TypedEventTarget } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/**
 * What Murmur uses of kad-dht beyond its interface: the routing table's `add`, which pings a peer and
 * takes it in (kad-dht's own `onPeerConnect` queues exactly this call). Pinned by test/dht-contacts-tarpits.
 */
interface RoutingTableAdd {
  routingTable: { add(peer: PeerId, options?: { signal?: AbortSignal }): Promise<void> }
}

/** What {@link admitConnectedDhtPeers} needs from libp2p. */
export interface DhtAdmissionComponents {
  /** libp2p's events (its `peer:identify`). */
  events: Pick<TypedEventTarget<{ 'peer:identify': CustomEvent<IdentifyResult> }>, 'addEventListener' | 'removeEventListener'>
  dht: KadDHT
  /** The DHT's protocol (`KAD_PROTOCOL`). */
  protocol: string
  /** kad-dht's peer-info mapper: a peer left with no address by it is not admitted, as kad-dht itself would not. */
  mapper(peer: PeerInfo): PeerInfo
  log?: Logger
}

/**
 * Offers each peer identified over an open connection, speaking `protocol`, to the DHT's routing table at
 * once (see the module's comment). Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = admitConnectedDhtPeers({ events: libp2p, dht: libp2p.services.dht, protocol: KAD_PROTOCOL, mapper: addressScopeMapper(false) })
 * ```
 */
export function admitConnectedDhtPeers (components: DhtAdmissionComponents): () => void {
  const { dht, protocol, mapper, log } = components
  const table = (dht as unknown as Partial<RoutingTableAdd>).routingTable
  if (typeof table?.add !== 'function') {
    log?.error('this kad-dht has no routing table to add to: connected DHT peers wait in its queue')
    return () => {}
  }
  const listener = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs, connection } = evt.detail
    if (!protocols.includes(protocol) || connection.status !== 'open') return
    if (mapper({ id: peerId, multiaddrs: listenAddrs }).multiaddrs.length === 0) return
    table.add(peerId).catch((err: unknown) => { log?.('could not add a connected DHT peer to the routing table - %e', err) })
  }
  components.events.addEventListener('peer:identify', listener)
  return () => { components.events.removeEventListener('peer:identify', listener) }
}
