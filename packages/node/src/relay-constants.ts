/**
 * Defaults of relaying, in one place: a relay node's circuit-relay-v2 server (`@murmur/node/relay`)
 * and the relayed connections between browsers (relay-connections.ts). Also published on its own as
 * `@murmur/node/relay-constants`, which loads nothing else (the CLI's help text reads it).
 *
 * @example
 * ```ts
 * import { RELAY_LISTEN } from '@murmur/node/relay-constants'
 *
 * console.log(RELAY_LISTEN) // ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws']
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

/** Most relayed connections being set up at once (inbound HOP streams). */
export const RELAY_MAX_HOP_STREAMS = 64

/**
 * Where a relay listens when told nothing: TCP for Node.js nodes and WebSockets for browsers, on
 * fixed ports so that the addresses written into browser pages stay valid across restarts.
 */
export const RELAY_LISTEN = ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws']

/**
 * How many times a browser starts WebRTC over a relayed connection that a peer sorting after it
 * opened, when the signalling fails (an ICE failure, or a race in @libp2p/webrtc that leaves the
 * initiator waiting out its dial timeout). Two, like a dial of the peer's two relayed addresses.
 */
export const WEBRTC_UPGRADE_ATTEMPTS = 2
