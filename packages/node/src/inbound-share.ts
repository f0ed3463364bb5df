/**
 * A fair share of a node's inbound connections per address group, with takeover when they are full.
 *
 * A fixed cap per address would lock out a crowd behind one address (a campus NAT, a carrier's CGNAT,
 * every browser behind one relay), and no cap at all let one host with 72 PeerIds take every inbound
 * slot. So an address group (`addressGroup`: an IPv4 address, an IPv6 /48, a relay's address for the
 * peers it relays) may fill the inbound slots while nobody else wants them, and gives them back when
 * someone does: once the slots are full, a connection from a group holding fewer than the largest other
 * group, less one, is let in and the newest connection of that largest group is closed. Equal shares
 * are left alone (no churn), and a group never takes a slot from a smaller one, so the shares converge
 * to max-min fairness whatever order the connections came in. What it does not do: a host with as
 * many addresses (or IPv6 /48s) as there are slots still gets one each, like everyone else.
 */
import { addressGroup } from './sync/admission.js'
import type { Connection, ConnectionGater, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What to do with a new inbound connection: let it in (closing `victim` first, when the slots are full), or refuse it. */
export type InboundDecision = { admit: true, victim?: Connection } | { admit: false }

/**
 * Whether a new inbound connection from `remote` may come in, given the node's open inbound
 * connections, the addresses of those let in but not upgraded yet (`pending`), and how many it accepts
 * (`limit`); and which open connection it takes over when they are full.
 *
 * @example
 * ```ts
 * const decision = admitInbound(maConn.remoteAddr, inbound, 72)
 * if (decision.admit && decision.victim !== undefined) void decision.victim.close()
 * ```
 */
export function admitInbound (remote: Multiaddr, inbound: Connection[], limit: number, pending: Multiaddr[] = []): InboundDecision {
  if (inbound.length + pending.length < limit) return { admit: true }
  const mine = addressGroup(remote)
  const groups = new Map<string, Connection[]>()
  for (const connection of inbound) {
    const group = addressGroup(connection.remoteAddr)
    groups.set(group, [...groups.get(group) ?? [], connection])
  }
  const held = (groups.get(mine)?.length ?? 0) + pending.filter((addr) => addressGroup(addr) === mine).length
  let largest: Connection[] = []
  for (const [group, connections] of groups) {
    if (group !== mine && connections.length > largest.length) largest = connections
  }
  // taking one slot over must leave the requester holding fewer than the group it takes from
  if (held + 1 >= largest.length) return { admit: false }
  const victim = largest.reduce((newest, c) => c.timeline.open > newest.timeline.open ? c : newest)
  return { admit: true, victim }
}

/** Longest a connection let in is counted as pending its upgrade, in ms (libp2p's inbound upgrade timeout is shorter). */
const PENDING_MAX_AGE = 10_000

/** Options of {@link inboundFairShare}. */
export interface InboundFairShareInit {
  /** Most inbound connections the node keeps open. */
  limit: number
  /** The node's open connections (read at every inbound connection). */
  connections(): Connection[]
  /** @default no logging */
  log?: Logger
}

/**
 * The `denyInboundConnection` hook of a node's connection gater that applies {@link admitInbound}:
 * it refuses a connection only when the inbound slots are full and its group holds its share already,
 * and otherwise closes the connection it takes over.
 *
 * @example
 * ```ts
 * createLibp2p({ connectionGater: { denyInboundConnection: inboundFairShare({ limit: 72, connections: () => libp2p.getConnections() }) } })
 * ```
 */
export function inboundFairShare (init: InboundFairShareInit): NonNullable<ConnectionGater['denyInboundConnection']> {
  // let in but not upgraded yet: counted, or a burst of connections would all see the same free slot
  const pending = new Set<MultiaddrConnection>()
  return (maConn) => {
    const inbound = init.connections().filter((c) => c.direction === 'inbound' && c.status === 'open')
    const now = Date.now()
    for (const waiting of pending) {
      const address = waiting.remoteAddr.toString()
      if (waiting.timeline.close !== undefined || now - waiting.timeline.open > PENDING_MAX_AGE || inbound.some((c) => c.remoteAddr.toString().startsWith(address))) pending.delete(waiting)
    }
    const decision = admitInbound(maConn.remoteAddr, inbound, init.limit, [...pending].map((waiting) => waiting.remoteAddr))
    if (!decision.admit) return true
    pending.add(maConn)
    const victim = decision.victim
    if (victim !== undefined) {
      // counts only: no addresses or PeerIds in the log
      init.log?.('inbound full: a connection of the largest address group makes room for a smaller one')
      victim.close({ signal: AbortSignal.timeout(1000) }).catch((err: Error) => { victim.abort(err) })
    }
    return false
  }
}
