/**
 * Defaults of relaying, in one place: a relay node's circuit-relay-v2 server (`@murmur/node/relay`)
 * and the relayed connections between browsers (relay-connections.ts). Also published on its own as
 * `@murmur/node/relay-constants`, which loads nothing else (the CLI's help text reads it).
 *
 * @example
 * ```ts
 * import { RELAY_TCP_PORT, RELAY_WS_PORT } from '@murmur/node/relay-constants'
 *
 * console.log(RELAY_TCP_PORT, RELAY_WS_PORT) // 4001 4002
 * ```
 */

/** Most relay slots held at once; each browser holds one, so this is how many browsers a relay serves. */
export const RELAY_MAX_RESERVATIONS = 256

/**
 * How long a reservation lasts before the browser must renew it, in ms. Short (libp2p's default is two
 * hours) because a renewal is when a share is re-earned: an address that holds more than its share
 * once others arrive loses the surplus within this time. Clients renew 5 minutes before the end.
 */
export const RELAY_RESERVATION_TTL = 15 * 60_000

/**
 * Largest fraction of the slots not held by other addresses that one client address (IPv4, or an
 * IPv6 /64) may hold. A half: one host alone on a relay gets half of it (a campus behind one NAT
 * address fits), and every address that comes later still finds free slots.
 */
export const RELAY_RESERVATION_SHARE = 0.5

/**
 * Longest life of one relayed connection, in ms. Browsers use relayed connections only to signal
 * WebRTC (an SDP offer, an answer and ICE candidates), which takes seconds.
 */
export const RELAY_DURATION_LIMIT = 2 * 60_000

/** Most bytes one relayed connection may carry: room for noise, identify and the WebRTC signalling. */
export const RELAY_DATA_LIMIT = 1n << 20n

/**
 * Connections a relay keeps room for besides one per slot: Node.js nodes, DHT and gossip peers. A relay's
 * `maxConnections` is its slots plus these (an ordinary node's limit would turn browsers away).
 */
export const RELAY_PEER_CONNECTIONS = 64

/** Most HOP streams open at once on one client connection (libp2p's per-connection stream limit), not over the relay. */
export const RELAY_MAX_HOP_STREAMS = 64

/**
 * The TCP port a relay listens on for Node.js nodes when told nothing, on every interface. Fixed, so
 * that the addresses written into bootstrap lists stay valid across restarts.
 */
export const RELAY_TCP_PORT = 4001

/**
 * The WebSockets port a relay listens on for browsers when told nothing, on every interface. Fixed, so
 * that the addresses written into browser pages stay valid across restarts.
 */
export const RELAY_WS_PORT = 4002

/**
 * Where a relay listens when told nothing: TCP and WebSockets on every IPv4 and IPv6 interface (a host
 * without IPv6 listens on IPv4 alone), at {@link RELAY_TCP_PORT} and {@link RELAY_WS_PORT}.
 */
export const RELAY_LISTEN = relayListen(RELAY_TCP_PORT, RELAY_WS_PORT)

/**
 * A relay's listen addresses on every interface at the given ports (0: a port the system picks).
 *
 * @example
 * ```ts
 * relayListen(4001, 4002) // ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws', '/ip6/::/tcp/4002/ws']
 * ```
 */
export function relayListen (tcpPort: number, wsPort: number): string[] {
  return [`/ip4/0.0.0.0/tcp/${tcpPort}`, `/ip6/::/tcp/${tcpPort}`, `/ip4/0.0.0.0/tcp/${wsPort}/ws`, `/ip6/::/tcp/${wsPort}/ws`]
}

/**
 * How many times a browser starts WebRTC over a relayed connection that a peer sorting after it
 * opened, when the signalling fails (an ICE failure, or a race in @libp2p/webrtc that leaves the
 * initiator waiting out its dial timeout). Two, like a dial of the peer's two relayed addresses.
 */
export const WEBRTC_UPGRADE_ATTEMPTS = 2

/**
 * The header of the index.html `murmur relay` serves that lists the relay's addresses for browsers, separated
 * by spaces. A header, not a file: the page asks for it with a HEAD of itself, which any other static server
 * answers (without it) rather than with a 404.
 */
export const RELAY_HEADER = 'murmur-relays'
