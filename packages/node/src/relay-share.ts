/**
 * A fair share of a relay's slots per client address, around @libp2p/circuit-relay-v2's server.
 *
 * The server alone grants reservations first come, first served, and keeps each one for its whole
 * lifetime even after the client has gone: one host with a few hundred PeerIds could take every slot
 * and lock all browsers out. A small fixed cap per address would lock out a campus, an office or a
 * mobile carrier's CGNAT instead, where hundreds of honest browsers share one address. So the cap
 * follows what is left: an address (an IPv6 /64) may hold at most a fraction ({@link
 * RELAY_RESERVATION_SHARE}, a half) of the slots that no other address holds, and its network (the
 * IPv4 /24, the IPv6 /48) halfway from that fraction to all (three quarters): a household's /56 or a
 * server's /48 holds thousands of /64s, which would otherwise each count as a host of its own. On an
 * empty relay one address may take half of it; every other address can still get a slot; once others
 * come, the first address's surplus is refused when it renews, so the slots are re-earned every
 * reservation lifetime. A reservation also ends with its holder's last connection to the relay (the
 * relay could not reach the client through it anyway), so holding a slot costs an open connection.
 *
 * What it cannot do: tell one host's addresses apart from many hosts'. A dual-stack host is an IPv4
 * address and an IPv6 /64 with nothing on the wire that ties them (its PeerIds are free; a client
 * connected over both at once is counted in both, but a host can use one PeerId per family). There is
 * no sound fix — a host may as well hold several /48s, or IPv4 addresses in several /24s — so the
 * bound is stated instead: a host spanning k networks (an IPv4 /24 and an IPv6 /48 are two) holds at
 * most `1 − (1 − (1 + share) / 2)^k` of an empty relay (k = 2 at a half: 15 of 16 slots), every other
 * address still gets a slot while one is left, and once others hold slots the host's surplus is
 * refused at its next renewal. The inbound connection share of a node (`inbound-share.ts`) likewise
 * counts such a host as k groups, each holding one group's share.
 *
 * The gate is the server's public hook, `ConnectionGater.denyInboundRelayReservation`, set on the
 * components handed to the server only (the node's own gater is asked first and keeps its say).
 */
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { multiaddr } from '@multiformats/multiaddr'
import { embeddedIpv4, ipGroup } from './address-scope.js'
import type {
  CircuitRelayServerComponents, CircuitRelayServerInit, CircuitRelayService, ServerReservationStoreInit
} from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, Libp2pEvents, Logger, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What {@link relayFairShare}'s server needs from libp2p: the server's components and the node's events. */
export interface FairShareRelayComponents extends CircuitRelayServerComponents {
  events: TypedEventTarget<Libp2pEvents>
}

/** The groups a client is counted in: its address, and the network around it. */
export interface AddressGroups {
  /** The IPv4 address, or the IPv6 /64 (one host or household usually holds a whole /64). */
  address: string
  /** The IPv4 /24, or the IPv6 /48 (a site, or a household's /56 with its 256 /64s). */
  network: string
}

/**
 * The one group of every address named by DNS (`/dns`, `/dns4`, `/dns6`, `/dnsaddr`): names cost
 * nothing, and one host may answer to a thousand of them, so they weigh what one host weighs together.
 */
export const DNS_GROUP = 'dns'

/** The multiaddr protocols that name a host by DNS. */
const DNS_PROTOCOLS = new Set(['dns', 'dns4', 'dns6', 'dnsaddr'])

/**
 * The one group of every address that names no host: a browser's inbound WebRTC connection has the
 * remote address `/webrtc/p2p/<peer>`, with no IP, and PeerIds cost nothing, so each such peer was a
 * group of its own (72 sybil WebRTC peers held every inbound slot of a browser; review 5, RV10).
 */
export const UNADDRESSED_GROUP = 'unaddressed'

/** The multiaddr protocols that may start an address naming no host. */
const UNADDRESSED_PROTOCOLS = new Set(['webrtc', 'p2p', 'p2p-circuit'])

/**
 * The groups a client address is counted in. An IPv6 address carrying an IPv4 one (IPv4-mapped, NAT64,
 * 6to4, Teredo: address-scope.ts's embeddedIpv4) counts as that IPv4 address, and a leading `/ip6zone`
 * is passed over (a zoned address counts as its IP address); every DNS name is one group together
 * ({@link DNS_GROUP}): a connection dialed by name keeps the name as its remote address; every address
 * naming no host (an inbound WebRTC connection's `/webrtc/p2p/<peer>`) is one group ({@link UNADDRESSED_GROUP});
 * anything else (a path, a memory address) is a group of its own.
 *
 * @example
 * ```ts
 * addressGroups(multiaddr('/ip6/2001:db8:0:1:aaaa::2/tcp/4002/ws'))
 * // { address: 'ip6/2001:0db8:0000:0001::/64', network: 'ip6/2001:0db8:0000::/48' }
 * ```
 */
export function addressGroups (addr: Multiaddr): AddressGroups {
  // a zone names the interface an IPv6 address is reached through, not another host: any number of
  // zones on one address must weigh what the address weighs
  if (addr.getComponents()[0]?.name === 'ip6zone') addr = multiaddr(addr.getComponents().slice(1))
  const host = addr.getComponents()[0]
  if (host?.name === 'ip4' && host.value !== undefined) return ip4Groups(host.value)
  if (host !== undefined && DNS_PROTOCOLS.has(host.name)) return { address: DNS_GROUP, network: DNS_GROUP }
  if (host === undefined || UNADDRESSED_PROTOCOLS.has(host.name)) return { address: UNADDRESSED_GROUP, network: UNADDRESSED_GROUP }
  if (host.name !== 'ip6') {
    const own = `${host.name}/${host.value ?? addr.toString()}`
    return { address: own, network: own }
  }
  // the address's bytes, as multiaddr parsed them: the ip6 code (one varint byte), then 16 address bytes
  const bytes = addr.bytes.subarray(1, 17)
  // an IPv6 address standing for an IPv4 one (mapped, NAT64, 6to4, Teredo) weighs what that IPv4 address weighs
  const ip4 = embeddedIpv4(bytes)
  if (ip4 !== undefined) return ip4Groups(ip4.join('.'))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const groups = Array.from({ length: 4 }, (_, i) => view.getUint16(2 * i).toString(16).padStart(4, '0'))
  return { address: `ip6/${groups.join(':')}::/64`, network: ipGroup(bytes) }
}

function ip4Groups (address: string): AddressGroups {
  return { address: `ip4/${address}`, network: `ip4/${address.split('.').slice(0, 3).join('.')}.0/24` }
}

/**
 * How many slots one address group may hold: `share` of the slots that other groups do not hold,
 * at least one while any is left (a lone address still gets the last slot).
 *
 * @example
 * ```ts
 * fairShare(256, 0, 0.5)   // 128: one address on an empty relay
 * fairShare(256, 128, 0.5) // 64: the next address
 * ```
 */
export function fairShare (capacity: number, heldByOthers: number, share: number): number {
  const available = capacity - heldByOthers
  return available <= 0 ? 0 : Math.max(1, Math.floor(share * available))
}

/**
 * Whether one more entry (a slot, a connection) from a client with `requester`'s groups would put its
 * address over `share`, or its network over `(1 + share) / 2`, of the `capacity` that the other
 * `holders` leave. A full table is not "over": the caller refuses that with its own answer.
 */
function overShare (requester: AddressGroups[], holders: Iterable<AddressGroups[]>, capacity: number, share: number): boolean {
  const held = new Map<string, number>()
  let total = 0
  for (const holderGroups of holders) {
    total++
    for (const group of new Set(holderGroups.flatMap(({ address, network }) => [address, network]))) {
      held.set(group, (held.get(group) ?? 0) + 1)
    }
  }
  if (share >= 1 || total >= capacity) {
    return false
  }
  const over = (group: string, groupShare: number): boolean => {
    const mine = held.get(group) ?? 0
    return mine + 1 > fairShare(capacity, total - mine, groupShare)
  }
  return requester.some(({ address, network }) => over(address, share) || over(network, (1 + share) / 2))
}

/** The reservation gate of one relay: counts reservations per address group over the server's live table. */
class ReservationShare {
  private readonly components: FairShareRelayComponents
  private readonly capacity: number
  private readonly share: number
  private readonly log: Logger
  private reservations: CircuitRelayService['reservations'] | undefined
  /**
   * Clients let through whose reservation the server has not recorded yet, with their groups. The
   * server records it a few microtasks after the gate answers; requests that arrive together would
   * otherwise all be counted against the same table and pass together.
   */
  private readonly granted = new Map<string, { peer: PeerId, groups: AddressGroups[] }>()

  constructor (components: FairShareRelayComponents, capacity: number, share: number) {
    this.components = components
    this.capacity = capacity
    this.share = share
    this.log = components.logger.forComponent('murmur:relay-share')
  }

  /** The server's table of reservations, read at every request (it is the only record of who holds a slot). */
  track (reservations: CircuitRelayService['reservations']): void {
    this.reservations = reservations
  }

  /**
   * Whether `peer` must be refused a new or renewed reservation: its address or its network would
   * hold more than its share. A refused renewal ends the reservation at once, so the slot goes back
   * to the pool.
   */
  deny (peer: PeerId): boolean {
    const reservations = this.reservations
    if (reservations === undefined) {
      return false
    }
    // the request came over one of these: a client with connections from two addresses counts in both
    const groups = this.components.connectionManager.getConnections(peer)
      .filter((connection) => connection.limits === undefined && connection.status === 'open')
      .map((connection) => addressGroups(connection.remoteAddr))
    const holders: AddressGroups[][] = []
    for (const [holder, reservation] of reservations.entries()) {
      if (!holder.equals(peer)) holders.push([addressGroups(reservation.addr)])
    }
    for (const { peer: holder, groups: holderGroups } of this.granted.values()) {
      if (!holder.equals(peer) && !reservations.has(holder)) holders.push(holderGroups)
    }
    if (overShare(groups, holders, this.capacity, this.share)) {
      // counts, not addresses: a relay's DEBUG log is no place for its clients' addresses
      this.log('refusing a slot: the client\'s address or network holds its share of the %d slots taken', holders.length)
      this.end(peer)
      return true
    }
    const key = peer.toString()
    this.granted.set(key, { peer, groups })
    // by the next macrotask the server has recorded the reservation (or refused it for a full table)
    setTimeout(() => { this.granted.delete(key) }, 0)
    return false
  }

  /** Ends `peer`'s reservation now (its timer cleared): the client left, or lost its share. */
  end (peer: PeerId): void {
    const reservation = this.reservations?.get(peer)
    if (reservation !== undefined) {
      reservation.signal.clear()
      this.reservations?.delete(peer)
    }
  }
}

/** Options of {@link relayFairShare}: the server's, with the slot count spelled out (the share is a fraction of it). */
export interface RelayFairShareInit extends CircuitRelayServerInit {
  /**
   * Largest fraction of the slots not held by other addresses that one address may hold, in (0, 1];
   * its network may hold `(1 + share) / 2` of those not held by other networks. 1 turns the share off.
   */
  share: number
  reservations: ServerReservationStoreInit & { maxReservations: number }
  /** The relay's `connectionManager.maxConnections`: the connection table the share is taken of. */
  maxConnections: number
}

/** The two halves of a relay's fair share: its circuit-relay server, and the gate of its inbound connections. */
export interface RelayFairShare {
  /** The circuit-relay-v2 server (a libp2p service factory), its reservations gated by the share. */
  server: (components: FairShareRelayComponents) => CircuitRelayService
  /**
   * Refuses an inbound connection whose address or network holds its share of the connection table
   * already: a host cannot fill the relay's connections (slots need one each) with idle ones either.
   */
  connectionGater: ConnectionGater
}

/**
 * A circuit-relay-v2 server whose slots are shared fairly between client addresses, and whose
 * reservations end when their holder disconnects, with a connection gate that shares the relay's
 * connections the same way (see the module comment). Pass both to libp2p.
 *
 * @example
 * ```ts
 * import { createLibp2p } from 'libp2p'
 *
 * const share = relayFairShare({ share: 0.5, maxConnections: 320, reservations: { maxReservations: 256 } })
 * const node = await createLibp2p({
 *   connectionManager: { maxConnections: 320 },
 *   connectionGater: share.connectionGater,
 *   services: { relay: share.server }
 * })
 * ```
 */
export function relayFairShare (init: RelayFairShareInit): RelayFairShare {
  const { share, maxConnections, ...serverInit } = init
  if (!(share > 0 && share <= 1)) {
    throw new RangeError(`expected a reservation share in (0, 1], got ${share}`)
  }
  let connectionManager: FairShareRelayComponents['connectionManager'] | undefined
  return {
    server: (components) => {
      connectionManager = components.connectionManager
      const gate = new ReservationShare(components, serverInit.reservations.maxReservations, share)
      const gater: ConnectionGater = components.connectionGater
      const server = circuitRelayServer(serverInit)({
        registrar: components.registrar,
        peerStore: components.peerStore,
        addressManager: components.addressManager,
        peerId: components.peerId,
        privateKey: components.privateKey,
        connectionManager: components.connectionManager,
        logger: components.logger,
        metrics: components.metrics,
        connectionGater: Object.create(gater, {
          denyInboundRelayReservation: {
            value: async (peer: PeerId): Promise<boolean> =>
              (await gater.denyInboundRelayReservation?.(peer)) === true || gate.deny(peer)
          }
        }) as ConnectionGater
      })
      gate.track(server.reservations)
      // for the node's lifetime, like the events target itself; a stopped server's table is empty
      components.events.addEventListener('peer:disconnect', (evt) => { gate.end(evt.detail) })
      return server
    },
    connectionGater: {
      // connections that arrive together are counted against the same table; in a Murmur node the inbound
      // share (inbound-share.ts) bounds how many one address group has in its handshake at once
      // (INBOUND_PENDING_BUDGET), which bounds how far such a burst can overshoot the share
      denyInboundConnection: (maConn) => connectionManager !== undefined && overShare(
        [addressGroups(maConn.remoteAddr)],
        connectionManager.getConnections().map((connection) => [addressGroups(connection.remoteAddr)]),
        maxConnections,
        share
      )
    }
  }
}
