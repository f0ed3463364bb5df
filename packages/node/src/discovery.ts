/**
 * Dialing the peers a node finds by discovery, so that whoever names them (a DHT answer, a storer of
 * provider records) does not choose them: they are drawn by address group ({@link GroupedPool}), and the
 * node's target is counted in groups, not PeerIds: a group already holding one of the node's dialed peers
 * gets another only once no group holding fewer is left to try. A failed dial is retried within bounds,
 * remembered by address, not by the PeerId a record claims.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT, DISCOVERY_ALONE_RETRY, DISCOVERY_DIAL_BELOW, DISCOVERY_WINDOW, RENDEZVOUS_MAX_INTERVAL, RENDEZVOUS_POOL } from './constants.js'
import { dialKeys, GroupedPool, peerGroup } from './discovery-pool.js'
import { Recent } from './recent.js'
import type { PoolRecord } from './discovery-pool.js'
import type { Logger, PeerId, PeerInfo } from '@libp2p/interface'

export { GroupedPool, peerGroup } from './discovery-pool.js'
export type { PoolRecord } from './discovery-pool.js'
export { randomIndex, sample, drawFromGroups } from './random.js'

/**
 * A drawn address whose dial failed this many times in a row (under whatever PeerIds records claimed
 * at it) is not dialed again until {@link DISCOVERY_FAILED_FOR} has passed (2 s, 4 s, … 16 s apart by
 * default: about half a minute of tries). Bootstrap peers are never given up.
 */
export const DISCOVERY_MAX_FAILURES = 5

/**
 * How long an address that failed {@link DISCOVERY_MAX_FAILURES} times in a row is left out of the draws
 * (30 min): records naming it again are not kept, so a later discovery of the same group draws among the
 * addresses not yet tried, and fake records at an honest host's closed ports wear out.
 */
export const DISCOVERY_FAILED_FOR = 30 * 60_000

/**
 * Addresses whose failures are remembered (the most recent): a dial of a failed address counts on from
 * where it stopped, whichever PeerId a record claims at it.
 */
export const DISCOVERY_FAILED_ADDRESSES = 4096

/**
 * Most records of one address group the dialer's pool keeps (a uniform sample of those offered). Records
 * are claims: fake ones at closed ports of an honest host's IP compete with its real record within its
 * group, and the group's turns go on (it keeps its place, see {@link DiscoveryDialer}) until the real
 * one is tried; a sample of 8 lost it among 20 fakes.
 */
export const DISCOVERY_PER_GROUP = 32

/**
 * Most records of one address group a draw tries in its turn, one after another until one is reached:
 * records are claims, and those of a group that fail (a PeerId claimed at another's address, a closed
 * port) must not give its turn to a group whose records work.
 */
export const DISCOVERY_GROUP_TRIES = 4

/**
 * The bootstrap peers of a node's configuration (`MurmurInit.bootstrap`, multiaddrs ending in
 * `/p2p/<PeerId>`), as {@link DiscoveryDialerInit.bootstrap} takes them: one entry per PeerId with all
 * of its addresses; an address naming no PeerId is left to the bootstrap module.
 *
 * @example
 * ```ts
 * bootstrapPeers(['/ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…']) // [{ id, multiaddrs: [/ip4/…] }]
 * ```
 */
export function bootstrapPeers (addresses: readonly string[]): PeerInfo[] {
  const peers = new Map<string, PeerInfo>()
  for (const address of addresses) {
    const addr = multiaddr(address)
    const id = addr.getComponents().findLast((component) => component.name === 'p2p')?.value
    if (id === undefined) continue
    const peer = peers.get(id) ?? { id: peerIdFromString(id), multiaddrs: [] }
    peer.multiaddrs.push(addr)
    peers.set(id, peer)
  }
  return [...peers.values()]
}

/** What {@link DiscoveryDialer} needs from the node. */
export interface DiscoveryDialerComponents {
  /**
   * Open connections this node dialed. Inbound ones do not count: anyone can connect, and a swarm that
   * did must not stop the node dialing peers it drew itself.
   */
  dialedCount(): number
  /** Whether a connection to the peer is open. */
  isConnected(peer: PeerId): boolean
  /**
   * Whether this node chose the peer and holds an outbound connection to it (`ChosenPeers.dialed`).
   * Such a peer is not drawn again; one that is only connected (a DHT query dialed it, or it dialed in)
   * is, and its draw makes it chosen: else an honest host that kad-dht reached first was never chosen.
   *
   * @default isConnected (a connected peer is never drawn)
   */
  isDialed?(peer: PeerId): boolean
  /**
   * Dials a drawn peer (`dialDrawn`; `exact` for a bootstrap peer: by its PeerId) and returns the
   * peer reached, or nothing if it cannot tell (then `isDialed` says). Failures are the dialer's
   * to log.
   */
  dial(peer: PeerInfo, signal: AbortSignal, exact?: boolean): Promise<PeerId | undefined | void>
  /**
   * Where the dialer logs (counts and address groups, never a PeerId or an address).
   *
   * @default the default logger's `murmur:discovery` component
   */
  log?: Logger
}

/** Options of {@link DiscoveryDialer}. */
export interface DiscoveryDialerInit {
  /**
   * Discovered peers are dialed only while the node has dialed fewer open connections than this.
   *
   * @default DISCOVERY_DIAL_BELOW (8)
   */
  below?: number
  /**
   * How long discovered peers are gathered before some are drawn and dialed, in ms.
   *
   * @default DISCOVERY_WINDOW (2 s)
   */
  window?: number
  /**
   * A drawn record whose dial left no connection is offered again after this delay, doubled on each
   * failure up to {@link RENDEZVOUS_MAX_INTERVAL} (5 min), while the node is still short; after
   * {@link DISCOVERY_MAX_FAILURES} failures in a row at its addresses it is given up.
   *
   * @default DISCOVERY_WINDOW (2 s)
   */
  retryDelay?: number
  /**
   * The node's bootstrap peers, its way in: whenever one is not connected and the node is short, it
   * is dialed again (same backoff, never forgotten, never pushed out by other peers' retries).
   *
   * @default []
   */
  bootstrap?: PeerInfo[]
  /**
   * Whether discovered peers' private and loopback addresses are dialed (`MurmurInit.allowPrivateAddresses`;
   * see `GroupedPoolInit.allowPrivateAddresses`). Bootstrap addresses always are.
   *
   * @default true
   */
  allowPrivateAddresses?: boolean
  /**
   * Whether discovered peers' relayed addresses are dialed (see `GroupedPoolInit.relayedAddresses`).
   *
   * @default the platform's (true in browsers, false in Node.js)
   */
  relayedAddresses?: boolean
}

/** A drawn record waiting for its next try. */
interface Retry {
  peer: PeerInfo
  /** The source that offered it (see {@link DiscoveryDialer.offer}). */
  source?: string
  /** Its address group ({@link peerGroup}). */
  group: string
  delay: number
  timer?: ReturnType<typeof setTimeout>
  /** A bootstrap peer's dial is under way. */
  dialing?: boolean
  /** A bootstrap peer was dialed at its last check. */
  up?: boolean
  /** Offered to the current window, not drawn yet. */
  offered?: boolean
}

/** Failures in a row at one address, and when the last one was. */
interface Failures {
  count: number
  at: number
}

/**
 * Dials peers found by discovery (mDNS, DHT lookups) without letting the finder choose them: peers
 * discovered within a window are gathered ({@link GroupedPool}: by address group, then record), then
 * address groups get turns, as many as the node is short of: one dial per group, its records tried one
 * after another until one is reached (at most {@link DISCOVERY_GROUP_TRIES}). The target counts groups:
 * only the groups holding the fewest of the peers this dialer reached get turns, and a group whose turn
 * failed keeps its place while it has records left to try (in the window or waiting to be retried), so
 * fake records at an honest host's closed ports, or relayed claims through it, delay its turn instead
 * of handing the slot to a sybil host whose records all work (review 10: 0.66-0.71 of the dials went to
 * one sybil host of six groups). A peer already connected but not dialed by this node's choice (a DHT
 * query reached it, or it dialed in) is drawn like any other and becomes chosen. A failed record is
 * offered again later, with backoff, while the node is short, in a table of {@link RENDEZVOUS_POOL} that
 * pushes out the longest-waiting entry; failures are counted per address, whichever PeerIds records
 * claim there, and an address that failed {@link DISCOVERY_MAX_FAILURES} times is left out for
 * {@link DISCOVERY_FAILED_FOR}. Bootstrap peers are retried from their own list for as long as the node
 * is short: a node whose first dials all failed (a busy bootstrap node, a slow start) would otherwise
 * stay alone for good, with no DHT peer to look up others.
 *
 * @example
 * ```ts
 * const dialer = new DiscoveryDialer({ dialedCount, isConnected, isDialed, dial }, { bootstrap })
 * libp2p.addEventListener('peer:discovery', (evt) => { dialer.offer(evt.detail) })
 * ```
 */
export class DiscoveryDialer {
  private readonly components: DiscoveryDialerComponents
  private readonly log: Logger
  private readonly below: number
  private readonly window: number
  private readonly retryDelay: number
  /** Drawn records whose last dial failed, by their dial keys, oldest first (at most {@link RENDEZVOUS_POOL}). */
  private readonly retries = new Map<string, Retry>()
  /**
   * Groups whose turn is dialing now, with how many turns: such a group keeps its place at the draws
   * meanwhile (a turn whose records hang, dials waiting for their timeout, lasts several windows).
   */
  private readonly turning = new Map<string, number>()
  /** Failures in a row per address ({@link dialKeys}), kept past the retry table (bounded). */
  private readonly failed = new Recent<Failures>(DISCOVERY_FAILED_ADDRESSES)
  /**
   * The peers this dialer reached, with the record and address group each was drawn in: the node's
   * target counts groups, and a peer lost is dialed again first.
   */
  private readonly reached = new Map<string, { peer: PeerId, group: string, record: PoolRecord }>()
  /** Bootstrap peers, by PeerId: retried while not connected, never dropped. */
  private readonly bootstrap = new Map<string, Retry>()
  private readonly allowPrivate: boolean
  private readonly relayed: boolean | undefined
  private pool: GroupedPool
  private timer?: ReturnType<typeof setTimeout>
  /** Checks, every window, whether a peer reached (or a bootstrap peer) was lost. */
  private watch?: ReturnType<typeof setTimeout>
  private stopped = false

  constructor (components: DiscoveryDialerComponents, init: DiscoveryDialerInit = {}) {
    this.components = components
    this.log = components.log ?? defaultLogger().forComponent('murmur:discovery')
    this.below = init.below ?? DISCOVERY_DIAL_BELOW
    this.window = init.window ?? DISCOVERY_WINDOW
    this.retryDelay = init.retryDelay ?? DISCOVERY_WINDOW
    this.allowPrivate = init.allowPrivateAddresses ?? true
    this.relayed = init.relayedAddresses
    this.pool = this.newPool()
    for (const peer of init.bootstrap ?? []) {
      this.bootstrap.set(peer.id.toString(), { peer, group: peerGroup(peer), delay: this.retryDelay })
    }
  }

  /**
   * A peer was discovered: it may be drawn at the end of the current window. `source` is the address
   * group of the peer whose answer carried the record (undefined: unknown, one source of its own): a
   * group's records are drawn source by source, so one answer's flood of fakes at an honest host's
   * address does not push that host's real record, sent by another, out of its group.
   */
  offer (peer: PeerInfo, source?: string): void {
    if (this.stopped || this.pool.has(peer.id, source) || this.isDialed(peer.id) || !this.short()) {
      return
    }
    const boot = this.bootstrap.get(peer.id.toString())
    if (boot !== undefined) {
      // the node's own choice, not a finder's: dialed at once, then watched (see watchBootstrap)
      if (boot.timer === undefined && boot.dialing !== true) this.dialBootstrap(boot)
      return
    }
    this.pool.offer(peer, source)
    this.timer ??= setTimeout(() => { this.draw() }, this.window)
  }

  /** Forgets what was gathered and what was to be retried, and dials nothing more. */
  stop (): void {
    this.stopped = true
    this.forgetWindow()
    clearTimeout(this.watch)
    for (const entry of [...this.retries.values(), ...this.bootstrap.values()]) clearTimeout(entry.timer)
    this.retries.clear()
    this.bootstrap.clear()
    this.reached.clear()
  }

  /** Whether the node has dialed fewer peers than it wants ({@link DiscoveryDialerInit.below}): discoveries are drawn only then. */
  short (): boolean {
    return this.components.dialedCount() < this.below
  }

  private isDialed (peer: PeerId): boolean {
    return this.components.isDialed?.(peer) ?? this.components.isConnected(peer)
  }

  private newPool (): GroupedPool {
    return new GroupedPool({ allowPrivateAddresses: this.allowPrivate, relayedAddresses: this.relayed, perGroup: DISCOVERY_PER_GROUP, exclude: (keys) => this.givenUp(keys) })
  }

  private forgetWindow (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pool = this.newPool()
  }

  /** Whether every address of a record (its PeerId, if it names none) failed too often lately to be dialed again. */
  private givenUp (keys: readonly string[]): boolean {
    const now = Date.now()
    return keys.every((key) => {
      const failures = this.failed.get(key)
      return failures !== undefined && failures.count >= DISCOVERY_MAX_FAILURES && now - failures.at < DISCOVERY_FAILED_FOR
    })
  }

  /** How many of the peers this dialer reached (and bootstrap peers) each group holds now (those lost: see {@link lost}). */
  private levels (): Map<string, number> {
    this.lost()
    const levels = new Map<string, number>()
    const held = [...this.reached.values(), ...[...this.bootstrap.values()].filter((boot) => boot.up === true && this.isDialed(boot.peer.id))]
    for (const { group } of held) levels.set(group, (levels.get(group) ?? 0) + 1)
    return levels
  }

  /**
   * Peers this dialer reached whose connection is gone (a network hiccup, a stalled event loop that
   * failed the pings, the peer restarting): their records are dialed again first, at the next window,
   * as retries that keep their group's place. Else the slot went to whatever the next discovery offered,
   * and sybils that keep their own connections up gathered the slots of every honest host that dropped
   * (discovery-stem-chosen on a loaded machine: all three honest hosts lost at once, none redialed,
   * 0.47-0.59 of the stem successors sybils). A bootstrap peer lost is dialed again too.
   */
  private lost (): void {
    for (const [id, { peer, group, record }] of this.reached) {
      if (this.isDialed(peer)) continue
      this.reached.delete(id)
      if (this.stopped || !this.short()) continue
      const key = dialKeys(record.peer).join(' ')
      if (this.retries.has(key)) continue
      if (this.retries.size >= RENDEZVOUS_POOL) this.forgetRetry(this.retries.keys().next().value!)
      const entry: Retry = { peer: record.peer, source: record.source, group, delay: this.retryDelay }
      this.retries.set(key, entry)
      this.scheduleRetry(key, entry, 0)
    }
    for (const boot of this.bootstrap.values()) {
      if (boot.up !== true || boot.dialing === true || this.isDialed(boot.peer.id) || !this.short()) continue
      boot.up = false
      clearTimeout(boot.timer)
      boot.timer = undefined
      this.dialBootstrap(boot)
    }
  }

  /** Starts the check for lost peers, every window while there is something to watch. */
  private watchLost (): void {
    if (this.watch !== undefined || this.stopped) return
    this.watch = setTimeout(() => {
      this.watch = undefined
      this.lost()
      if (this.reached.size > 0 || [...this.bootstrap.values()].some((boot) => boot.up === true)) this.watchLost()
    }, this.window)
  }

  /**
   * Turns for the groups holding the fewest reached peers, among those in the window and those waiting
   * for a retry (which keep their place: the level is not raised past them), at most as many as the
   * node is short of; the other groups' records wait for the next window (if the node is still short
   * then). A sybil host's many PeerIds so take one dialed slot, as an honest host does, and a second
   * only once no group with none is left to try.
   */
  private draw (): void {
    const pool = this.pool
    this.forgetWindow()
    const short = this.below - this.components.dialedCount()
    const groups = pool.groups((candidate) => !this.isDialed(candidate.id))
    const levels = this.levels()
    const level = (group: string): number => levels.get(group) ?? 0
    const waiting = [...this.retries.values()].filter((entry) => entry.offered !== true).map((entry) => level(entry.group))
    // a group dialing now keeps its place too: else the next window, not seeing it, gave a group that
    // already holds a peer (a sybil host's) the turn of every honest group whose fake records hang
    const lowest = Math.min(...groups.map((group) => level(group.key)), ...waiting, ...[...this.turning.keys()].map(level))
    const turns = groups.filter((group) => level(group.key) === lowest && !this.turning.has(group.key)).slice(0, Math.max(0, short))
    const rest = groups.filter((group) => !turns.includes(group)).flatMap((group) => group.records)
    this.log('%d address groups gathered, %d get a turn (level %d, %d records waiting for a retry), %d short', groups.length, turns.length, lowest, waiting.length, short)
    const drawn = new Set([...turns.flatMap((group) => group.records), ...rest].map(({ peer }) => dialKeys(peer).join(' ')))
    for (const [key, entry] of this.retries) {
      if (entry.offered !== true || drawn.has(key)) continue
      entry.offered = false
      // a retry offered but not drawn keeps its turn: offered again after the same delay
      this.scheduleRetry(key, entry, entry.delay)
    }
    for (const { key, records } of turns) void this.turn(key, records)
    for (const { peer, source } of rest) this.offer(peer, source)
  }

  /**
   * A group's turn: its records are dialed one after another (source by source, see `GroupedPool.groups`)
   * until one is reached, at most {@link DISCOVERY_GROUP_TRIES}.
   */
  private async turn (group: string, records: PoolRecord[]): Promise<void> {
    this.turning.set(group, (this.turning.get(group) ?? 0) + 1)
    try {
      await this.dialTurn(group, records)
    } finally {
      const left = (this.turning.get(group) ?? 1) - 1
      if (left > 0) this.turning.set(group, left)
      else this.turning.delete(group)
    }
  }

  /** The dials of a turn (see {@link turn}). */
  private async dialTurn (group: string, records: PoolRecord[]): Promise<void> {
    let tries = 0
    let reached = false
    for (const record of records) {
      if (this.stopped) return
      if (reached || tries >= DISCOVERY_GROUP_TRIES || !this.short() || this.isDialed(record.peer.id)) {
        this.untried(record)
        continue
      }
      tries++
      const answered = await this.components.dial(record.peer, AbortSignal.timeout(DIAL_TIMEOUT)).catch(() => undefined)
      reached = this.dialed(record, group, answered ?? undefined)
    }
  }

  /**
   * A drawn record whose group's turn ended before it was dialed waits for the next window (a retry: its
   * next try, after the same delay).
   */
  private untried ({ peer, source }: PoolRecord): void {
    const key = dialKeys(peer).join(' ')
    const entry = this.retries.get(key)
    if (entry === undefined) {
      this.offer(peer, source)
    } else if (entry.offered === true) {
      entry.offered = false
      this.scheduleRetry(key, entry, entry.delay)
    }
  }

  /**
   * After a dial: whether it reached a peer (`answered`, or the drawn one dialed), which then counts in
   * `group`. If not, each of the record's addresses counts a failure, and the record is tried again
   * later (see {@link DiscoveryDialerInit.retryDelay}) unless they failed too often.
   */
  private dialed (record: PoolRecord, group: string, answered: PeerId | undefined): boolean {
    const { peer, source } = record
    const keys = dialKeys(peer)
    const key = keys.join(' ')
    if (this.stopped) return false
    const reached = answered ?? (this.isDialed(peer.id) ? peer.id : undefined)
    if (reached !== undefined) {
      this.forgetRetry(key)
      for (const k of keys) this.failed.set(k, { count: 0, at: Date.now() })
      this.reached.set(reached.toString(), { peer: reached, group, record })
      this.watchLost()
      return true
    }
    const entry = this.retries.get(key) ?? { peer, source, group, delay: this.retryDelay }
    this.forgetRetry(key)
    entry.offered = false
    for (const k of keys) this.failed.set(k, { count: (this.failed.get(k)?.count ?? 0) + 1, at: Date.now() })
    if (this.givenUp(keys)) return false
    // the longest-waiting entry gives way: a table full of dead records cannot keep a new failure out
    if (this.retries.size >= RENDEZVOUS_POOL) this.forgetRetry(this.retries.keys().next().value!)
    this.retries.set(key, entry)
    const delay = entry.delay
    entry.delay = Math.min(delay * 2, RENDEZVOUS_MAX_INTERVAL)
    this.scheduleRetry(key, entry, delay)
    return false
  }

  private scheduleRetry (key: string, entry: Retry, delay: number): void {
    clearTimeout(entry.timer)
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      // offered only while the node is short; otherwise forgotten, not kept with no timer
      if (!this.short() || this.isDialed(entry.peer.id)) {
        this.retries.delete(key)
        return
      }
      entry.offered = true
      this.offer(entry.peer, entry.source)
    }, delay)
  }

  private forgetRetry (key: string): void {
    clearTimeout(this.retries.get(key)?.timer)
    this.retries.delete(key)
  }

  private dialBootstrap (boot: Retry): void {
    boot.dialing = true
    void this.components.dial(boot.peer, AbortSignal.timeout(DIAL_TIMEOUT), true).catch(() => {}).finally(() => {
      boot.dialing = false
      if (!this.stopped) this.watchBootstrap(boot)
    })
  }

  /**
   * After a dial of a bootstrap peer: connected, it is watched (see {@link lost}) and checked again in
   * {@link RENDEZVOUS_MAX_INTERVAL}; not, it is dialed again after its backoff (at most
   * {@link DISCOVERY_ALONE_RETRY} while the node has dialed no peer) if the node is short then, and watched on if not.
   */
  private watchBootstrap (boot: Retry): void {
    clearTimeout(boot.timer)
    let delay: number
    boot.up = this.isDialed(boot.peer.id)
    if (boot.up) {
      this.watchLost()
      boot.delay = this.retryDelay
      delay = RENDEZVOUS_MAX_INTERVAL
    } else {
      // alone, a newcomer keeps knocking: a busy bootstrap node refusing its first dials must not leave it alone for minutes
      delay = this.components.dialedCount() === 0 ? Math.min(boot.delay, DISCOVERY_ALONE_RETRY) : boot.delay
      boot.delay = Math.min(boot.delay * 2, RENDEZVOUS_MAX_INTERVAL)
    }
    boot.timer = setTimeout(() => {
      boot.timer = undefined
      if (!this.isDialed(boot.peer.id) && this.short()) this.dialBootstrap(boot)
      else this.watchBootstrap(boot)
    }, delay)
  }
}
