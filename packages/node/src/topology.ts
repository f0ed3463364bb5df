import type { Libp2p, Topology } from '@libp2p/interface'

/** What {@link registerTopology} needs: a node without `getConnections` or `peerStore` (a test double) has no peers to report. */
export type TopologyLibp2p = Pick<Libp2p, 'register'> & Partial<Pick<Libp2p, 'getConnections' | 'peerStore'>>

/**
 * Registers `topology` for `protocol`, then reports to it every peer already connected that supports the
 * protocol. libp2p's registrar tells a topology only of peers identified after it registered; a service
 * started after the node's first connections (bootstrap dials begin at `libp2p.start()`) never heard of
 * them, and the peer stayed unknown to it for as long as the connection lasted. A peer identified between
 * the two steps may be reported twice: `onConnect` must take a peer again as it takes a reconnection.
 *
 * @example
 * ```ts
 * const id = await registerTopology(libp2p, STEM_PROTOCOL, { onConnect, onDisconnect })
 * ```
 */
export async function registerTopology (libp2p: TopologyLibp2p, protocol: string, topology: Topology): Promise<string> {
  const id = await libp2p.register(protocol, topology)
  const { getConnections, peerStore } = libp2p
  if (getConnections === undefined || peerStore === undefined) return id
  const reported = new Set<string>()
  for (const connection of getConnections.call(libp2p)) {
    const peer = connection.remotePeer.toString()
    // as the registrar: a limited (relayed) connection only when the topology asks for those
    if (connection.status !== 'open' || reported.has(peer) || (connection.limits !== undefined && topology.notifyOnLimitedConnection !== true)) continue
    const protocols = await peerStore.get(connection.remotePeer).then((known) => known.protocols, (): string[] => [])
    if (!protocols.includes(protocol)) continue
    reported.add(peer)
    topology.onConnect?.(connection.remotePeer, connection)
  }
  return id
}
