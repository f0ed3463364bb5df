import type { Murmur } from '@murmur/node'

/**
 * A node with no peers and no channels, the parts the control API reads of any node (its status);
 * `extra` adds or overrides what a test needs of it (a feed, a vote that refuses…).
 */
export function stubNode (extra: Record<string, unknown> = {}): Murmur {
  const libp2p = Object.assign(new EventTarget(), { services: { pubsub: Object.assign(new EventTarget(), { getSubscribers: () => [] }) } })
  return Object.assign(new EventTarget(), {
    libp2p,
    peerId: 'stub',
    circles: { list: () => [] },
    getMultiaddrs: () => [],
    peerCount: () => 0,
    channels: () => [],
    channelPeers: () => [],
    clockSkew: () => undefined,
    membership: () => undefined,
    ...extra
  }) as unknown as Murmur
}
