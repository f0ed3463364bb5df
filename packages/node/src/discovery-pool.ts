/**
 * The pool discovered peers are drawn from: first by address group (an IPv4 address, an IPv6 /48:
 * `addressGroup`), then by record within a group. PeerIds cost nothing, addresses do, so a thousand sybil
 * PeerIds on one host weigh what one honest host weighs; and a record is dialed at its address, whoever
 * answers there (`dialDrawn`), so records naming the same addresses are one record to draw. Within a group,
 * records are sampled and drawn by the source that offered them (the address group of the peer whose
 * answer carried them): one answer's flood of fake records at an honest host's closed ports fills only
 * its own source's sample, and the host's real record, sent by another source, keeps its turn.
 */
import { CODE_P2P, CODE_P2P_CIRCUIT } from '@multiformats/multiaddr'
import { RENDEZVOUS_MAX_SEEN } from './constants.js'
import { learnedAddress } from './discovery-dial.js'
import { dnsNames } from './discovery-names.js'
import { drawFromGroups, randomIndex, sample } from './random.js'
import { DNS_GROUP } from './relay-share.js'
import { addressGroup } from './sync/admission.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Most records kept per source of an address group of a {@link GroupedPool} (a uniform sample of those offered). */
export const POOL_PER_GROUP = 8

/**
 * Most sources kept per address group of a {@link GroupedPool} (a uniform sample of those offering it
 * records): a source is the address group of a peer whose answer carried records, so each costs an
 * attacker an address.
 */
export const POOL_SOURCES_PER_GROUP = 8

/** The group of peers whose record names no address: they are drawn as one group. */
const NO_ADDRESS = 'none'

/** Prefix of the group of the peers reached through one relay, apart from the relay's own group. */
const RELAYED = 'relayed:'

/** Whether an address goes through a circuit relay. */
const isRelayed = (addr: Multiaddr): boolean => addr.getComponents().some((c) => c.code === CODE_P2P_CIRCUIT)

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
 * not a DNS name (an IPv4 address, an IPv6 /48; for a relayed address, the group of the peers behind its
 * relay, apart from the relay's own), else one group for every DNS name, or one group for every record
 * naming none. A DNS name learned from the network is not dialed (`learnedNameGate`), so a record's IP
 * address is the one it can be reached at. A record's addresses are claims: one naming a different fake
 * address for each sybil puts each in a group of its own, but a dial reaches a sybil only at an address
 * it holds, and a {@link GroupedPool} keeps only the addresses of a peer's group.
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

/**
 * The group of one address. A relayed address is a claim that a peer is behind that relay: records
 * claiming it at an honest host that is no relay (or holds no slot for them) fail, and in the relay's
 * own group they took the turns of the relay's direct record.
 */
function groupOf (addr: Multiaddr): string {
  // a TLS server name in an IP address is dialed by name: one group for every name, as for /dns4
  if (dnsNames(addr).length > 0) return DNS_GROUP
  try {
    return isRelayed(addr) ? RELAYED + addressGroup(addr) : addressGroup(addr)
  } catch {
    return NO_ADDRESS
  }
}

/**
 * What a dial of `addr` for the peer `peer` reaches: a direct address is dialed without its `/p2p/`
 * (whoever answers there), so its key is the address alone; a relayed one routes by PeerId, so its key
 * names the peer.
 *
 * @example
 * ```ts
 * dialKey(multiaddr('/ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…'), id) // '/ip4/203.0.113.7/tcp/4001'
 * ```
 */
export function dialKey (addr: Multiaddr, peer: PeerId): string {
  if (!isRelayed(addr)) return addr.decapsulateCode(CODE_P2P).toString()
  return addr.getComponents().at(-1)?.name === 'p2p' ? addr.toString() : `${addr.toString()}/p2p/${peer.toString()}`
}

/**
 * The dial keys ({@link dialKey}) of a record, sorted: records with the same ones are one record to dial.
 * A record naming no address is dialed by its PeerId, which is then its key.
 */
export function dialKeys (peer: PeerInfo): string[] {
  if (peer.multiaddrs.length === 0) return [`/p2p/${peer.id.toString()}`]
  return peer.multiaddrs.map((addr) => dialKey(addr, peer.id)).sort()
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
   * Most records kept per source of a group, a uniform sample of those it offered.
   *
   * @default POOL_PER_GROUP (8)
   */
  perGroup?: number
  /**
   * Most sources kept per group, a uniform sample of those offering it records.
   *
   * @default POOL_SOURCES_PER_GROUP (8)
   */
  sourcesPerGroup?: number
  /**
   * Whether private and loopback addresses are kept (`MurmurInit.allowPrivateAddresses`); zoned, path
   * and other addresses that are neither an IP address nor a DNS name never are ({@link learnedAddress}).
   *
   * @default true
   */
  allowPrivateAddresses?: boolean
  /**
   * Whether relayed (`/p2p-circuit`) addresses are kept: only where the node can dial them (see
   * `DrawnDialComponents.relayedAddresses`).
   *
   * @default the platform's (`dialsRelayedAddresses`: true in browsers, false in Node.js)
   */
  relayedAddresses?: boolean
  /**
   * Whether a record is left out: given its dial keys ({@link dialKeys}) after its group's addresses
   * were kept (the dialer leaves out records whose addresses failed too often).
   *
   * @default never
   */
  exclude?(keys: readonly string[]): boolean
}

/** A record of a {@link GroupedPool} and the source that offered it. */
export interface PoolRecord {
  /** The record, with its group's addresses only. */
  peer: PeerInfo
  /** The address group of the peer whose answer carried it (undefined: unknown, one source of its own). */
  source?: string
}

/** One address group of a {@link GroupedPool}, as {@link GroupedPool.groups} gives it. */
export interface PoolGroup {
  /** The group ({@link peerGroup}). */
  key: string
  /** Its records, source by source: each round takes one random record of each source, sources in random order. */
  records: PoolRecord[]
}

/** What one source offered to one group: a sample of its records, and the dial keys of every one. */
interface Source {
  records: Reservoir<PeerInfo>
  keys: Set<string>
}

/** The records of one group, by source: a sample of the sources, each a sample of its records. */
interface Group {
  sources: Reservoir<[string, Source]>
  /** The sources offered to the group (kept or not): a source left out stays out. */
  seen: Set<string>
}

/** The key of the unknown source: no address group is empty. */
const UNKNOWN_SOURCE = ''

/**
 * Distinct peers gathered by address group ({@link peerGroup}), drawn first by group, then by the source
 * that offered them (the address group of the peer whose answer carried the record), then by record:
 * each group's chance is the same however many PeerIds it holds, and within a group each source's is the
 * same however many records it sent: one answer naming a hundred fake records at an honest host's
 * closed ports cannot push that host's real record, sent by another source, out of the group's sample.
 * A record naming only addresses that a record of the same source named already (free PeerIds claimed
 * at one address) is the same dial and not kept twice.
 *
 * @example
 * ```ts
 * const pool = new GroupedPool()
 * for (const peer of providers) pool.offer(peer, addressGroup(storerAddress))
 * const toDial = pool.draw(6)
 * ```
 */
export class GroupedPool {
  private readonly groupsKept = new Map<string, Group>()
  private readonly ids = new Set<string>()
  private readonly seen = new Set<string>()
  private readonly groupsSeen = new Set<string>()
  private readonly maxGroups: number
  private readonly perGroup: number
  private readonly sourcesPerGroup: number
  private readonly allowPrivate: boolean
  private readonly relayed: boolean | undefined
  private readonly exclude: (keys: readonly string[]) => boolean

  constructor (init: GroupedPoolInit = {}) {
    this.maxGroups = init.maxGroups ?? RENDEZVOUS_MAX_SEEN
    this.perGroup = init.perGroup ?? POOL_PER_GROUP
    this.sourcesPerGroup = init.sourcesPerGroup ?? POOL_SOURCES_PER_GROUP
    this.allowPrivate = init.allowPrivateAddresses ?? true
    this.relayed = init.relayedAddresses
    this.exclude = init.exclude ?? (() => false)
  }

  /** Distinct peers offered so far (kept or not). */
  get size (): number {
    return this.ids.size
  }

  /** Address groups kept. */
  get groupCount (): number {
    return this.groupsKept.size
  }

  /** Whether the source (undefined: the unknown one) offered the peer already. */
  has (peer: PeerId, source?: string): boolean {
    return this.seen.has(`${source ?? UNKNOWN_SOURCE} ${peer.toString()}`)
  }

  /**
   * Offers a peer, as `source` (the address group of the peer whose answer carried the record; undefined:
   * unknown, one source of its own) sent it, kept with the dialable addresses ({@link learnedAddress}) of
   * its group only; a record naming addresses, none of them dialable, is dropped, and so is one whose
   * addresses the same source sent its group already (a second offer of the same PeerId by the same
   * source is ignored). Each group keeps a uniform sample of the sources that offered it records, each
   * source a uniform sample of its records: random, not the first to come, which a flood would choose.
   */
  offer (peer: PeerInfo, source?: string): void {
    const from = source ?? UNKNOWN_SOURCE
    const id = peer.id.toString()
    if (this.seen.has(`${from} ${id}`)) return
    const multiaddrs = peer.multiaddrs.filter((addr) => learnedAddress(addr, this.allowPrivate, this.relayed))
    if (multiaddrs.length === 0 && peer.multiaddrs.length > 0) return
    this.seen.add(`${from} ${id}`)
    this.ids.add(id)
    const key = peerGroup({ id: peer.id, multiaddrs })
    // only the addresses of the group it is drawn in: a sybil cannot sit in a fake address's group
    // and be reached at its real one
    const record = { id: peer.id, multiaddrs: multiaddrs.filter((addr) => groupOf(addr) === key) }
    const keys = dialKeys(record)
    if (this.exclude(keys)) return
    const group = this.group(key)
    const kept = group === undefined ? undefined : this.source(group, from)
    if (kept === undefined || keys.every((k) => kept.keys.has(k))) return
    for (const k of keys) kept.keys.add(k)
    kept.records.offer(record)
  }

  /** The group `key`, made if new and kept (the groups kept are a uniform sample of those seen). */
  private group (key: string): Group | undefined {
    const group = this.groupsKept.get(key)
    if (group !== undefined || this.groupsSeen.has(key)) return group
    this.groupsSeen.add(key)
    if (this.groupsKept.size >= this.maxGroups) {
      const j = randomIndex(this.groupsSeen.size)
      if (j >= this.maxGroups) return undefined
      this.groupsKept.delete([...this.groupsKept.keys()][j]!)
    }
    const made = { sources: new Reservoir<[string, Source]>(this.sourcesPerGroup), seen: new Set<string>() }
    this.groupsKept.set(key, made)
    return made
  }

  /** The source `from` of a group, made if new and kept (a uniform sample of the group's sources). */
  private source (group: Group, from: string): Source | undefined {
    if (group.seen.has(from)) return group.sources.items.find(([key]) => key === from)?.[1]
    group.seen.add(from)
    const made: Source = { records: new Reservoir(this.perGroup), keys: new Set() }
    group.sources.offer([from, made])
    return made
  }

  /**
   * Draws at most `count` peers that pass `eligible`: groups in random order, one peer of each (a random
   * source's, see {@link groups}), then a second of each while more are wanted, and so on.
   */
  draw (count: number, eligible: (peer: PeerInfo) => boolean = () => true): PeerInfo[] {
    const lists = this.groups(eligible).map((group) => group.records)
    const drawn: PeerInfo[] = []
    for (let round = 0; drawn.length < count; round++) {
      const live = lists.filter((records) => records.length > round)
      if (live.length === 0) break
      for (const records of sample(live, count - drawn.length)) drawn.push(records[round]!.peer)
    }
    return drawn
  }

  /**
   * The groups holding peers that pass `eligible`, in random order, each with those peers source by
   * source: each round one random record of each source, sources in random order (a record whose dial
   * keys an earlier one named is left out: the same dial).
   */
  groups (eligible: (peer: PeerInfo) => boolean = () => true): PoolGroup[] {
    const groups: PoolGroup[] = []
    for (const [key, group] of this.groupsKept) {
      const bySource = group.sources.items.map(([source, { records }]) => records.items.filter(eligible).map((peer) => ({ peer, source: source === UNKNOWN_SOURCE ? undefined : source })))
      const listed = new Set<string>()
      const records = drawFromGroups(bySource, Infinity).filter(({ peer }) => {
        const keys = dialKeys(peer).join(' ')
        if (listed.has(keys)) return false
        listed.add(keys)
        return true
      })
      if (records.length > 0) groups.push({ key, records })
    }
    return sample(groups, groups.length)
  }
}
