/**
 * How many addresses of one peer a node keeps and repeats. A peer names its own addresses (identify) and
 * nothing checks them: a stock peer answering identify with ~7,800 addresses (10 messages of 8 KiB) had
 * them all stored, and @libp2p/peer-store compares each address a write brings against every stored one
 * (quadratic: ~61 M comparisons a write), on every tag, protocol or routing-table write to that peer. One
 * such sybil held a victim's event loop 8.5 s; eight took a whole core (fifteenth read of issue 12, High 2).
 * And a node's DHT answers repeated all of them: one stock peer announcing 80 addresses made every honest
 * answer naming it longer than a reader allowed (High 1).
 *
 * Two bounds, both counting an address's bytes as well as the addresses: what the peer store keeps of
 * one write ({@link peerStoreAddressFilter}: {@link STORED_PEER_ADDRESSES}), and what the node's DHT
 * answers repeat of one peer ({@link servedAddresses}: {@link SERVED_PEER_ADDRESSES}). An honest node
 * announces a handful: TCP and WebSockets over IPv4 and IPv6, a relayed address or two.
 */
import type { AbortOptions, Connection, IdentifyResult, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Most distinct addresses of one peer the peer store keeps from one write (identify, a dial, the DHT). */
export const STORED_PEER_ADDRESSES = 16

/** Most bytes of addresses of one peer the peer store keeps from one write. */
export const STORED_PEER_ADDRESS_BYTES = 2048

/**
 * Most addresses of one peer a DHT answer of this node names (closer peers, providers): with
 * {@link SERVED_PEER_ADDRESS_BYTES}, 20 closer peers and 20 providers fit well inside a kad message
 * (`KAD_MAX_MESSAGE_BYTES`) and inside what a provider lookup reads (`PROVIDER_ANSWER_BYTES`).
 */
export const SERVED_PEER_ADDRESSES = 8

/** Most bytes of addresses of one peer a DHT answer of this node names. */
export const SERVED_PEER_ADDRESS_BYTES = 1024

/**
 * Largest identify message read from a peer, in bytes (@libp2p/identify's default: 8 KiB, and it reads up
 * to 10 of them). An honest Murmur node's whole identify answer (protocols, addresses twice: listed and in
 * its signed peer record) is well under 1 KiB with a handful of addresses; this leaves room for about 20
 * long ones (relayed WebRTC addresses with DNS names), and it bounds what the peer store's filter is asked.
 */
export const IDENTIFY_MESSAGE_BYTES = 4096

/** A count and a byte budget of addresses. */
export interface AddressBudget {
  /** Most addresses. */
  addresses: number
  /** Most bytes of addresses (an address that would pass it is left out, a shorter later one may fit). */
  bytes: number
}

/**
 * The addresses of `multiaddrs` that `keep` lets through, in order, within `budget`. Stops at the budget's
 * count: a list of thousands costs only as many `keep` calls as it takes to fill it.
 *
 * @example
 * ```ts
 * servedAddresses(peer.multiaddrs, (addr) => addressScope(addr) !== 'unroutable', { addresses: 8, bytes: 1024 })
 * ```
 */
export function servedAddresses (multiaddrs: readonly Multiaddr[], keep: (addr: Multiaddr) => boolean, budget: AddressBudget = { addresses: SERVED_PEER_ADDRESSES, bytes: SERVED_PEER_ADDRESS_BYTES }): Multiaddr[] {
  const kept: Multiaddr[] = []
  let bytes = 0
  for (const addr of multiaddrs) {
    if (kept.length >= budget.addresses) break
    if (bytes + addr.bytes.byteLength > budget.bytes || !keep(addr)) continue
    kept.push(addr)
    bytes += addr.bytes.byteLength
  }
  return kept
}

/** Options of {@link peerStoreAddressFilter}. */
export interface PeerStoreAddressFilterInit {
  /**
   * Whether `peer` is this node: its own addresses are never cut (a relay may listen on many).
   *
   * @default no peer
   */
  self?(peer: PeerId): boolean
  /**
   * The bound of one write.
   *
   * @default { addresses: STORED_PEER_ADDRESSES, bytes: STORED_PEER_ADDRESS_BYTES }
   */
  budget?: AddressBudget
  /**
   * Whether `addr` of `peer` was confirmed by the peer itself or by a dial ({@link ConfirmedAddresses}):
   * kept outside the write's budget, so that addresses a third party named cannot crowd it out.
   *
   * @default none
   */
  confirmed?(peer: PeerId, addr: Multiaddr): boolean
}

/**
 * A `peerStore.addressFilter` for `createLibp2p` that lets through at most `budget` distinct addresses of
 * one peer per write (the first ones the write lists: on a merge, those already stored come first), and
 * besides them every `confirmed` one (at most {@link CONFIRMED_PEER_ADDRESSES}). A repeated address passes (the store drops it as a copy). The peer store calls the filter once per
 * address of a write with that write's own options object, which is how writes are told apart; a call
 * with no options is let through (pinned by test/peer-store-stuffing).
 *
 * @example
 * ```ts
 * createLibp2p({ peerStore: { addressFilter: peerStoreAddressFilter({ self: (peer) => peer.equals(ownId) }) } })
 * ```
 */
export function peerStoreAddressFilter (init: PeerStoreAddressFilterInit = {}): (peer: PeerId, addr: Multiaddr, options?: AbortOptions) => boolean {
  const budget = init.budget ?? { addresses: STORED_PEER_ADDRESSES, bytes: STORED_PEER_ADDRESS_BYTES }
  const writes = new WeakMap<object, { kept: Set<string>, bytes: number }>()
  return (peer, addr, options) => {
    if (options === undefined || init.self?.(peer) === true) return true
    let write = writes.get(options)
    if (write === undefined) {
      write = { kept: new Set(), bytes: 0 }
      writes.set(options, write)
    }
    const key = addr.toString()
    if (write.kept.has(key) || init.confirmed?.(peer, addr) === true) return true
    const size = addr.bytes.byteLength
    if (write.kept.size >= budget.addresses || write.bytes + size > budget.bytes) return false
    write.kept.add(key)
    write.bytes += size
    return true
  }
}

/** Most addresses of one peer that {@link ConfirmedAddresses} remembers (the latest ones). */
export const CONFIRMED_PEER_ADDRESSES = 16

/** Options of {@link ConfirmedAddresses}. */
export interface ConfirmedAddressesInit {
  /** Peers remembered; the one confirmed least lately is forgotten first. @default 1024 */
  peers?: number
}

/**
 * Addresses of peers that the peer itself named (its identify answer) or that this node dialed it at
 * successfully: what a third party's DHT answer must never crowd out of the peer store. A kad answer
 * naming an honest peer with 16 junk addresses filled its record, and the address this node then dialed
 * it at was not kept (nor any an honest answer named) until the junk aged out, an hour later (sixteenth
 * read of issue 12, Low 1). Identify replaces the record's addresses; a dial only adds its own.
 *
 * @example
 * ```ts
 * const confirmed = new ConfirmedAddresses()
 * createLibp2p({ peerStore: { addressFilter: peerStoreAddressFilter({ confirmed: (peer, addr) => confirmed.has(peer, addr) }) } })
 * confirmed.follow(libp2p) // once libp2p exists
 * ```
 */
export class ConfirmedAddresses {
  private readonly peers: number
  /** Each peer's confirmed addresses, oldest first; peers least lately confirmed first. */
  private readonly byPeer = new Map<string, Set<string>>()

  constructor (init: ConfirmedAddressesInit = {}) {
    this.peers = init.peers ?? 1024
  }

  /** Whether `addr` of `peer` was confirmed. */
  has (peer: PeerId, addr: Multiaddr): boolean {
    return this.byPeer.get(peer.toString())?.has(withoutPeer(peer, addr)) ?? false
  }

  /** Records `addrs` of `peer` as confirmed, keeping its latest {@link CONFIRMED_PEER_ADDRESSES}. */
  confirm (peer: PeerId, addrs: readonly Multiaddr[]): void {
    const key = peer.toString()
    const known = this.byPeer.get(key) ?? new Set<string>()
    this.byPeer.delete(key)
    this.byPeer.set(key, known)
    for (const addr of addrs.slice(-CONFIRMED_PEER_ADDRESSES)) {
      const text = withoutPeer(peer, addr)
      known.delete(text)
      known.add(text)
    }
    for (const oldest of known) {
      if (known.size <= CONFIRMED_PEER_ADDRESSES) break
      known.delete(oldest)
    }
    for (const [least] of this.byPeer) {
      if (this.byPeer.size <= this.peers) break
      this.byPeer.delete(least)
    }
  }

  /**
   * Confirms the address of each connection `events` dials (the connection opens before the dial writes
   * the address to the peer store) and the listen addresses each identify answer names.
   */
  follow (events: TypedEventTarget<{ 'connection:open': CustomEvent<Connection>, 'peer:identify': CustomEvent<IdentifyResult> }>): void {
    events.addEventListener('connection:open', ({ detail: connection }) => {
      if (connection.direction === 'outbound') this.confirm(connection.remotePeer, [connection.remoteAddr])
    })
    events.addEventListener('peer:identify', ({ detail: result }) => {
      this.confirm(result.peerId, result.listenAddrs)
    })
  }
}

/** `addr` as text without a trailing `/p2p/<peer>` (the peer store keeps it so; a dial names it). */
function withoutPeer (peer: PeerId, addr: Multiaddr): string {
  const text = addr.toString()
  const suffix = `/p2p/${peer.toString()}`
  return text.endsWith(suffix) ? text.slice(0, -suffix.length) : text
}
