/**
 * The peers of this node's own crowd: those in one of its own address groups (behind the same NAT as
 * it, on the same host, relayed by the same relay as a browser). Stem successors are drawn by address
 * group so that many PeerIds behind one host weigh as one, but that made one attacker host weigh as
 * much as a whole crowd sharing an address: a crowd node that dialed it drew it as one of its two
 * successors in every epoch (review of issue 12, H2). No host outside can put a peer into the node's
 * own address group (a TCP connection's source address is not forged, and a relay gives each client's
 * relayed address the relay's), so there each peer is drawn as a group of its own: the crowd weighs by
 * its members, other hosts each as one, as before.
 *
 * The node's own groups are those of the addresses libp2p announces for it (`getMultiaddrs`): its
 * listen addresses, the public address it was told to announce, a browser's relayed addresses. An
 * address a peer says it observed is never one of them: a peer could claim its own. IPv4 groups only:
 * an IPv6 group is a /48, which a hosting provider shares between unrelated customers (one server a
 * /64 each), so an attacker renting next to a node would count as its crowd; an IPv6 crowd is drawn as
 * one group, as before.
 */
import { addressGroup } from './sync/admission.js'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The IPv4 address groups (`addressGroup`) of a node's own addresses (a relayed address's: its relay's).
 *
 * @example
 * ```ts
 * ownAddressGroups(libp2p.getMultiaddrs()) // Set { 'ip4/127.0.0.1', 'ip4/192.168.1.20' }
 * ```
 */
export function ownAddressGroups (addresses: readonly Multiaddr[]): Set<string> {
  return new Set(addresses.map((address) => addressGroup(address)).filter((group) => group.startsWith('ip4/')))
}

/**
 * The group the stem draws `peer` by, given the address group it is reached at: a group of its own
 * when that is one of this node's `own` groups ({@link ownAddressGroups}), else `group`.
 *
 * @example
 * ```ts
 * stemGroup('ip4/127.0.0.1', 'peer-a', new Set(['ip4/127.0.0.1'])) // 'ip4/127.0.0.1 peer-a'
 * stemGroup('ip4/198.51.100.7', 'peer-b', new Set(['ip4/127.0.0.1'])) // 'ip4/198.51.100.7'
 * ```
 */
export function stemGroup (group: string, peer: string, own: ReadonlySet<string>): string {
  return own.has(group) ? `${group} ${peer}` : group
}
