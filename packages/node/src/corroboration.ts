/**
 * Vouches for posts in the store's quota: a post that a peer this node dialed also delivered is
 * *shared* (`PostStore.corroborate`), so a flooder that relays honest posts first (and has them charged
 * to its address group) cannot take them down with its own flood.
 *
 * Only peers this node dialed vouch: it chose them (the rendezvous samples providers), while any
 * address that connects here could be the flooder's second one, vouching for its whole flood. Their
 * copies come as gossip duplicates, which gossipsub drops before any validator sees them; it records
 * who delivered each message in its peer score (`score.deliveryRecords`, kept two minutes), read here
 * a second after the first copy. That is gossipsub's public class field, not its interface type: it
 * is read defensively, and without it vouching by duplicates is off (logged once).
 *
 * A dialed peer can still be the flooder's: a rendezvous draw takes sybil providers in their share, and
 * unless the node says which peers it chose (`chosen`), any outbound connection counts (a DHT query
 * dials the "closer peers" an answer names). Such a peer duplicating the whole flood would have all of
 * it shared, which undoes the rule. So each dialed group's vouches for one sender are budgeted
 * ({@link VouchBudget}): it may duplicate no more of that sender's posts than the median dialed group
 * duplicating them does.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Recent } from './recent.js'
import { addressGroup } from './sync/admission.js'
import type { Connection, Logger, PeerId } from '@libp2p/interface'

/** How long after the first copy of a message its duplicates are looked up, in ms: they come within tens of ms. */
export const VOUCH_DELAY = 1_000

/** Most messages waiting for their lookup; the oldest are dropped (unvouched) beyond it. */
export const VOUCH_QUEUE = 8_192

/** How long duplicates are counted for {@link VouchBudget}, in ms: the counts span the last one to two windows. */
export const VOUCH_WINDOW = 60 * 60 * 1_000

/**
 * Duplicates of one sender's posts a dialed group may vouch for in the counted span whatever the
 * median: with two dialed groups, a flooder's one that duplicates almost nothing would otherwise hold
 * the honest one to its own count.
 */
export const VOUCH_FLOOR = 4

/** Most senders (address groups) whose duplicates {@link VouchBudget} counts at once; the least recent are forgotten. */
export const VOUCH_SENDERS = 1_024

/** The part of gossipsub's peer score read here: who delivered a message, by message id string. */
interface DeliveryRecords {
  getRecord(msgIdStr: string): { peers: Set<string> } | undefined
}

/** Options of {@link VouchBudget}. */
export interface VouchBudgetInit {
  /**
   * How long duplicates are counted, in ms (counts span the last one to two windows).
   *
   * @default VOUCH_WINDOW
   */
  window?: number
  /**
   * Duplicates of one sender's posts a group may vouch for in the counted span whatever the median.
   *
   * @default VOUCH_FLOOR
   */
  floor?: number
  /**
   * Most senders counted at once; the least recently seen is forgotten beyond it.
   *
   * @default VOUCH_SENDERS
   */
  senders?: number
}

/**
 * Decides which dialed group's duplicate vouches for a post, from how many of the sender's posts each
 * dialed group duplicated lately: a group duplicating more of them than the median dialed group does
 * (the lower median, so with two groups the larger is held to the smaller) vouches for none until the
 * others catch up. An honest sender's posts reach this node's dialed peers alike, so their counts stay
 * close; a flooder's own identity at a dialed address that duplicates its flood stands out, and to stay
 * within the median it may vouch for no more of the flood than honest dialed peers duplicate of the
 * honest posts it relays. Skewing the median either way takes half of the dialed groups duplicating
 * the sender's posts.
 *
 * @example
 * ```ts
 * const budget = new VouchBudget()
 * budget.judge('ip4/10.66.0.1', ['ip4/192.0.2.1'], Date.now()) // 'ip4/192.0.2.1': that group vouches
 * ```
 */
export class VouchBudget {
  private readonly window: number
  private readonly floor: number
  private readonly senders: number
  /** sender group → dialed group → duplicates counted in this window (and in the one before) */
  private current: Recent<Map<string, number>>
  private previous: Recent<Map<string, number>>
  private since?: number

  constructor (init: VouchBudgetInit = {}) {
    this.window = init.window ?? VOUCH_WINDOW
    this.floor = init.floor ?? VOUCH_FLOOR
    this.senders = init.senders ?? VOUCH_SENDERS
    this.current = new Recent(this.senders)
    this.previous = new Recent(this.senders)
  }

  /**
   * The dialed groups `vouchers` delivered a duplicate of a post first delivered by `sender`, at `now`
   * (ms): counts them, and returns the first of them within its budget, whose vouch counts, or
   * `undefined` when none is (the sender's own group never vouches).
   */
  judge (sender: string, vouchers: Iterable<string>, now: number): string | undefined {
    this.rotate(now)
    const groups = [...new Set(vouchers)].filter((group) => group !== sender)
    if (groups.length === 0) return undefined
    const counts = this.current.get(sender) ?? new Map<string, number>()
    this.current.set(sender, counts)
    for (const group of groups) counts.set(group, (counts.get(group) ?? 0) + 1)
    const totals = new Map(counts)
    for (const [group, count] of this.previous.get(sender) ?? []) totals.set(group, (totals.get(group) ?? 0) + count)
    const sorted = [...totals.values()].sort((a, b) => a - b)
    const budget = Math.max(this.floor, sorted[Math.floor((sorted.length - 1) / 2)]!)
    return groups.find((group) => totals.get(group)! <= budget)
  }

  private rotate (now: number): void {
    if (this.since === undefined) this.since = now
    if (now - this.since < this.window) return
    this.previous = now - this.since < 2 * this.window ? this.current : new Recent(this.senders)
    this.current = new Recent(this.senders)
    this.since = now
  }
}

/**
 * The connections this node chose to open: those to its bootstrap peers and those it opened (or took
 * over) to reach a peer it drew (rendezvous, discovery) at the drawn address, as against connections an
 * outbound dial alone shows, which a DHT query may have opened on a remote peer's word (the closest
 * peers of a key, every storer a rendezvous lookup asks, the closer peers an answer names). The one
 * source of "dialed" for whatever trusts a peer more for being dialed: the stem's successors, the
 * discovery and rendezvous targets, gossip's score, vouching, sync slots and sync peers, and the
 * outbound connections never closed as idle or past the cap. Only the node's own dial of a drawn
 * address adds to it; nothing a DHT query dials does.
 *
 * Chosen is a property of the connection, not of the PeerId that answered on it: a drawn address answers
 * with whatever key its host likes, and when that peer drops the record is dialed again, so one drawn
 * record answered by a fresh key at each redial made every one of those keys chosen for good, and any
 * later DHT dial of them counted as the node's own (sixth read of issue 12, H2). A record so holds one
 * chosen connection at a time, and a connection chosen is gone with it (a WeakSet: nothing to bound).
 * A bootstrap peer is the user's choice of a key: every outbound connection to it counts.
 *
 * @example
 * ```ts
 * const chosen = new ChosenPeers(config.bootstrap)
 * chosen.add(connection) // the connection dialDrawn opened to a drawn address
 * chosen.dialed(peer, libp2p.getConnections(peer)) // a chosen connection to the peer is open
 * chosen.dialedCount(libp2p.getConnections()) // how many peers hold one
 * ```
 */
export class ChosenPeers {
  private readonly bootstrap: Set<string>
  private readonly drawn = new WeakSet<Connection>()

  /** `bootstrap`: the bootstrap multiaddrs (outbound connections to their `/p2p/` peer ids are chosen). */
  constructor (bootstrap: string[] = []) {
    this.bootstrap = new Set(bootstrap.flatMap((addr) => {
      try {
        return multiaddr(addr).getComponents().findLast((component) => component.name === 'p2p')?.value ?? []
      } catch {
        return [] // not a multiaddr: libp2p's bootstrap refuses it too, so it is never dialed
      }
    }))
  }

  /** This node opened `connection` (or took it over) to reach a drawn peer at the address it drew. */
  add (connection: Connection): void {
    this.drawn.add(connection)
  }

  /** Whether `connection` is one this node chose to open: outbound, drawn ({@link add}) or to a bootstrap peer. */
  chose (connection: Connection): boolean {
    return connection.direction === 'outbound' && (this.drawn.has(connection) || this.bootstrap.has(connection.remotePeer.toString()))
  }

  /** Whether `peer` holds an open connection this node chose among `connections` (its own). */
  dialed (peer: PeerId, connections: readonly Connection[]): boolean {
    return connections.some((c) => c.status === 'open' && c.remotePeer.equals(peer) && this.chose(c))
  }

  /** How many distinct peers hold an open connection this node chose among `connections` (all of the node's). */
  dialedCount (connections: readonly Connection[]): number {
    const peers = new Set<string>()
    for (const c of connections) {
      if (c.status === 'open' && this.chose(c)) peers.add(c.remotePeer.toString())
    }
    return peers.size
  }
}

/** What {@link Corroboration} needs from the node. */
export interface CorroborationComponents {
  /** The gossipsub service (its `score.deliveryRecords` is read). */
  pubsub: unknown
  /** The open connections of a peer. */
  getConnections(peer: PeerId): Connection[]
  /** The store's vouch. */
  corroborate(id: Uint8Array, from: string): Promise<boolean>
  /** The address group a post delivered by `peer` is charged to (default: that of its first open connection). */
  groupOf?(peer: PeerId): string | undefined
  /**
   * Whether this node chose to open `connection` (`ChosenPeers.chose`: a rendezvous or discovery draw, a
   * bootstrap peer), where an outbound connection alone may have been asked for by the peer itself (a
   * DHT query dials the closer peers an answer names). Default: every open outbound connection counts.
   */
  chosen?(connection: Connection): boolean
  log: Logger
}

/**
 * Looks up, a second after a gossip message was first accepted, which peers this node dialed delivered
 * it too, and has the store mark the post shared by one of their address groups within its
 * {@link VouchBudget}.
 *
 * @example
 * ```ts
 * const chosen = new ChosenPeers(config.bootstrap)
 * const vouches = new Corroboration({ pubsub, getConnections: (p) => libp2p.getConnections(p), corroborate: (id, g) => store.corroborate(id, g), groupOf: (p) => senders.of(p), chosen: (c) => chosen.chose(c), log })
 * vouches.watch(msgIdStr, post.id, propagationSource)
 * ```
 */
export class Corroboration {
  private readonly components: CorroborationComponents
  private readonly records?: DeliveryRecords
  private readonly budget: VouchBudget
  private readonly queue: Array<{ msgIdStr: string, id: Uint8Array, sender: string, due: number }> = []
  private timer?: ReturnType<typeof setTimeout>

  constructor (components: CorroborationComponents, init: VouchBudgetInit = {}) {
    this.components = components
    this.budget = new VouchBudget(init)
    const records = (components.pubsub as { score?: { deliveryRecords?: Partial<DeliveryRecords> } }).score?.deliveryRecords
    if (typeof records?.getRecord === 'function') {
      this.records = records as DeliveryRecords
    } else {
      components.log('gossipsub keeps no delivery records: posts are not vouched for by duplicates')
    }
  }

  /**
   * A gossip message carrying the post `id` was accepted from `from` (whose group it is charged to):
   * the peers this node dialed that deliver duplicates vouch after {@link VOUCH_DELAY}.
   */
  watch (msgIdStr: string, id: Uint8Array, from: PeerId): void {
    if (this.records === undefined) return
    // the group now, while the sender is surely connected; its peer id when it is not
    const sender = this.groupOf(from) ?? from.toString()
    this.queue.push({ msgIdStr, id, sender, due: Date.now() + VOUCH_DELAY })
    if (this.queue.length > VOUCH_QUEUE) this.queue.shift()
    this.timer ??= setTimeout(() => { this.drain() }, VOUCH_DELAY)
  }

  /** Stops the timer; the messages still waiting go unvouched. */
  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.queue.length = 0
  }

  private drain (): void {
    this.timer = undefined
    const now = Date.now()
    while (this.queue.length > 0 && (this.queue[0]?.due ?? Infinity) <= now) {
      const { msgIdStr, id, sender } = this.queue.shift()!
      const dialed = [...this.records?.getRecord(msgIdStr)?.peers ?? []].flatMap((peer) => this.dialedGroup(peerIdFromString(peer)) ?? [])
      const voucher = this.budget.judge(sender, dialed, now)
      if (voucher === undefined) continue
      this.components.corroborate(id, voucher).catch((err: unknown) => {
        this.components.log('could not mark a post shared - %e', err)
      })
    }
    const next = this.queue[0]
    if (next !== undefined) this.timer = setTimeout(() => { this.drain() }, Math.max(0, next.due - now))
  }

  /** The address group of the open connection to `peer` this node chose to open (any outbound one without `chosen`), else `undefined`. */
  private dialedGroup (peer: PeerId): string | undefined {
    const chosen = this.components.chosen ?? (() => true)
    const dialed = this.components.getConnections(peer).find((c) => c.direction === 'outbound' && c.status === 'open' && chosen(c))
    return dialed === undefined ? undefined : addressGroup(dialed.remoteAddr)
  }

  private groupOf (peer: PeerId): string | undefined {
    if (this.components.groupOf !== undefined) return this.components.groupOf(peer)
    const connection = this.components.getConnections(peer)[0]
    return connection === undefined ? undefined : addressGroup(connection.remoteAddr)
  }
}
