import { drawFromGroups } from '../random.js'
import type { PeerId } from '@libp2p/interface'

/** How {@link drawSyncPeers} sees a peer. */
export interface SyncPeerView {
  /** The address group of `peer` (an IPv4 address, an IPv6 /48, one group for DNS names). */
  groupOf(peer: PeerId): string
  /** Whether this node chose to dial `peer` (`ChosenPeers.dialed`): such peers are drawn first. */
  chosen(peer: PeerId): boolean
}

/**
 * At most `count` distinct peers of `members` to sync a channel with: first the peers this node chose
 * and dialed, drawn by address group, then the others, drawn by address group. Drawn by PeerId, forty
 * sybils connecting from one address would get forty of every forty-three rounds beside three honest
 * hosts, and with them the say over what history this node fetches first; by group they get one
 * host's share, and none while this node has a peer it chose itself.
 *
 * @example
 * ```ts
 * const [peer] = drawSyncPeers(members, 1, { groupOf: (p) => senders.of(p) ?? p.toString(), chosen: (p) => chosen.dialed(p, libp2p.getConnections(p)) })
 * ```
 */
export function drawSyncPeers (members: readonly PeerId[], count: number, view: SyncPeerView): PeerId[] {
  const chosen: PeerId[] = []
  const others: PeerId[] = []
  for (const peer of members) (view.chosen(peer) ? chosen : others).push(peer)
  const first = drawFromGroups(byGroup(chosen, view), count)
  return [...first, ...drawFromGroups(byGroup(others, view), count - first.length)]
}

function byGroup (peers: readonly PeerId[], view: SyncPeerView): PeerId[][] {
  const groups = new Map<string, PeerId[]>()
  for (const peer of peers) {
    const key = view.groupOf(peer)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [peer])
    else group.push(peer)
  }
  return [...groups.values()]
}
