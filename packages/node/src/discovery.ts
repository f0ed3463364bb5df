/**
 * Drawing the peers a node dials itself, so that whoever names them (a DHT answer, a storer of
 * provider records) does not choose them. Peers are drawn first by address group (an IPv4 address, an
 * IPv6 /48: `addressGroup`), then by PeerId within a group: PeerIds cost nothing, addresses do, so a
 * thousand sybil PeerIds on one host weigh what one honest host weighs. The {@link DiscoveryDialer}
 * dials peers found by discovery this way, and retries a failed dial within bounds.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT, DISCOVERY_DIAL_BELOW, DISCOVERY_WINDOW, RENDEZVOUS_MAX_INTERVAL, RENDEZVOUS_MAX_SEEN, RENDEZVOUS_POOL } from './constants.js'
import { learnedAddress } from './discovery-dial.js'
import { dnsNames } from './discovery-names.js'
import { drawFromGroups, randomIndex, sample } from './random.js'
import { Recent } from './recent.js'
import { DNS_GROUP } from './relay-share.js'
import { addressGroup } from './sync/admission.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Most peers kept per address group of a {@link GroupedPool} (a uniform sample of those offered). */
export const POOL_PER_GROUP = 8

/**
 * A drawn peer whose dial failed this many times in a row is forgotten until it is discovered again
 * (2 s, 4 s, … 32 s apart by default: about a minute of tries). Bootstrap peers are never forgotten.
 */
export const DISCOVERY_MAX_FAILURES = 5

/**
 * Most records of one address group a draw tries in its turn, one after another until one is reached:
 * records are claims, and those of a group that fail (a PeerId claimed at another's address, a closed
 * port) must not give its turn to a group whose records work.
 */
export const DISCOVERY_GROUP_TRIES = POOL_PER_GROUP / 2

/** The group of peers whose record names no address: they are drawn as one group. */
const NO_ADDRESS = 'none'

export { randomIndex, sample, drawFromGroups } from './random.js'

/**
 * A uniform sample of at most `size` of the items offered to it, whatever their number and order
 * (reservoir sampling): what a lookup returns first has no better chance than what it returns last.
 */
class Reservoir<T> {
  readonly items: T[] = []
  private offered = 0
  constructor (private readonly size: number) {}

  offer (item: T): void {
    this.offered++
    if (this.items.length < this.size) {
      this.items.push(item)
      return
    }
    const j = randomIndex(this.offered)
    if (j < this.size) this.items[j] = item
  }
}

/**
 * The address group a discovered peer is drawn in: that of the first address its record names that is
 * not a DNS name (an IPv4 address, an IPv6 /48, a relay's address for a relayed one), else one group
 * for every DNS name, or one group for every record naming none. A DNS name learned from the network
 * is not dialed (`learnedNameGate`), so a record's IP address is the one it can be reached at. A record's addresses are claims: one naming a different fake address for each sybil
 * puts each in a group of its own, but a dial reaches a sybil only at an address it holds, and a
 * {@link GroupedPool} keeps only the addresses of a peer's group.
 *
 * @example
 * ```ts
 * peerGroup({ id, multiaddrs: [multiaddr('/ip4/203.0.113.7/tcp/4001')] }) // 'ip4/203.0.113.7'
 * ```
 */
export function peerGroup (peer: PeerInfo): string {
  const first = peer.multiaddrs.find((addr) => dnsNames(addr).length === 0) ?? peer.multiaddrs[0]
  return first === undefined ? NO_ADDRESS : groupOf(first)
}

function groupOf (addr: Multiaddr): string {
  // a TLS server name in an IP address is dialed by name: one group for every name, as for /dns4
  if (dnsNames(addr).length > 0) return DNS_GROUP
  try {
    return addressGroup(addr)
  } catch {
    return NO_ADDRESS
  }
}

/** Options of {@link GroupedPool}. */
export interface GroupedPoolInit {
  /**
   * Most address groups kept (a uniform sample of those offered; a bound on memory).
   *
   * @default RENDEZVOUS_MAX_SEEN (1,024)
   */
  maxGroups?: number
  /**
   * Most peers kept per group, a uniform sample of those offered.
   *
   * @default POOL_PER_GROUP (8)
   */
  perGroup?: number
  /**
   * Whether private and loopback addresses are kept (`MurmurInit.allowPrivateAddresses`); zoned, path
   * and other addresses that are neither an IP address nor a DNS name never are ({@link learnedAddress}).
   *
   * @default true
   */
  allowPrivateAddresses?: boolean
}

/**
 * Distinct peers gathered by address group ({@link peerGroup}), drawn first by group, then by PeerId:
 * each group's chance is the same however many PeerIds it holds.
 *
 * @example
 * ```ts
 * const pool = new GroupedPool()
 * for (const peer of providers) pool.offer(peer)
 * const toDial = pool.draw(6)
 * ```
 */
export class GroupedPool {
  private readonly groups = new Map<string, Reservoir<PeerInfo>>()
  private readonly seen = new Set<string>()
  private readonly groupsSeen = new Set<string>()
  private readonly maxGroups: number
  private readonly perGroup: number
  private readonly allowPrivate: boolean

  constructor (init: GroupedPoolInit = {}) {
    this.maxGroups = init.maxGroups ?? RENDEZVOUS_MAX_SEEN
    this.perGroup = init.perGroup ?? POOL_PER_GROUP
    this.allowPrivate = init.allowPrivateAddresses ?? true
  }

  /** Distinct peers offered so far (kept or not). */
  get size (): number {
    return this.seen.size
  }

  /** Address groups kept. */
  get groupCount (): number {
    return this.groups.size
  }

  /** Whether the peer was offered already. */
  has (peer: PeerId): boolean {
    return this.seen.has(peer.toString())
  }

  /**
   * Offers a peer, kept with the dialable addresses ({@link learnedAddress}) of its group only; a record
   * naming addresses, none of them dialable, is dropped (a second offer of the same PeerId is ignored).
   */
  offer (peer: PeerInfo): void {
    const id = peer.id.toString()
    if (this.seen.has(id)) return
    const multiaddrs = peer.multiaddrs.filter((addr) => learnedAddress(addr, this.allowPrivate))
    if (multiaddrs.length === 0 && peer.multiaddrs.length > 0) return
    this.seen.add(id)
    const key = peerGroup({ id: peer.id, multiaddrs })
    let group = this.groups.get(key)
    if (group === undefined) {
      if (this.groupsSeen.has(key)) return
      this.groupsSeen.add(key)
      if (this.groups.size >= this.maxGroups) {
        // the groups kept are a uniform sample of those seen, not the first to come
        const j = randomIndex(this.groupsSeen.size)
        if (j >= this.maxGroups) return
        this.groups.delete([...this.groups.keys()][j]!)
      }
      group = new Reservoir(this.perGroup)
      this.groups.set(key, group)
    }
    // only the addresses of the group it is drawn in: a sybil cannot sit in a fake address's group
    // and be reached at its real one
    group.offer({ id: peer.id, multiaddrs: multiaddrs.filter((addr) => groupOf(addr) === key) })
  }

  /**
   * Draws at most `count` peers that pass `eligible`: groups in random order, one random peer of each,
   * then a second of each while more are wanted, and so on.
   */
  draw (count: number, eligible: (peer: PeerInfo) => boolean = () => true): PeerInfo[] {
    return drawFromGroups([...this.groups.values()].map((group) => group.items.filter(eligible)), count)
  }

  /**
   * Draws at most `count` address groups in random order, each with its peers that pass `eligible` in
   * random order (`turns`: one group's turn to be dialed); `rest` holds the peers of the groups not drawn.
   */
  drawGroups (count: number, eligible: (peer: PeerInfo) => boolean = () => true): { turns: PeerInfo[][], rest: PeerInfo[] } {
    const groups = [...this.groups.values()].map((group) => {
      const peers = group.items.filter(eligible)
      return sample(peers, peers.length)
    }).filter((peers) => peers.length > 0)
    const order = sample(groups, groups.length)
    const take = Math.max(0, count)
    return { turns: order.slice(0, take), rest: order.slice(take).flat() }
  }
}

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
   * A drawn peer whose dial left no connection is offered again after this delay, doubled on each
   * failure up to {@link RENDEZVOUS_MAX_INTERVAL} (5 min), while the node is still short; after
   * {@link DISCOVERY_MAX_FAILURES} failures in a row it is forgotten.
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
   * see {@link GroupedPoolInit.allowPrivateAddresses}). Bootstrap addresses always are.
   *
   * @default true
   */
  allowPrivateAddresses?: boolean
}

/** A drawn peer waiting for its next try. */
interface Retry {
  peer: PeerInfo
  delay: number
  failures: number
  timer?: ReturnType<typeof setTimeout>
  /** A bootstrap peer's dial is under way. */
  dialing?: boolean
  /** Offered to the current window, not drawn yet. */
  offered?: boolean
}

/**
 * Dials peers found by discovery (mDNS, DHT lookups) without letting the finder choose them: peers
 * discovered within a window are gathered ({@link GroupedPool}: by address group, then PeerId), then
 * as many address groups as the node is short of get a turn: one dial per group, its records tried one
 * after another until one is reached (at most {@link DISCOVERY_GROUP_TRIES}); the other groups wait for
 * the next window. A peer already connected but not dialed by this node's choice (a DHT query reached
 * it, or it dialed in) is drawn like any other and becomes chosen. Dialing every peer a DHT answer names,
 * first come first dialed, let sybils answering lookups become the node's outbound peers, which
 * gossipsub keeps in its meshes (`Dout`) and the stem picks successors from first. A drawn peer whose
 * dial failed is offered again later, with backoff, while the node is short, at most
 * {@link DISCOVERY_MAX_FAILURES} times, in a table of {@link RENDEZVOUS_POOL} that pushes out the
 * longest-waiting entry: dead records a DHT answer named cannot hold it. Bootstrap peers are retried
 * from their own list for as long as the node is short: a node whose first dials all failed (a busy
 * bootstrap node, a slow start) would otherwise stay alone for good, with no DHT peer to look up others.
 *
 * @example
 * ```ts
 * const dialer = new DiscoveryDialer({ dialedCount, isConnected, isDialed, dial }, { bootstrap })
 * libp2p.addEventListener('peer:discovery', (evt) => { dialer.offer(evt.detail) })
 * ```
 */
export class DiscoveryDialer {
  private readonly components: DiscoveryDialerComponents
  private readonly below: number
  private readonly window: number
  private readonly retryDelay: number
  /** Drawn peers whose last dial failed, oldest first (at most {@link RENDEZVOUS_POOL}). */
  private readonly retries = new Map<string, Retry>()
  /**
   * Failures in a row per peer, kept past the retry table (bounded): an entry the full table pushed out
   * whose offer was still waiting to be drawn must not start again at zero when it is dialed.
   */
  private readonly failed = new Recent<number>(RENDEZVOUS_MAX_SEEN)
  /** Bootstrap peers, by PeerId: retried while not connected, never dropped. */
  private readonly bootstrap = new Map<string, Retry>()
  private readonly allowPrivate: boolean
  private pool: GroupedPool
  private timer?: ReturnType<typeof setTimeout>
  private stopped = false

  constructor (components: DiscoveryDialerComponents, init: DiscoveryDialerInit = {}) {
    this.components = components
    this.below = init.below ?? DISCOVERY_DIAL_BELOW
    this.window = init.window ?? DISCOVERY_WINDOW
    this.retryDelay = init.retryDelay ?? DISCOVERY_WINDOW
    this.allowPrivate = init.allowPrivateAddresses ?? true
    this.pool = new GroupedPool({ allowPrivateAddresses: this.allowPrivate })
    for (const peer of init.bootstrap ?? []) {
      this.bootstrap.set(peer.id.toString(), { peer, delay: this.retryDelay, failures: 0 })
    }
  }

  /** A peer was discovered: it may be drawn at the end of the current window. */
  offer (peer: PeerInfo): void {
    if (this.stopped || this.pool.has(peer.id) || this.isDialed(peer.id) || !this.short()) {
      return
    }
    const boot = this.bootstrap.get(peer.id.toString())
    if (boot !== undefined) {
      // the node's own choice, not a finder's: dialed at once, then watched (see watchBootstrap)
      if (boot.timer === undefined && boot.dialing !== true) this.dialBootstrap(boot)
      return
    }
    this.pool.offer(peer)
    this.timer ??= setTimeout(() => { this.draw() }, this.window)
  }

  /** Forgets what was gathered and what was to be retried, and dials nothing more. */
  stop (): void {
    this.stopped = true
    this.forgetWindow()
    for (const entry of [...this.retries.values(), ...this.bootstrap.values()]) clearTimeout(entry.timer)
    this.retries.clear()
    this.bootstrap.clear()
  }

  private short (): boolean {
    return this.components.dialedCount() < this.below
  }

  private isDialed (peer: PeerId): boolean {
    return this.components.isDialed?.(peer) ?? this.components.isConnected(peer)
  }

  private forgetWindow (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pool = new GroupedPool({ allowPrivateAddresses: this.allowPrivate })
  }

  /**
   * One dial per address group: at most as many groups as the node is short of get a turn, the others'
   * peers wait for the next window (if the node is still short then). A sybil host's many PeerIds so
   * take one dialed slot a window, as an honest host does, instead of all the slots its PeerIds outnumber.
   */
  private draw (): void {
    const pool = this.pool
    this.forgetWindow()
    const short = this.below - this.components.dialedCount()
    const { turns, rest } = pool.drawGroups(short, (candidate) => !this.isDialed(candidate.id))
    const ids = new Set([...turns.flat(), ...rest].map((peer) => peer.id.toString()))
    for (const [id, entry] of this.retries) {
      if (entry.offered !== true || ids.has(id)) continue
      entry.offered = false
      // a retry offered but not drawn keeps its turn: offered again after the same delay
      this.scheduleRetry(id, entry, entry.delay)
    }
    for (const peers of turns) void this.turn(peers)
    for (const peer of rest) this.offer(peer)
  }

  /** A group's turn: its peers are dialed one after another until one is reached, at most {@link DISCOVERY_GROUP_TRIES}. */
  private async turn (peers: PeerInfo[]): Promise<void> {
    let tries = 0
    let reached = false
    for (const peer of peers) {
      if (this.stopped) return
      if (reached || tries >= DISCOVERY_GROUP_TRIES || !this.short() || this.isDialed(peer.id)) {
        this.untried(peer)
        continue
      }
      tries++
      const answered = await this.components.dial(peer, AbortSignal.timeout(DIAL_TIMEOUT)).catch(() => undefined)
      reached = this.dialed(peer, answered ?? undefined)
    }
  }

  /**
   * A drawn peer whose group's turn ended before it was dialed waits for the next window (a retry: its
   * next try, after the same delay).
   */
  private untried (peer: PeerInfo): void {
    const id = peer.id.toString()
    const entry = this.retries.get(id)
    if (entry === undefined) {
      this.offer(peer)
    } else if (entry.offered === true) {
      entry.offered = false
      this.scheduleRetry(id, entry, entry.delay)
    }
  }

  /**
   * After a dial: whether it reached a peer (`answered`, or the drawn one dialed). If not, the drawn peer
   * is tried again later (see {@link DiscoveryDialerInit.retryDelay}).
   */
  private dialed (peer: PeerInfo, answered: PeerId | undefined): boolean {
    const id = peer.id.toString()
    if (this.stopped) return false
    if (answered !== undefined || this.isDialed(peer.id)) {
      this.forgetRetry(id)
      this.failed.set(id, 0)
      return true
    }
    const entry = this.retries.get(id) ?? { peer, delay: this.retryDelay, failures: 0 }
    this.forgetRetry(id)
    entry.offered = false
    entry.failures = (this.failed.get(id) ?? 0) + 1
    this.failed.set(id, entry.failures)
    if (entry.failures >= DISCOVERY_MAX_FAILURES) return false
    // the longest-waiting entry gives way: a table full of dead records cannot keep a new failure out
    if (this.retries.size >= RENDEZVOUS_POOL) this.forgetRetry(this.retries.keys().next().value!)
    this.retries.set(id, entry)
    const delay = entry.delay
    entry.delay = Math.min(delay * 2, RENDEZVOUS_MAX_INTERVAL)
    this.scheduleRetry(id, entry, delay)
    return false
  }

  private scheduleRetry (id: string, entry: Retry, delay: number): void {
    clearTimeout(entry.timer)
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      // offered only while the node is short; otherwise forgotten, not kept with no timer
      if (!this.short() || this.isDialed(entry.peer.id)) {
        this.retries.delete(id)
        return
      }
      entry.offered = true
      this.offer(entry.peer)
    }, delay)
  }

  private forgetRetry (id: string): void {
    clearTimeout(this.retries.get(id)?.timer)
    this.retries.delete(id)
  }

  private dialBootstrap (boot: Retry): void {
    boot.dialing = true
    void this.components.dial(boot.peer, AbortSignal.timeout(DIAL_TIMEOUT), true).catch(() => {}).finally(() => {
      boot.dialing = false
      if (!this.stopped) this.watchBootstrap(boot)
    })
  }

  /**
   * After a dial of a bootstrap peer: connected, it is checked again in {@link RENDEZVOUS_MAX_INTERVAL};
   * not, it is dialed again after its backoff if the node is short then, and watched on if not.
   */
  private watchBootstrap (boot: Retry): void {
    clearTimeout(boot.timer)
    let delay: number
    if (this.isDialed(boot.peer.id)) {
      boot.delay = this.retryDelay
      delay = RENDEZVOUS_MAX_INTERVAL
    } else {
      delay = boot.delay
      boot.delay = Math.min(delay * 2, RENDEZVOUS_MAX_INTERVAL)
    }
    boot.timer = setTimeout(() => {
      boot.timer = undefined
      if (!this.isDialed(boot.peer.id) && this.short()) this.dialBootstrap(boot)
      else this.watchBootstrap(boot)
    }, delay)
  }
}
