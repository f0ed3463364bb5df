/**
 * Defaults of the platform pieces (transports, listen addresses, connection gating), in one place.
 */

/**
 * What a browser listens on when `MurmurInit.listen` is empty: a slot on a circuit relay (found among
 * the connected peers) and WebRTC, signalled over that relay. A browser cannot accept anything else.
 */
export const BROWSER_RELAY_LISTEN = ['/p2p-circuit', '/webrtc']

/**
 * ICE servers of a browser node unless the user configures some: none, on any network. A third-party
 * STUN server (@libp2p/webrtc's default list) would learn every node's public address and when it
 * connects; host candidates reach every peer on one machine or LAN. Across NATs WebRTC needs a
 * STUN (or TURN) server, which the user or relay operator chooses (docs/BROWSER.md).
 */
export const DEFAULT_ICE_SERVERS: readonly RTCIceServer[] = []

/** Most relay reservations a browser holds at once: one reachable relay is enough to be dialed. */
export const BROWSER_RESERVATION_CONCURRENCY = 1
