/**
 * What turns a Murmur node into a relay for browsers (`@murmur/node/relay`): a circuit-relay-v2 server
 * with limits fit for WebRTC signalling, merged into the node's libp2p options. A browser reserves a
 * slot on the relay, other browsers reach it through that slot, and the two move to a direct WebRTC
 * connection; the relay carries gossip only over its own, ordinary connections.
 */
import { getThinWaistAddresses } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { isPrivateMultiaddr } from './libp2p.js'
import {
  RELAY_DATA_LIMIT, RELAY_DURATION_LIMIT, RELAY_MAX_HOP_STREAMS, RELAY_MAX_RESERVATIONS, RELAY_PEER_CONNECTIONS,
  RELAY_RESERVATION_SHARE, RELAY_RESERVATION_TTL
} from './relay-constants.js'
import { relayFairShare } from './relay-share.js'
import type { ExtraLibp2pOptions } from './libp2p.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'

export { RELAY_LISTEN, RELAY_TCP_PORT, RELAY_WS_PORT, relayListen } from './relay-constants.js'
export type { CircuitRelayService } from '@libp2p/circuit-relay-v2'

/** Options of {@link relayLibp2pOptions}; every field is optional. */
export interface RelayInit {
  /**
   * Most relay slots (reservations) held at once.
   *
   * @default 256
   */
  maxReservations?: number
  /**
   * Largest fraction of the slots (and of the connections) not held by other addresses that one
   * client address (an IPv6 /64) may hold, in (0, 1]; its network (/24, /48) may hold
   * `(1 + share) / 2`. 1 turns the share off: only for a relay behind a reverse proxy, where every
   * browser comes from the proxy's address (the proxy should then limit connections per client).
   *
   * @default 0.5
   */
  reservationShare?: number
  /**
   * Lifetime of a reservation in ms; clients renew theirs 5 minutes before it ends, and a renewal is
   * refused when the client's address holds more than its share by then.
   *
   * @default 900_000 (15 minutes)
   */
  reservationTtl?: number
  /**
   * Longest life of one relayed connection, in ms.
   *
   * @default 120_000
   */
  durationLimit?: number
  /**
   * Most bytes one relayed connection may carry, each way.
   *
   * @default 1_048_576
   */
  dataLimit?: bigint
  /**
   * Most HOP streams (reservation and connect requests) open at once on one client connection, each
   * way: libp2p's per-connection stream limit, not a bound over the relay. What bounds a host's
   * relayed connections overall is its share of the relay's connections (relay-share.ts) times this,
   * each relayed connection living at most `durationLimit` and carrying at most `dataLimit`.
   *
   * @default 64
   */
  maxHopStreams?: number
  /**
   * Addresses to announce instead of the listen addresses: the public IP or DNS name (e.g.
   * `/dns4/relay.example.org/tcp/443/wss`) under which browsers reach this relay.
   *
   * @default [] (announce the listen addresses)
   */
  announce?: string[]
}

/**
 * libp2p options that make a Murmur node a circuit relay; pass them as `MurmurInit.libp2p`. Its slots
 * and its connections are shared fairly between client addresses, and a slot is held only while its
 * client stays connected (relay-share.ts). They set `connectionGater`, which the node applies on top of
 * its own (the inbound cap and share, the cut-off: `combineConnectionGaters`), and
 * `connectionManager.maxConnections` (slots + {@link RELAY_PEER_CONNECTIONS}).
 *
 * @example
 * ```ts
 * import { createMurmur } from '@murmur/node'
 * import { relayLibp2pOptions } from '@murmur/node/relay'
 *
 * const relay = await createMurmur({
 *   listen: ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'],
 *   dataDir: '/var/lib/murmur-relay',
 *   persistPeerId: true,
 *   dhtServer: true,
 *   libp2p: relayLibp2pOptions()
 * })
 * ```
 */
export function relayLibp2pOptions (init: RelayInit = {}): ExtraLibp2pOptions {
  const announce = init.announce ?? []
  const maxHopStreams = init.maxHopStreams ?? RELAY_MAX_HOP_STREAMS
  const maxReservations = init.maxReservations ?? RELAY_MAX_RESERVATIONS
  // a slot needs its client's connection to the relay, besides the relay's own peers
  const maxConnections = maxReservations + RELAY_PEER_CONNECTIONS
  const share = relayFairShare({
    share: init.reservationShare ?? RELAY_RESERVATION_SHARE,
    maxConnections,
    maxInboundHopStreams: maxHopStreams,
    maxOutboundHopStreams: maxHopStreams,
    reservations: {
      maxReservations,
      reservationTtl: init.reservationTtl ?? RELAY_RESERVATION_TTL,
      applyDefaultLimit: true,
      defaultDurationLimit: init.durationLimit ?? RELAY_DURATION_LIMIT,
      defaultDataLimit: init.dataLimit ?? RELAY_DATA_LIMIT
    }
  })
  return {
    ...(announce.length > 0 ? { addresses: { announce } } : {}),
    connectionManager: { maxConnections },
    connectionGater: share.connectionGater,
    services: { relay: share.server }
  }
}

/** What {@link isPrivateRelay} judges. */
export interface PrivateRelayInit {
  /** The relay's listen addresses. */
  listen: string[]
  /**
   * The addresses it announces instead.
   *
   * @default []
   */
  announce?: string[]
  /**
   * The nodes it bootstraps from.
   *
   * @default []
   */
  bootstrap?: string[]
  /**
   * The addresses a listen address takes: itself, or for a wildcard every interface address of its family.
   *
   * @default this host's interfaces (`getThinWaistAddresses` of `@libp2p/utils`)
   */
  interfaces?: (address: string) => string[]
}

/**
 * Whether a relay serves a private network only (one machine, a LAN): what it announces is private or
 * loopback, or, announcing nothing, every address its listeners take is (a wildcard listener takes
 * every interface address of its family), and so is every node it bootstraps from. Such a relay must
 * keep private addresses in its DHT records (`MurmurInit.allowPrivateAddresses`): its browsers'
 * relayed addresses are built from its own, so a relay that dropped private addresses, as a public
 * one does, would give every browser empty records of the others, and no two would ever pair.
 *
 * @example
 * ```ts
 * // on a host whose only addresses are 127.0.0.1 and 192.168.1.20
 * isPrivateRelay({ listen: RELAY_LISTEN }) // true
 * isPrivateRelay({ listen: RELAY_LISTEN, announce: ['/dns4/relay.example.org/tcp/443/wss'] }) // false
 * ```
 */
export function isPrivateRelay (init: PrivateRelayInit): boolean {
  const announce = init.announce ?? []
  const expand = init.interfaces ?? thinWaistAddresses
  const own = announce.length > 0 ? announce : init.listen.flatMap(expand)
  // a relay that bootstraps from a public node is part of the public network, as for any node
  const addresses = [...own, ...(init.bootstrap ?? [])]
  return own.length > 0 && addresses.every(isPrivateMultiaddr)
}

/** The addresses a listener on `address` takes on this host; an address that names no IP host stays as it is. */
function thinWaistAddresses (address: string): string[] {
  try {
    return getThinWaistAddresses(multiaddr(address)).map(String)
  } catch {
    return [address]
  }
}

/**
 * The addresses of `multiaddrs` a browser can dial: WebSockets (`/ws`, `/wss`, `/tls/ws`) and
 * WebRTC-direct, with their `/p2p/<peer id>`. Those are the ones to put into a browser page.
 *
 * @example
 * ```ts
 * browserMultiaddrs(relay.getMultiaddrs().map(String)) // ['/ip4/203.0.113.7/tcp/4002/ws/p2p/12D3KooW…']
 * ```
 */
export function browserMultiaddrs (multiaddrs: string[]): string[] {
  return multiaddrs.filter((address) => !address.includes('/p2p-circuit') &&
    /\/(wss?|webrtc-direct)(\/|$)/.test(address))
}

/**
 * The circuit-relay server inside a node made with {@link relayLibp2pOptions} (its live reservations),
 * or undefined for any other node.
 *
 * @example
 * ```ts
 * console.log(relayService(relay.libp2p)?.reservations.size ?? 0, 'browsers hold a slot')
 * ```
 */
export function relayService (libp2p: { services: Record<string, unknown> }): CircuitRelayService | undefined {
  return libp2p.services.relay as CircuitRelayService | undefined
}
