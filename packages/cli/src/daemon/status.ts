/**
 * What a running node reports about itself: peers, channels and addresses, and when that changes.
 */
import { MAX_CLOCK_SKEW } from '@murmur/protocol'
import { STATUS_DEBOUNCE } from '../constants.js'
import { VERSION } from '../version.js'
import { membershipStatus } from '../membership.js'
import type { ChannelStatus, ClockStatus, PeerResponse, StatusResponse } from '../api-types.js'
import type { Murmur } from '@murmur/node'

/**
 * A snapshot of the node's status.
 *
 * @example
 * ```ts
 * const { peers, channels } = readStatus(node, Date.now())
 * ```
 */
export function readStatus (node: Murmur, startedAt: number): StatusResponse {
  return {
    version: VERSION,
    pid: process.pid,
    peerId: node.peerId.toString(),
    multiaddrs: node.getMultiaddrs().map(String),
    peers: node.peerCount(),
    channels: channelStatus(node),
    uptime: Math.floor((Date.now() - startedAt) / 1000),
    clock: clockStatus(node.clockSkew()),
    membership: membershipStatus(node.membership()),
    onion: node.onion
  }
}

/**
 * Calls `onChange` whenever the node's membership changes (minting progress, a new stamp, the directory's
 * size), on the node's 'membership' event: no timer, nothing read between changes. Returns a function
 * that stops watching.
 *
 * @example
 * ```ts
 * const unwatch = watchMembership(node, () => { broadcast(readStatus(node, startedAt)) })
 * ```
 */
export function watchMembership (node: Pick<Murmur, 'addEventListener' | 'removeEventListener'>, onChange: () => void): () => void {
  const changed = (): void => { onChange() }
  node.addEventListener('membership', changed)
  return () => { node.removeEventListener('membership', changed) }
}

/**
 * The clock part of the status from the node's estimate (`Murmur.clockSkew()`).
 *
 * @example
 * ```ts
 * clockStatus(node.clockSkew()) // { offset: 312, skewed: true }
 * ```
 */
export function clockStatus (offset: number | undefined): ClockStatus {
  return { offset: offset ?? null, skewed: offset !== undefined && Math.abs(offset) > MAX_CLOCK_SKEW }
}

/**
 * One line for people about a clock that is off: what is wrong and what to do.
 *
 * @example
 * ```ts
 * clockWarning(-300) // "this device's clock is about 300 s behind the network's …"
 * ```
 */
export function clockWarning (offset: number): string {
  return `this device's clock is about ${Math.abs(offset)} s ${offset > 0 ? 'ahead of' : 'behind'} the network's (${MAX_CLOCK_SKEW} s are accepted): ` +
    'your posts are refused until you set it right (turn on automatic time, e.g. `timedatectl set-ntp true`)'
}

/**
 * Joined channels with the number of connected peers subscribed to each.
 *
 * @example
 * ```ts
 * channelStatus(node) // [{ channel: '#lobby', peers: 2 }]
 * ```
 */
export function channelStatus (node: Murmur): ChannelStatus[] {
  return node.channels().map((channel) => ({ channel, peers: node.channelPeers(channel).length }))
}

/**
 * The open connections, one entry per connection.
 *
 * @example
 * ```ts
 * readPeers(node) // [{ peerId: '12D3Koo…', addr: '/ip4/127.0.0.1/tcp/4001', direction: 'outbound', connections: 1, channels: ['#lobby'] }]
 * ```
 */
export function readPeers (node: Murmur): PeerResponse[] {
  const channels = node.channels().map((channel) => ({
    channel,
    subscribers: new Set(node.channelPeers(channel).map(String))
  }))
  // one row per peer: two nodes that dialed each other at once hold two connections
  const byPeer = new Map<string, PeerResponse>()
  for (const connection of node.libp2p.getConnections()) {
    const peerId = connection.remotePeer.toString()
    const seen = byPeer.get(peerId)
    if (seen !== undefined) {
      seen.connections += 1
      continue
    }
    byPeer.set(peerId, {
      peerId,
      addr: connection.remoteAddr.toString(),
      direction: connection.direction,
      connections: 1,
      channels: channels.filter((c) => c.subscribers.has(peerId)).map((c) => c.channel)
    })
  }
  return [...byPeer.values()]
}

/** The name of an event of the node's libp2p (`peer:update`, …). */
type Libp2pEventName = Parameters<Murmur['libp2p']['addEventListener']>[0]

/**
 * Calls `onChange` (debounced) whenever a peer connects or disconnects or a subscription changes,
 * and on each of `extraEvents` of the node's libp2p; returns a function that stops watching.
 *
 * @example
 * ```ts
 * const unwatch = watchStatus(node, () => { render(readStatus(node, startedAt)) })
 * const unwatchRelay = watchStatus(relay, report, ['peer:update'])
 * ```
 */
export function watchStatus (node: Murmur, onChange: () => void, extraEvents: Libp2pEventName[] = []): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const changed = (): void => {
    clearTimeout(timer)
    timer = setTimeout(onChange, STATUS_DEBOUNCE)
  }
  const { libp2p } = node
  const events: Libp2pEventName[] = ['peer:connect', 'peer:disconnect', ...extraEvents]
  for (const event of events) libp2p.addEventListener(event, changed)
  node.addEventListener('channel-peers', changed)
  return () => {
    clearTimeout(timer)
    for (const event of events) libp2p.removeEventListener(event, changed)
    node.removeEventListener('channel-peers', changed)
  }
}
