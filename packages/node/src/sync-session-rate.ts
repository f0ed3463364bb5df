/**
 * A rate on the history-sync sessions other peers open here, per address group. HistorySync bounds how many
 * sessions run at once (a fair share of 16 per group) and how many streams one PeerId opens a minute (20),
 * but PeerIds are free: one address could run session after session, each loading a channel's whole id
 * list from the store (up to ~20k reads), reconciling it on the main thread and uploading up to 32 MiB
 * (final review of issue 12, Medium, items 9 and 10). The rate is a fair share, as the responder slots are:
 * while the node opens fewer than `perMinute` sessions a minute in all, any group opens what it asks up to
 * `perGroup`; past it, a group that opened its share in the last minute is refused until its oldest ages out,
 * so whatever one address does, every other group still gets sessions. A group's share is weighed by the
 * peers it has connected here (inbound connections are shared fairly between groups, inbound-share.ts): a
 * crowd of thirty nodes behind one NAT is one group, and counted as one it got 10 of `perMinute` 120 against
 * ten attacker addresses, 1 against a hundred and twenty (second read of issue 12, M3); and `perGroup` holds
 * a lone address that the node is otherwise idle for to a sixth of the rate, not all of it. Peers this node
 * chose and dialed do not count: an attacker cannot make it dial many. The weights are those of the
 * connections open now, every group's included: kept from when each group opened its sessions, an attacker
 * holding 42 of the 72 inbound slots for one address at a time, opening a session and moving on to the next,
 * summed 42 per address it had used in the minute and left a crowd of thirty 12, 8, then 1 of its 30
 * (third read of issue 12, M-a).
 */
import { addressGroup } from './sync/admission.js'
import type { SyncComponents } from './sync/index.js'
import type { Connection, PeerId } from '@libp2p/interface'

/** Sessions a minute this node answers in all before any address group is held to its share. */
export const SYNC_SESSIONS_PER_MINUTE = 120

/** Sessions a minute one address group opens here at most, however idle the node. */
export const SYNC_SESSIONS_PER_GROUP = 20

/** Options of {@link SessionRate}. */
export interface SessionRateInit {
  /**
   * Sessions opened per `window` over all groups before each is held to its share.
   *
   * @default SYNC_SESSIONS_PER_MINUTE
   */
  perMinute?: number
  /**
   * Sessions opened per `window` by one group at most, whatever its share.
   *
   * @default SYNC_SESSIONS_PER_GROUP
   */
  perGroup?: number
  /**
   * The span the counts cover, in ms.
   *
   * @default 60_000
   */
  window?: number
}

/**
 * Fair-share counts of sessions opened per address group over the last window.
 *
 * @example
 * ```ts
 * const rate = new SessionRate({ perMinute: 120, perGroup: 20 })
 * // the group has three of the seventy-two peers connected here: its share is 3/72 of the minute's
 * if (!rate.take('ip4/192.0.2.1', Date.now(), 3, 72)) stream.abort(new Error('sync session rate reached'))
 * ```
 */
export class SessionRate {
  private readonly perMinute: number
  private readonly perGroup: number
  private readonly window: number
  /** Sessions opened in the window, oldest first. */
  private readonly opened: Array<{ group: string, at: number }> = []
  private oldest = 0
  /** How many of them each group opened. */
  private readonly counts = new Map<string, number>()

  constructor (init: SessionRateInit = {}) {
    this.perMinute = init.perMinute ?? SYNC_SESSIONS_PER_MINUTE
    this.perGroup = init.perGroup ?? SYNC_SESSIONS_PER_GROUP
    this.window = init.window ?? 60_000
    if (!(Number.isInteger(this.perMinute) && this.perMinute >= 1)) throw new RangeError(`perMinute must be a positive integer, got ${this.perMinute}`)
    if (!(Number.isInteger(this.perGroup) && this.perGroup >= 1)) throw new RangeError(`perGroup must be a positive integer, got ${this.perGroup}`)
    if (!(this.window > 0)) throw new RangeError(`window must be positive, got ${this.window}`)
  }

  /**
   * Whether `group` may open a session at `now` (ms); if so it is counted. `weight`: how many peers of the
   * group are connected here (at least 1); `total`: how many peers of every group are connected here now, the
   * group's own included. Its share of `perMinute` is `weight` over `total`; without `total`, every other
   * group that opened a session in the window weighs 1.
   */
  take (group: string, now: number, weight = 1, total?: number): boolean {
    this.expire(now)
    const mine = this.counts.get(group) ?? 0
    if (mine >= this.perGroup) return false
    const own = Math.max(1, weight)
    const others = total === undefined ? this.counts.size - (mine > 0 ? 1 : 0) : Math.max(0, total - own)
    const share = Math.max(1, Math.floor(this.perMinute * own / (others + own)))
    if (this.opened.length - this.oldest >= this.perMinute && mine >= share) return false
    this.opened.push({ group, at: now })
    this.counts.set(group, mine + 1)
    return true
  }

  /** Forgets sessions opened a window or more before `now`. */
  private expire (now: number): void {
    while (this.oldest < this.opened.length && now - this.opened[this.oldest]!.at >= this.window) {
      const { group } = this.opened[this.oldest++]!
      const left = this.counts.get(group)! - 1
      if (left > 0) this.counts.set(group, left)
      else this.counts.delete(group)
    }
    // drop the forgotten head now and then, not on every call
    if (this.oldest > 1024 && this.oldest * 2 > this.opened.length) {
      this.opened.splice(0, this.oldest)
      this.oldest = 0
    }
  }
}

/** Options of {@link rateLimitedSync}. */
export interface RateLimitedSyncInit extends SessionRateInit {
  /** The address group a connection counts against. @default addressGroup of its remote address (as the responder slots count) */
  groupOf?(connection: Connection): string
  /** The connections open now, whose groups weigh each group's share (over all of them). @default the components' getConnections, else every group weighs 1 */
  connections?(): Connection[]
  /** Whether this node chose to dial `peer` (`ChosenPeers.dialed`: the peer holds a connection this node chose): its outbound connections are not counted. @default every outbound connection */
  chosen?(peer: PeerId): boolean
  /** Unix milliseconds; only tests pass another clock. @default Date.now */
  now?(): number
}

/**
 * HistorySync's libp2p pieces with {@link SessionRate} in front of its handler: a sync stream from a group
 * past its share is aborted before HistorySync reads it.
 *
 * @example
 * ```ts
 * const sync = new HistorySync(rateLimitedSync(libp2p, { chosen: (peer) => chosen.dialed(peer, libp2p.getConnections(peer)) }), host, { log })
 * ```
 */
export function rateLimitedSync (components: SyncComponents, init: RateLimitedSyncInit = {}): SyncComponents {
  const rate = new SessionRate(init)
  const groupOf = init.groupOf ?? ((connection: Connection) => addressGroup(connection.remoteAddr))
  const chosen = init.chosen ?? (() => true)
  const now = init.now ?? Date.now
  const getConnections = components.getConnections
  const connections = init.connections ?? (getConnections === undefined ? () => [] : () => getConnections.call(components))
  /** Takes a session for `group`, its share weighed by the connections open now that this node did not choose. */
  const take = (group: string, counted: Connection[]): boolean => {
    if (counted.length === 0) return rate.take(group, now())
    return rate.take(group, now(), counted.filter((open) => groupOf(open) === group).length, counted.length)
  }
  return {
    handle: async (protocol, handler, options) => {
      await components.handle(protocol, async (stream, connection) => {
        const dialed = (open: Connection): boolean => open.direction === 'outbound' && chosen(open.remotePeer)
        const group = groupOf(connection)
        if (!dialed(connection) && !take(group, connections().filter((open) => !dialed(open)))) {
          stream.abort(new Error('sync session rate of this address reached'))
          return
        }
        await handler(stream, connection)
      }, options)
    },
    unhandle: async (protocol) => { await components.unhandle(protocol) },
    dialProtocol: async (peer, protocol, options) => await components.dialProtocol(peer, protocol, options),
    ...(getConnections === undefined ? {} : { getConnections: (peer?: PeerId) => getConnections.call(components, peer) })
  }
}
