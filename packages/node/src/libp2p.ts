/**
 * The libp2p composition of a Murmur node. Platform pieces (TCP, mDNS, key files) come from the
 * `#platform` import, so this module bundles for browsers unchanged.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { kadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, dnsaddrResolver } from 'libp2p'
import { platformConnectionGater, platformDiscovery, platformListen, platformTransports } from '#platform'
import { addressScope, dialableScope } from './address-scope.js'
import { ADDRESS_DIAL_TIMEOUT, DHT_ALPHA, DHT_DISJOINT_PATHS, DIAL_TIMEOUT, INBOUND_CONNECTION_THRESHOLD, INBOUND_PENDING_LIBP2P, INBOUND_UPGRADE_TIMEOUT, KAD_PROTOCOL, MAX_CONNECTIONS, MAX_PARALLEL_DIALS, OUTBOUND_RESERVE } from './constants.js'
import { gatedResolvers, learnedNameGate } from './discovery-names.js'
import type { DialAddressGate } from './discovery-names.js'
import { keepGossipStreams, murmurGossipsub } from './gossip.js'
import { inboundFairShare } from './inbound-share.js'
import { admitConnectedDhtPeers } from './dht-admission.js'
import { kadMessageLimit } from './kad-limits.js'
import { ConfirmedAddresses, IDENTIFY_MESSAGE_BYTES, peerStoreAddressFilter, servedAddresses } from './peer-addresses.js'
import { dropDhtKeepAlive, keptAliveIn, outboundCap } from './outbound-connections.js'
import { relayedConnectionCloser } from './relay-connections.js'
import type { RelayedConnectionCloser } from './relay-connections.js'
import type { InvalidMessageTracker } from './gossip.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Connection, ConnectionGater, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Libp2pOptions } from 'libp2p'

/** The libp2p services every Murmur node runs. */
export interface MurmurServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  relayedConnections: RelayedConnectionCloser
}

/** The libp2p node inside a Murmur node. */
export type MurmurLibp2p = Libp2p<MurmurServices>

/**
 * How often libp2p's connection monitor pings every connection, in ms (libp2p's default: 10 s). Each ping
 * is a new stream at both ends: multistream-select, a peer-store write, a logger, a dozen noise frames.
 * In a crowd of 60 idle nodes with about 19 connections each (bench/crowd.ts, CROWD_PROFILE), the ping
 * handlers and the connection monitor alone took 14 % of the main thread, the per-stream plumbing they
 * are the main user of when idle (multistream-select, peer-store writes on stream open) about 6 % more.
 * Liveness does not need them that often: yamux pings every connection every 30 s on its own (which
 * keeps NAT mappings open), and a dead connection is still found and closed within about a minute.
 */
export const CONNECTION_PING_INTERVAL = 60_000

/**
 * Extra libp2p options merged over Murmur's: transports, peerDiscovery, connectionEncrypters and
 * streamMuxers are added after Murmur's (never in place of them; Murmur's transports are TCP and
 * WebSockets in Node.js, WebSockets, WebRTC and circuit relay in browsers, and giving one of them again
 * fails at creation with libp2p's "There is already a transport with the tag …"); services, addresses,
 * connectionManager and connectionMonitor are merged key by key; a connectionGater is applied besides
 * Murmur's own rules.
 */
export type ExtraLibp2pOptions = Partial<Libp2pOptions<Record<string, unknown>>>

/** Resolved options of {@link createMurmurLibp2p}. */
export interface MurmurLibp2pInit {
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  allowPrivateAddresses: boolean
  iceServers: RTCIceServer[]
  dhtServer: boolean | undefined
  privateKey?: PrivateKey
  tracker: InvalidMessageTracker
  /**
   * Whether this node chose to dial `peer` and holds that connection (`ChosenPeers.dialed`): gossipsub
   * scores such a peer higher (`CHOSEN_PEER_SCORE`). Read lazily, so it may name what is built after.
   *
   * @default no peer
   */
  chosen?(peer: PeerId): boolean
  extra?: ExtraLibp2pOptions
}

/** Creates the (not yet started) libp2p node of a Murmur node. */
export async function createMurmurLibp2p (init: MurmurLibp2pInit): Promise<MurmurLibp2p> {
  const peerDiscovery = platformDiscovery({ mdns: init.mdns })
  if (init.bootstrap.length > 0) {
    // timeout 0: dialed at start, as MurmurInit.bootstrap says (the module's default waits one second)
    peerDiscovery.push(bootstrap({ list: init.bootstrap, timeout: 0 }))
  }
  const extra = init.extra ?? {}
  // the logger of the libp2p being built (an embedder's, if given): Murmur's own components log through it
  const componentLogger = extra.logger ?? defaultLogger()
  const network = { allowPrivateAddresses: init.allowPrivateAddresses, iceServers: init.iceServers }
  // a peer cut off for invalid messages is not let back in, nor dialed, while its penalty lasts
  const cutOff = (peer: PeerId): boolean => init.tracker.isCutOff(peer.toString())
  // inbound connections never take the slots kept for our own dials (see OUTBOUND_RESERVE), and are
  // shared fairly between address groups once full (see inbound-share.ts); libp2p itself is given room
  // for every connection Murmur allows and every dial in flight (libp2pConnectionLimit), as it refuses
  // past its own limit before asking any gater
  const maxConnections = extra.connectionManager?.maxConnections ?? MAX_CONNECTIONS
  const maxParallelDials = extra.connectionManager?.maxParallelDials ?? MAX_PARALLEL_DIALS
  // libp2p refuses past maxIncomingPendingConnections before any gater hook, and its default (10)
  // let ten silent sockets lock everyone out: it is raised far above the pending budget that the
  // inbound share enforces per address group, and a silent socket is dropped sooner
  const inboundUpgradeTimeout = extra.connectionManager?.inboundUpgradeTimeout ?? INBOUND_UPGRADE_TIMEOUT
  let connections = (): Connection[] => []
  // this node, once libp2p made its PeerId: its own addresses are never cut
  let isSelf = (_peer: PeerId): boolean => false
  // addresses a peer named itself or was dialed at: a third party's DHT answer never crowds them out
  const confirmed = new ConfirmedAddresses()
  const own: ConnectionGater = {
    ...platformConnectionGater(network),
    ...inboundFairShare({
      limit: inboundConnectionLimit(maxConnections),
      upgradeTimeout: inboundUpgradeTimeout,
      connections: () => connections(),
      log: componentLogger.forComponent('murmur:inbound')
    }),
    // never refused for the count (outboundCap closes instead): a node refusing its own dials once full
    // is eclipsed by whoever holds its outbound connections
    denyDialPeer: cutOff,
    denyInboundEncryptedConnection: cutOff,
    denyOutboundEncryptedConnection: cutOff
  }
  // the caller's rules (a relay's fair share) are added to ours, never in place of them; ours come
  // last, as the inbound share closes the connection it takes over once every rule let the newcomer in
  // (and libp2p asks denyInboundEncryptedConnection, the cut-off, before denyInboundUpgradedConnection)
  // a DNS name learned from the network is never dialed (only those of the user's bootstrap list), nor
  // resolved: libp2p resolves a /dnsaddr before it asks the gate
  const names = learnedNameGate(init.bootstrap)
  // nor an address that leads into this machine or its networks, on the public network (nor one that
  // leads nowhere, on any): a record naming no address is dialed by PeerId, and libp2p then dials what
  // its peer store (identify, the DHT) holds for it
  const scopes = addressScopeGate(init)
  const connectionGater = combineConnectionGaters(...(extra.connectionGater === undefined ? [] : [extra.connectionGater]), names, scopes, own)
  const resolvers = gatedResolvers(extra.connectionManager?.resolvers ?? { dnsaddr: dnsaddrResolver }, names)
  const options: Libp2pOptions<MurmurServices> = {
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    ...(extra as Partial<Libp2pOptions<MurmurServices>>),
    logger: componentLogger,
    // an embedder's transports, encrypters, muxers and discovery come in addition to Murmur's
    transports: [...platformTransports(network), ...(extra.transports ?? [])],
    connectionEncrypters: [noise(), ...(extra.connectionEncrypters ?? [])],
    streamMuxers: [yamux(), ...(extra.streamMuxers ?? [])],
    peerDiscovery: [...peerDiscovery, ...(extra.peerDiscovery ?? [])],
    connectionGater,
    addresses: { listen: platformListen(init.listen), ...extra.addresses },
    connectionManager: {
      maxIncomingPendingConnections: INBOUND_PENDING_LIBP2P,
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      // libp2p's 6 s per address aborted every handshake of a slow link or a busy host (see ADDRESS_DIAL_TIMEOUT)
      dialTimeout: DIAL_TIMEOUT,
      addressDialTimeout: ADDRESS_DIAL_TIMEOUT,
      ...extra.connectionManager,
      maxConnections: libp2pConnectionLimit(maxConnections, maxParallelDials),
      maxParallelDials,
      inboundUpgradeTimeout,
      resolvers
    },
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL, ...extra.connectionMonitor },
    // what one peer claims is bounded before it reaches the peer store, whose writes are quadratic in
    // a peer's addresses (peer-addresses.ts); an embedder's filter applies besides ours
    peerStore: { ...extra.peerStore, addressFilter: storedAddresses(extra.peerStore?.addressFilter, (peer) => isSelf(peer), confirmed) },
    services: {
      identify: identify({ maxMessageSize: IDENTIFY_MESSAGE_BYTES }),
      ping: ping(),
      // every kad message read is capped in size before it is decoded (kad-limits.ts)
      dht: kadMessageLimit(kadDHT({
        protocol: KAD_PROTOCOL,
        // a query's dials at once stay well below maxParallelDials: the node's own dials are not queued behind them
        alpha: DHT_ALPHA,
        disjointPaths: DHT_DISJOINT_PATHS,
        peerInfoMapper: addressScopeMapper(init.allowPrivateAddresses),
        ...(init.dhtServer === undefined ? {} : { clientMode: !init.dhtServer })
      }), { onOversize: (peer) => { init.tracker.penalise(peer.toString()) } }),
      pubsub: murmurGossipsub({ tracker: init.tracker, ...(init.chosen === undefined ? {} : { chosen: (peer) => init.chosen!(peerIdFromString(peer)) }) }),
      relayedConnections: relayedConnectionCloser(),
      ...(extra.services as Libp2pOptions<MurmurServices>['services'])
    } as NonNullable<Libp2pOptions<MurmurServices>['services']>,
    start: false
  }
  const libp2p = await createLibp2p<MurmurServices>(options)
  connections = () => libp2p.getConnections()
  isSelf = (peer) => peer.equals(libp2p.peerId)
  confirmed.follow(libp2p)
  // no peer is redialed for being close to this node's PeerId: anyone can grind such PeerIds
  const outboundLog = componentLogger.forComponent('murmur:outbound')
  dropDhtKeepAlive({ events: libp2p, peerStore: libp2p.peerStore, log: outboundLog })
  // at most maxConnections outbound connections: past it, the oldest idle one to an unchosen peer is closed
  outboundCap({
    events: libp2p,
    connections: () => libp2p.getConnections(),
    chosen: (peer) => init.chosen?.(peer) ?? false,
    keptAlive: keptAliveIn(libp2p.peerStore),
    log: outboundLog
  }, { maxOutbound: maxConnections })
  // a connected peer that speaks the DHT is not kept out of the routing table behind the tarpits DHT answers name
  admitConnectedDhtPeers({ events: libp2p, dht: libp2p.services.dht, protocol: KAD_PROTOCOL, mapper: addressScopeMapper(init.allowPrivateAddresses), log: componentLogger.forComponent('murmur:dht') })
  // gossipsub never re-opens a gossip stream that failed or closed on a live connection: we do
  keepGossipStreams({ pubsub: libp2p.services.pubsub, connections: (peer) => libp2p.getConnections(peer), log: libp2p.logger.forComponent('murmur:gossip') })
  return libp2p
}

/**
 * One connection gater that applies every one of `gaters`, in order: a connection, dial or reservation
 * is denied as soon as one denies it (the later ones are not asked), and an address is offered to a
 * peer only if every `filterMultiaddrForPeer` lets it through.
 *
 * @example
 * ```ts
 * createLibp2p({ connectionGater: combineConnectionGaters(relayShare.connectionGater, { denyDialPeer: isCutOff }) })
 * ```
 */
export function combineConnectionGaters (...gaters: ConnectionGater[]): ConnectionGater {
  const combined: Record<string, (...args: unknown[]) => Promise<boolean>> = {}
  for (const key of new Set(gaters.flatMap((gater) => Object.keys(gater)))) {
    const rules = gaters.flatMap((gater) => {
      const rule = (gater as Record<string, unknown>)[key]
      return typeof rule === 'function' ? [rule.bind(gater) as (...args: unknown[]) => boolean | Promise<boolean>] : []
    })
    // filterMultiaddrForPeer answers true to allow; every other hook answers true to deny
    const verdict = key !== 'filterMultiaddrForPeer'
    combined[key] = async (...args) => {
      for (const rule of rules) if (await rule(...args) === verdict) return verdict
      return !verdict
    }
  }
  return combined as ConnectionGater
}

/** A `peerStore.addressFilter` of libp2p's options: whether to store an address of a peer. */
type AddressFilter = NonNullable<NonNullable<Libp2pOptions['peerStore']>['addressFilter']>

/** Murmur's peer-store address filter ({@link peerStoreAddressFilter}), then the embedder's `extra`, if any. */
function storedAddresses (extra: AddressFilter | undefined, self: (peer: PeerId) => boolean, confirmed: ConfirmedAddresses): AddressFilter {
  const ours = peerStoreAddressFilter({ self, confirmed: (peer, addr) => confirmed.has(peer, addr) })
  if (extra === undefined) return ours
  return async (peer, addr, options) => ours(peer, addr, options) && await extra(peer, addr, options)
}

/**
 * Most inbound connections a node with `maxConnections` accepts: the rest, `min(OUTBOUND_RESERVE,
 * ⌊maxConnections / 4⌋)`, is kept for the connections it dials.
 *
 * @example
 * ```ts
 * inboundConnectionLimit(96) // 72
 * ```
 */
export function inboundConnectionLimit (maxConnections: number): number {
  return maxConnections - Math.min(OUTBOUND_RESERVE, Math.floor(maxConnections / 4))
}

/**
 * The `maxConnections` Murmur gives libp2p for a node whose own limit is `maxConnections` and which
 * runs at most `maxParallelDials` dials at once: room for every connection Murmur allows, at most
 * {@link inboundConnectionLimit} inbound ones (shared between address groups) plus one being taken
 * over, `maxConnections` outbound ones (past that the oldest to an unchosen peer is closed:
 * `outboundCap`), and every dial in flight landing before that close. libp2p refuses an inbound
 * connection once its total reaches its limit, before any gater hook, so with less a node whose
 * outbound connections outgrew the reserve refused every newcomer and the inbound share's takeover
 * never ran (review of issue 12, H1), and a burst of parallel dials near the cap did the same (second
 * read, H2).
 *
 * @example
 * ```ts
 * libp2pConnectionLimit(96, 100) // 269
 * ```
 */
export function libp2pConnectionLimit (maxConnections: number, maxParallelDials: number = MAX_PARALLEL_DIALS): number {
  return inboundConnectionLimit(maxConnections) + 1 + maxConnections + maxParallelDials
}

/**
 * The connection gate's rule on the addresses a node dials: an address whose IP address (a relayed
 * address's: its relay's) is private, loopback or link-local is refused on the public network
 * (`allowPrivateAddresses` false), and an unroutable one (unspecified, multicast, broadcast, reserved)
 * on any, as `address-scope.ts` judges them (an IPv6 address carrying an IPv4 one, such as NAT64 or
 * IPv4-mapped, by that IPv4 address). Filtering the records a node learns is not enough: a record
 * naming no address is dialed by PeerId, and libp2p dials whatever its peer store (identify, the DHT)
 * holds for that PeerId, LAN and loopback addresses included. The user's own bootstrap addresses (their
 * host and transport, before the first `/p2p/`: so a relay among them is also dialed for a relayed
 * address through it) are always let through; what a bootstrap `/dnsaddr` resolves to is not typed by
 * the user and is judged like any address.
 *
 * @example
 * ```ts
 * const gate = addressScopeGate({ bootstrap: ['/ip4/192.168.1.5/tcp/4001/p2p/12D3KooW…'], allowPrivateAddresses: false })
 * gate.denyDialMultiaddr(multiaddr('/ip4/192.168.1.9/tcp/4001/p2p/12D3KooW…')) // true
 * gate.denyDialMultiaddr(multiaddr('/ip4/192.168.1.5/tcp/4001/p2p/12D3KooW…')) // false: typed by the user
 * ```
 */
export function addressScopeGate (init: { bootstrap: readonly string[], allowPrivateAddresses: boolean }): DialAddressGate {
  const hostPart = (addr: Multiaddr): string => {
    const components = addr.getComponents()
    const p2p = components.findIndex((c) => c.code === CODE_P2P)
    return multiaddr(p2p < 0 ? components : components.slice(0, p2p)).toString()
  }
  const typed = new Set(init.bootstrap.flatMap((address) => {
    try {
      return [hostPart(multiaddr(address))]
    } catch {
      return [] // not a multiaddr: never dialed either
    }
  }))
  return {
    denyDialMultiaddr: (addr) => {
      const scope = addressScope(addr)
      return scope !== undefined && !dialableScope(scope, init.allowPrivateAddresses) && !typed.has(hostPart(addr))
    }
  }
}

/**
 * The DHT's peer-info mapper (kad-dht's `peerInfoMapper`: applied to the records it takes in and
 * answers with) by the same scopes as {@link addressScopeGate}: an IP address is kept only if a node on
 * this network dials it (public ones; private, loopback and link-local ones only with
 * `allowPrivateAddresses`; unroutable ones never), other addresses (DNS names) are kept.
 * kad-dht's own `removePrivateAddressesMapper` judged NAT64 forms of loopback public and every 6to4
 * address private, and kept multicast addresses. At most the first `SERVED_PEER_ADDRESSES` kept
 * addresses of a peer, `SERVED_PEER_ADDRESS_BYTES` of them, are named: the node's answers repeated
 * every address a peer claimed, and one stock peer announcing 80 voided every honest answer naming it
 * (fifteenth read of issue 12, High 1).
 *
 * @example
 * ```ts
 * kadDHT({ peerInfoMapper: addressScopeMapper(false) })
 * ```
 */
export function addressScopeMapper (allowPrivateAddresses: boolean): (peer: PeerInfo) => PeerInfo {
  const dialable = (addr: Multiaddr): boolean => {
    const scope = addressScope(addr)
    return scope === undefined || dialableScope(scope, allowPrivateAddresses)
  }
  return (peer) => ({ ...peer, multiaddrs: servedAddresses(peer.multiaddrs, dialable) })
}

/**
 * Whether a multiaddr points into a private network: loopback, RFC 1918, CGNAT (100.64/10), link-local,
 * unique-local IPv6, documentation and benchmarking ranges, an IPv6 address carrying an IPv4 address of
 * any of those (IPv4-mapped, NAT64, 6to4, Teredo), as `address-scope.ts` judges them, or `localhost`
 * (and `*.localhost`). Unroutable addresses (0.0.0.0 and ::, which listen everywhere; multicast,
 * broadcast, reserved) are not private.
 *
 * @example
 * ```ts
 * isPrivateMultiaddr('/ip4/100.64.1.2/tcp/4001') // true
 * isPrivateMultiaddr('/ip4/0.0.0.0/tcp/0') // false
 * ```
 */
export function isPrivateMultiaddr (address: string): boolean {
  let parsed: Multiaddr
  try {
    parsed = multiaddr(address)
  } catch {
    return false
  }
  const host = parsed.getComponents()[0]
  const scope = addressScope(parsed)
  if (scope !== undefined) return scope !== 'public' && scope !== 'unroutable'
  const name = host?.value?.toLowerCase()
  return (host?.name === 'dns' || host?.name === 'dns4' || host?.name === 'dns6') && name !== undefined && (name === 'localhost' || name.endsWith('.localhost'))
}
