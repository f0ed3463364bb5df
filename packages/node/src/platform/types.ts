/**
 * What both platform modules (`node.ts`, `browser.ts`) are told about the network they run on.
 */

/** Network facts that shape a platform's transports and connection gating. */
export interface PlatformNetworkInit {
  /** Private and loopback addresses are the network (a LAN or a test on one machine). */
  allowPrivateAddresses: boolean
}
