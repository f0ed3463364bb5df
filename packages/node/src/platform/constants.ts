/**
 * Defaults of the platform pieces (transports, listen addresses, connection gating), in one place.
 */

/**
 * What a browser listens on when `MurmurInit.listen` is empty: a slot on a circuit relay (found among
 * the connected peers) and WebRTC, signalled over that relay. A browser cannot accept anything else.
 */
export const BROWSER_RELAY_LISTEN = ['/p2p-circuit', '/webrtc']

/**
 * ICE servers of a browser node on a private or loopback network (`allowPrivateAddresses`): none. Host
 * candidates reach every peer there, and asking STUN servers on the internet would only leak the
 * node's presence and slow connection set-up. On the internet @libp2p/webrtc's public STUN list is used.
 */
export const PRIVATE_ICE_SERVERS: RTCIceServer[] = []

/** Most relay reservations a browser holds at once: one reachable relay is enough to be dialed. */
export const BROWSER_RESERVATION_CONCURRENCY = 1
