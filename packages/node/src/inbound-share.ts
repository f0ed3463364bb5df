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
 * to max-min fairness whatever order the connections came in. The connection taken over is closed
 * only once the newcomer finished its handshake and every other rule let it in: decided on the address
 * alone, a silent TCP socket or a peer cut off for invalid messages closed an established connection
 * each (review 3, Medium 11). The connections let in but not yet upgraded are shared the same way,
 * within a budget of their own ({@link INBOUND_PENDING_BUDGET}): libp2p's global limit on them counts
 * before any gater hook, so ten sockets that never spoke locked everyone out for the whole upgrade
 * timeout (review 4); once the budget is full, a newcomer from a smaller group aborts the largest
 * group's oldest pending socket, and a newcomer from the largest group one of its own group's: the oldest
 * once that one is pending past {@link PENDING_STALE_AFTER}, else a random one (twelfth and thirteenth
 * reads, Medium 1 and 2: else one member of a crowd behind one address kept the others out with silent
 * sockets, renewed before they turned stale). What it does not do: a host with as many addresses (or
 * IPv6 /48s) as there are slots still gets one each, like everyone else; a crowd member opening sockets
 * at `r` a second aborts a neighbour's handshake of `d` seconds with odds of about `1 - exp(-r d / 64)`,
 * though no other address's: before the handshake nothing tells its sockets from theirs.
 */
import { INBOUND_PENDING_BUDGET, INBOUND_UPGRADE_TIMEOUT } from './constants.js'
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
  const victims = takeOver(mine, inbound, pending.filter((addr) => addressGroup(addr) === mine).length)
  if (victims === undefined) return { admit: false }
  const victim = victims.reduce((newest, c) => c.timeline.open > newest.timeline.open ? c : newest)
  return { admit: true, victim }
}

/**
 * The connections of the largest address group other than `mine` among `held`, when `mine` (holding
 * its own among them, plus `extra`) may take one of them over: taking one must leave it holding fewer
 * than the group it takes from. Undefined when it may not.
 */
function takeOver<T extends { remoteAddr: Multiaddr }> (mine: string, held: T[], extra = 0): T[] | undefined {
  const groups = new Map<string, T[]>()
  for (const connection of held) {
    const group = addressGroup(connection.remoteAddr)
    const connections = groups.get(group)
    if (connections === undefined) groups.set(group, [connection])
    else connections.push(connection)
  }
  let largest: T[] = []
  for (const [group, connections] of groups) {
    if (group !== mine && connections.length > largest.length) largest = connections
  }
  return (groups.get(mine)?.length ?? 0) + extra + 1 < largest.length ? largest : undefined
}

/** How long past the upgrade timeout a connection let in is still counted as pending, in ms (the timeout's abort and the socket's close take a few turns). */
const PENDING_MARGIN = 5_000

/** Longest the takeover waits for the connection it closes, in ms, before aborting it. */
const VICTIM_CLOSE_TIMEOUT = 1_000

/**
 * How long a connection may have been pending (let in, handshake unfinished) before a newcomer of its own
 * address group takes its place ahead of the group's younger ones (which it takes at random otherwise)
 * once the pending budget is full, in ms. An honest handshake takes milliseconds: at a node under a
 * load average of 10-13 on two cores, 64 and 128 clients dialing at once finished theirs in at most
 * 495 ms (p99 286 ms, 574 handshakes); 2 s is four times that. So a socket silent that long goes first:
 * a young one may be a neighbour's handshake under way (twelfth read of issue 12, Medium 1: with silent
 * sockets reopened as they timed out, 19 of 20 dials from the crowd's address were refused over 40 s).
 * @default 2000
 */
export const PENDING_STALE_AFTER = 2_000

/** Options of {@link inboundFairShare}. */
export interface InboundFairShareInit {
  /** Most inbound connections the node keeps open. */
  limit: number
  /** The node's open connections (read at every inbound connection). */
  connections(): Connection[]
  /**
   * Most connections let in but not upgraded yet, over every address group. Keep libp2p's
   * `maxIncomingPendingConnections` well above it: libp2p refuses past its own before this gate is asked.
   *
   * @default INBOUND_PENDING_BUDGET
   */
  pendingBudget?: number
  /**
   * libp2p's `inboundUpgradeTimeout`, in ms: a connection let in longer ago than this (and a margin)
   * is no longer counted as pending, should its close have gone unseen.
   *
   * @default INBOUND_UPGRADE_TIMEOUT
   */
  upgradeTimeout?: number
  /**
   * How long a pending connection may go unfinished before a newcomer of its own address group takes its
   * place ahead of the group's younger ones when the pending budget is full, in ms.
   *
   * @default PENDING_STALE_AFTER
   */
  staleAfter?: number
  /**
   * Picks which of its own group's young pending connections a newcomer takes over: a number in [0, 1).
   *
   * @default Math.random
   */
  random?: () => number
  /** @default no logging */
  log?: Logger
}

/** The hooks of a node's connection gater that share its inbound slots (see {@link inboundFairShare}). */
export type InboundFairShare = Required<Pick<ConnectionGater, 'denyInboundConnection' | 'denyInboundUpgradedConnection'>>

/**
 * The connection gater hooks that apply {@link admitInbound} in two steps. Before the upgrade, when
 * only the address is known, a connection is refused when the inbound slots are full and its group
 * holds its share already, or when the pending budget is full and its group holds none of the pending
 * connections while another may not give one up; when it is full otherwise, it aborts the oldest pending
 * connection of the group that holds the most, or one of its own group's (the oldest if pending past
 * `staleAfter`, else a random one); and
 * otherwise let in provisionally, closing no established connection: a plain TCP socket that
 * never speaks, or a peer refused later (cut off), must not cost anyone their connection. Once the
 * newcomer is authenticated and every other rule let it through (`denyInboundUpgradedConnection`, asked
 * last), the slots are counted again and the connection it takes over is closed, and waited for, before
 * the newcomer is registered, so the node never holds more inbound connections than `limit` for longer
 * than that close.
 *
 * @example
 * ```ts
 * createLibp2p({ connectionGater: { ...inboundFairShare({ limit: 72, connections: () => libp2p.getConnections() }) } })
 * ```
 */
export function inboundFairShare (init: InboundFairShareInit): InboundFairShare {
  const pendingBudget = init.pendingBudget ?? INBOUND_PENDING_BUDGET
  const pendingMaxAge = (init.upgradeTimeout ?? INBOUND_UPGRADE_TIMEOUT) + PENDING_MARGIN
  const staleAfter = init.staleAfter ?? PENDING_STALE_AFTER
  const random = init.random ?? Math.random
  // let in before the upgrade: counted there for their own group, or a burst of connections from one
  // address would all see the same free slot and spend a handshake each to be refused after it
  const pending = new Set<MultiaddrConnection>()
  // passed the upgraded hook, not yet among the node's connections: counted at both steps
  const admitted = new Set<MultiaddrConnection>()
  // taken over and closing (a connection reads 'open' while its muxer closes): counted at neither
  const leaving = new Set<Connection>()
  // connections that went through the first step; a connection the node dialed as responder did not
  const gated = new WeakSet<MultiaddrConnection>()

  /**
   * The pending connection whose place a newcomer of `group` takes when the pending budget is full: the
   * oldest of the largest other group when `group` may take one over (takeOver), else one of its own
   * group (shares unchanged): the oldest once it has been pending longer than `staleAfter` (no honest
   * handshake is that slow), else a random one: a member renewing `r` sockets a second before they turn
   * stale aborts a neighbour's handshake of `d` seconds, among `n` places, with odds of about
   * `1 - exp(-r d / n)`, not every one; undefined (the group holds none): the newcomer is refused. `own`:
   * the group's pending connections.
   */
  const pendingVictim = (group: string, own: MultiaddrConnection[]): MultiaddrConnection | undefined => {
    const others = takeOver(group, [...pending])
    if (others !== undefined) return oldest(others)
    if (own.length === 0) return undefined
    const first = oldest(own)
    return Date.now() - first.timeline.open > staleAfter ? first : own[Math.floor(random() * own.length)]
  }

  /** The open inbound connections, after dropping the bookkeeping of connections settled since. */
  const settle = (): Connection[] => {
    const inbound = init.connections().filter((c) => c.direction === 'inbound' && c.status === 'open' && !leaving.has(c))
    const now = Date.now()
    for (const waiting of pending) {
      if (waiting.timeline.close !== undefined || now - waiting.timeline.open > pendingMaxAge) pending.delete(waiting)
    }
    for (const waiting of admitted) {
      if (waiting.timeline.close !== undefined || now - waiting.timeline.open > pendingMaxAge || inbound.some((c) => sameConnection(c, waiting))) admitted.delete(waiting)
    }
    return inbound
  }

  return {
    denyInboundConnection: (maConn) => {
      const inbound = settle()
      // the group's own pending connections count (a burst from one address is refused before the
      // handshake once it would fill the slots), other groups' do not: a socket that never speaks holds
      // no slot against anyone else
      const group = addressGroup(maConn.remoteAddr)
      const own = [...pending].filter((waiting) => addressGroup(waiting.remoteAddr) === group)
      const decision = admitInbound(maConn.remoteAddr, inbound, init.limit, [...own, ...admitted].map((waiting) => waiting.remoteAddr))
      if (!decision.admit) return true
      // the pending places are shared the same way: one host's silent sockets hold at most those
      // nobody else asks for, and the oldest (a handshake takes milliseconds) goes first; within one
      // group (a crowd behind one address) a socket silent past staleAfter, else a random one, gives its
      // place up
      if (pending.size >= pendingBudget) {
        const evicted = pendingVictim(group, own)
        if (evicted === undefined) return true
        pending.delete(evicted)
        // counts only: no addresses in the log
        init.log?.('inbound pending budget full: an old pending connection makes room for a newcomer')
        evicted.abort(new PendingTakenOverError())
      }
      pending.add(maConn)
      gated.add(maConn)
      return false
    },
    denyInboundUpgradedConnection: async (_peer, maConn) => {
      if (!gated.has(maConn)) return false
      pending.delete(maConn)
      const inbound = settle()
      // only connections that are (or are about to be) established count now: a silent socket still
      // pending holds no slot anyone has to give up
      const decision = admitInbound(maConn.remoteAddr, inbound, init.limit, [...admitted].map((waiting) => waiting.remoteAddr))
      if (!decision.admit) return true
      admitted.add(maConn)
      const victim = decision.victim
      if (victim !== undefined) {
        leaving.add(victim)
        // counts only: no addresses or PeerIds in the log
        init.log?.('inbound full: a connection of the largest address group makes room for a smaller one')
        try {
          await victim.close({ signal: AbortSignal.timeout(VICTIM_CLOSE_TIMEOUT) })
        } catch (err) {
          victim.abort(err as Error)
        } finally {
          leaving.delete(victim)
        }
      }
      return false
    }
  }
}

/** The connection opened first. */
function oldest<T extends { timeline: { open: number } }> (connections: T[]): T {
  return connections.reduce((first, c) => c.timeline.open < first.timeline.open ? c : first)
}

/** Whether `connection` is the upgraded `maConn` (its address is the socket's, with the PeerId added). */
function sameConnection (connection: Connection, maConn: MultiaddrConnection): boolean {
  const address = maConn.remoteAddr.toString()
  const remote = connection.remoteAddr.toString()
  return remote === address || remote.startsWith(`${address}/p2p/`)
}

/**
 * Thrown into (aborts) an inbound connection still upgrading whose pending place a newcomer took over: one
 * from a smaller address group, or one of its own group (the oldest once pending past PENDING_STALE_AFTER,
 * else a random one).
 */
export class PendingTakenOverError extends Error {
  static override readonly name = 'PendingTakenOverError'
  override readonly name = 'PendingTakenOverError'
  readonly code = 'ERR_INBOUND_PENDING_TAKEN_OVER'

  constructor (message = 'the pending place of this inbound connection went to a newcomer (from a smaller address group, or from its own)') {
    super(message)
  }
}
