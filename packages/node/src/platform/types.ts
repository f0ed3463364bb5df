/**
 * What both platform modules (`node.ts`, `browser.ts`) are told about the network they run on.
 */

/** Network facts that shape a platform's transports and connection gating. */
export interface PlatformNetworkInit {
  /** Private and loopback addresses are the network (a LAN or a test on one machine). */
  allowPrivateAddresses: boolean
  /**
   * ICE (STUN/TURN) servers for WebRTC between browsers (Node.js ignores them). None by default: asking
   * a STUN server tells its operator the node's public address and when it connects to a peer, so only
   * servers the user configured are asked (a relay operator can run one next to the relay).
   *
   * @default []
   */
  iceServers?: RTCIceServer[]
}
