/**
 * How a node reaches a peer its discovery drew: at the drawn record's addresses, taking whichever peer
 * answers there, with a connection of its own. A record's PeerId is only a claim: free PeerIds claimed at
 * an honest host's address made every dial of that group fail (the host's own PeerId differs) while a
 * sybil host's records worked. An address is what a draw weighs (its group), so what answers at a drawn
 * address is what was drawn.
 */
import { CODE_P2P, CODE_P2P_CIRCUIT, multiaddr } from '@multiformats/multiaddr'
import { dialsRelayedAddresses } from '#platform'
import { addressScope, dialableScope } from './address-scope.js'
import type { AbortOptions, Connection, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The first components a learned address may start with: an IP address, or a DNS name (`learnedNameGate` decides which). */
const DIALABLE_HOSTS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr'])

/** Whether an address goes through a circuit relay. */
const isRelayed = (addr: Multiaddr): boolean => addr.getComponents().some((c) => c.code === CODE_P2P_CIRCUIT)

/**
 * Whether an address learned from the network (a DHT answer, a provider record) may be dialed: its host
 * (a relayed address's: its relay's) is a public IP address, or a private, loopback or link-local one
 * with `allowPrivate`, never an unroutable one (unspecified, multicast, broadcast, reserved; see
 * `address-scope.ts`, which also judges an IPv6 address carrying an IPv4 one by that IPv4 address), or
 * a DNS name; a relayed address only where the node has a circuit-relay transport (`relayed`: a browser;
 * a Node.js node has none, and a record it could only reach through a relay is no peer it can dial). A
 * leading `/ip6zone`, a `/unix` path or any other start is never dialed: a zone does not make another
 * host (one host wrote a zone per record and weighed a group per record), and a path reaches this
 * machine's own sockets. Bootstrap addresses, typed by the user, are not asked.
 *
 * @example
 * ```ts
 * learnedAddress(multiaddr('/ip4/203.0.113.7/tcp/4001'), false) // false: TEST-NET is not public
 * learnedAddress(multiaddr('/ip6/64:ff9b::7f00:1/tcp/4001'), false) // false: NAT64 of 127.0.0.1
 * learnedAddress(multiaddr('/ip4/224.0.0.1/tcp/4001'), true) // false: multicast, on any network
 * learnedAddress(multiaddr('/ip4/127.0.0.1/tcp/4001'), true) // true: a loopback test network
 * ```
 */
export function learnedAddress (addr: Multiaddr, allowPrivate: boolean, relayed: boolean = dialsRelayedAddresses): boolean {
  const host = addr.getComponents()[0]?.name
  if (host === undefined || !DIALABLE_HOSTS.has(host) || (!relayed && isRelayed(addr))) return false
  const scope = addressScope(addr)
  return scope === undefined || dialableScope(scope, allowPrivate)
}

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
  /**
   * Marks the connection that reached the drawn address as chosen by this node (`ChosenPeers.add`): the
   * connection, not the PeerId that answered on it, which a later dial of that PeerId elsewhere (a DHT
   * query's) must not inherit.
   */
  choose(connection: Connection): void
  /**
   * Whether private and loopback addresses of a drawn record are dialed (`MurmurInit.allowPrivateAddresses`):
   * on the public network a record naming a LAN or loopback address is a probe of this node's own network.
   *
   * @default true
   */
  allowPrivateAddresses?: boolean
  /**
   * Whether relayed (`/p2p-circuit`) addresses can be dialed: only with a circuit-relay transport, which
   * browsers have and Node.js nodes do not (unless an embedder adds one).
   *
   * @default the platform's (`dialsRelayedAddresses`: true in browsers, false in Node.js)
   */
  relayedAddresses?: boolean
}

/**
 * Reaches a drawn peer and makes the connection that reached it chosen; returns the peer reached
 * (undefined if nothing answered).
 * Only the record's addresses that {@link learnedAddress} lets through are dialed (a record naming
 * addresses, none of them dialable, is not dialed at all: one with only relayed addresses, on a node
 * without a circuit-relay transport, too). A direct address is dialed without its
 * `/p2p/`: whatever PeerId answers there holds the address the draw weighed. A relayed address keeps it
 * (a relay routes by PeerId, and the peer must prove it holds the key), and so does every address when
 * `exact` (a bootstrap peer: the user named that key and its addresses, which are dialed as given). An
 * outbound connection already open to one of the addresses dialed (a DHT query's dial; through the same
 * relay for a relayed one; with `exact`, any to the peer) is reused and identified again; an inbound one
 * is not, as this node did not pick its address, nor one to the claimed PeerId elsewhere: a sybil reached
 * at its own address must not be chosen in the turn of a relay's group it only claims.
 *
 * @example
 * ```ts
 * const reached = await dialDrawn({
 *   getConnections: () => libp2p.getConnections(),
 *   dial: async (addrs, options) => libp2p.dial(addrs, options),
 *   identify: async (connection, options) => libp2p.services.identify.identify(connection, options),
 *   choose: (connection) => { chosen.add(connection) },
 *   allowPrivateAddresses: false
 * }, drawn, AbortSignal.timeout(DIAL_TIMEOUT))
 * ```
 */
export async function dialDrawn (components: DrawnDialComponents, peer: PeerInfo, signal: AbortSignal, exact = false): Promise<PeerId | undefined> {
  const named = (addr: Multiaddr): Multiaddr => addr.getComponents().at(-1)?.name === 'p2p' ? addr : addr.encapsulate(`/p2p/${peer.id.toString()}`)
  const allowPrivate = components.allowPrivateAddresses ?? true
  const relayed = components.relayedAddresses ?? dialsRelayedAddresses
  const addrs = exact ? peer.multiaddrs : peer.multiaddrs.filter((addr) => learnedAddress(addr, allowPrivate, relayed))
  if (addrs.length === 0 && peer.multiaddrs.length > 0) return undefined
  const direct = exact ? [] : addrs.filter((addr) => !isRelayed(addr)).map((addr) => addr.decapsulateCode(CODE_P2P))
  // one dial names one PeerId or none: direct addresses first, the relayed ones (or all, if exact) else
  const byId = addrs.filter((addr) => exact || isRelayed(addr)).map(named)
  const targets = direct.length > 0 ? direct : byId.length > 0 ? byId : [multiaddr(`/p2p/${peer.id.toString()}`)]
  // a relayed connection's remote address is the relayed address dialed, with the peer's /p2p/
  const wanted = new Set((direct.length > 0 ? direct : byId).map(String))
  const open = components.getConnections().find((c) => c.direction === 'outbound' && c.status === 'open' && c.limits === undefined &&
    (exact ? c.remotePeer.equals(peer.id) : wanted.has(c.remoteAddr.toString()) || wanted.has(c.remoteAddr.decapsulateCode(CODE_P2P).toString())))
  let connection: Connection
  try {
    connection = open ?? await components.dial(targets, { signal, force: true })
  } catch {
    return undefined
  }
  components.choose(connection)
  // the stem hears of a peer at an identify: the one that ran when the connection opened may have been
  // before the peer was chosen
  await components.identify(connection, { signal }).catch(() => {})
  return connection.remotePeer
}
