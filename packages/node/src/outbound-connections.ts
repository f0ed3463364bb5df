/**
 * Keeps the connections a node dials bounded. Murmur's inbound share (inbound-share.ts) holds inbound
 * connections to `maxConnections − reserve` and assumes the node's own dials fit in the reserve; but
 * libp2p closes nothing a Murmur node dialed once it is idle (its pruner only acts past
 * `maxConnections`, and then skips every connection carrying a gossipsub or ping stream), kad-dht keeps
 * the 20 peers closest to this node's PeerId connected for good (their `kad-close` tag carries a
 * keep-alive, and libp2p redials them), and every DHT walk leaves the closest peers of its key
 * connected. A host grinding PeerIds close to the node's, or to a key it looks up, so gave the node
 * outbound connections without end, and the inbound slots shrank under them (review of issue 12, H1).
 *
 * Here: the DHT's keep-alive tag is dropped as soon as it is set ({@link dropDhtKeepAlive}: the DHT
 * dials peers when it needs them), an outbound connection to a peer this node did not choose
 * (`ChosenPeers.dialed`: the peer holds a connection this node chose) is closed once it has carried nothing of this node's but what every connection
 * gets (identify, ping, gossip) for {@link OUTBOUND_IDLE} ({@link idleOutboundRelease}), and once more
 * than `maxConnections` outbound connections are open the oldest to an unchosen peer that carries no
 * stream of this node's is closed ({@link outboundCap}). No dial is ever refused for the count: a node that refused its own dials once
 * full was eclipsed by whoever held its outbound connections (a remote peer keeping a silent stream of
 * its own open on each), as the DHT could then reach no one new (second read of issue 12, H1).
 */
import { KEEP_ALIVE } from '@libp2p/interface'
import type { Connection, Logger, PeerId, PeerStore, PeerUpdate, Stream, TypedEventTarget } from '@libp2p/interface'

/** kad-dht's keep-alive tag on the peers closest to this node's PeerId (`${KEEP_ALIVE}-kad-dht`). */
export const DHT_KEEP_ALIVE_TAG = `${KEEP_ALIVE}-kad-dht`

/**
 * Protocols whose streams do not keep an outbound connection open: those every connection gets by
 * itself (identify, ping, gossipsub, floodsub).
 */
export const INCIDENTAL_PROTOCOLS: readonly string[] = ['/ipfs/id/', '/ipfs/ping/', '/meshsub/', '/floodsub/']

/**
 * How long an outbound connection to a peer this node did not choose may carry nothing but incidental
 * streams before it is closed, in ms: long enough for a DHT walk and the questions after it (a
 * rendezvous asks every storer it found within ten seconds), short against the hours a connection
 * otherwise stays open.
 */
export const OUTBOUND_IDLE = 30_000

/**
 * Whether `connection` carries a stream that keeps it worth holding: an open stream this node opened
 * (`direction` outbound) of a protocol not in {@link INCIDENTAL_PROTOCOLS}, other than `except`. A
 * stream the remote peer opened never counts: a peer the node dialed could otherwise hold the
 * connection for good with a silent stream of a protocol the node serves.
 *
 * @example
 * ```ts
 * if (!inUse(connection)) await connection.close()
 * ```
 */
export function inUse (connection: Connection, except?: Stream): boolean {
  return connection.streams.some((s) => s !== except && s.direction === 'outbound' && s.status === 'open' && !INCIDENTAL_PROTOCOLS.some((prefix) => s.protocol?.startsWith(prefix) === true))
}

/** What {@link dropDhtKeepAlive} needs from libp2p. */
export interface DropDhtKeepAliveComponents {
  /** libp2p's events (its `peer:update`). */
  events: Pick<TypedEventTarget<{ 'peer:update': CustomEvent<PeerUpdate> }>, 'addEventListener' | 'removeEventListener'>
  peerStore: Pick<PeerStore, 'merge'>
  log?: Logger
}

/**
 * Removes kad-dht's keep-alive tag ({@link DHT_KEEP_ALIVE_TAG}) from every peer it is set on, so that
 * libp2p never redials a peer only for being close to this node's PeerId (anyone can grind PeerIds that
 * are). The `kad-close` tag itself stays. Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = dropDhtKeepAlive({ events: libp2p, peerStore: libp2p.peerStore })
 * ```
 */
export function dropDhtKeepAlive (components: DropDhtKeepAliveComponents): () => void {
  const listener = (evt: CustomEvent<PeerUpdate>): void => {
    const { peer } = evt.detail
    if (!peer.tags.has(DHT_KEEP_ALIVE_TAG)) return
    components.peerStore.merge(peer.id, { tags: { [DHT_KEEP_ALIVE_TAG]: undefined } }).catch((err: unknown) => {
      components.log?.('could not drop the DHT keep-alive tag - %e', err)
    })
  }
  components.events.addEventListener('peer:update', listener)
  return () => { components.events.removeEventListener('peer:update', listener) }
}

/**
 * Whether a peer carries a keep-alive tag (`keep-alive…`: a browser's relay, a peer an embedder pinned),
 * read from `peerStore`; a peer the store does not know carries none.
 *
 * @example
 * ```ts
 * idleOutboundRelease({ connections, chosen, keptAlive: keptAliveIn(libp2p.peerStore) })
 * ```
 */
export function keptAliveIn (peerStore: Pick<PeerStore, 'get'>): (peer: PeerId) => Promise<boolean> {
  return async (peer) => {
    try {
      return [...(await peerStore.get(peer)).tags.keys()].some((tag) => tag.startsWith(KEEP_ALIVE))
    } catch {
      return false
    }
  }
}

/** What {@link idleOutboundRelease} needs from the node. */
export interface IdleOutboundReleaseComponents {
  /** The node's open connections (libp2p's `getConnections`). */
  connections(): Connection[]
  /** Whether this node chose `peer` (`ChosenPeers.dialed`: the peer holds a connection this node chose): its connections are never closed here. */
  chosen(peer: PeerId): boolean
  /**
   * Whether something asked libp2p to keep `peer` connected (a `keep-alive…` tag: a browser's relay);
   * such a peer's connections are never closed here. Give {@link keptAliveIn}.
   *
   * @default no peer
   */
  keptAlive?(peer: PeerId): Promise<boolean>
  log?: Logger
}

/** Options of {@link idleOutboundRelease}. */
export interface IdleOutboundReleaseInit {
  /**
   * How long an outbound connection to an unchosen peer may carry only incidental streams, in ms.
   *
   * @default OUTBOUND_IDLE
   */
  idle?: number
  /**
   * How often the connections are looked over, in ms.
   *
   * @default idle / 2
   */
  interval?: number
}

/** A running {@link idleOutboundRelease}. */
export interface IdleOutboundRelease {
  /** Looks the connections over now; resolves with how many were closed. */
  sweep(): Promise<number>
  /** Stops the timer. */
  stop(): void
}

/**
 * Closes, every `interval`, each open outbound connection to a peer this node did not choose that was
 * opened more than `idle` ago and carries nothing but incidental streams ({@link inUse}): what a DHT
 * query dialed on a remote peer's word. Started at once.
 *
 * @example
 * ```ts
 * const release = idleOutboundRelease({ connections: () => libp2p.getConnections(), chosen: (p) => chosen.dialed(p, libp2p.getConnections(p)) })
 * // on stop
 * release.stop()
 * ```
 */
export function idleOutboundRelease (components: IdleOutboundReleaseComponents, init: IdleOutboundReleaseInit = {}): IdleOutboundRelease {
  const idle = init.idle ?? OUTBOUND_IDLE
  const interval = init.interval ?? idle / 2
  const sweep = async (): Promise<number> => {
    const now = Date.now()
    const idleConnections = components.connections().filter((c) => c.direction === 'outbound' && c.status === 'open' &&
      now - c.timeline.open >= idle && !components.chosen(c.remotePeer) && !inUse(c))
    let closed = 0
    for (const connection of idleConnections) {
      if (await components.keptAlive?.(connection.remotePeer) === true) continue
      // looked at again after the await: a stream may have opened since
      if (connection.status !== 'open' || inUse(connection) || components.chosen(connection.remotePeer)) continue
      closed++
      connection.close().catch((err: unknown) => { connection.abort(err instanceof Error ? err : new Error(String(err))) })
    }
    // counts only: no PeerIds or addresses in the log
    if (closed > 0) components.log?.('closed %d idle outbound connections to peers this node did not choose', closed)
    return closed
  }
  let sweeping = false
  const timer = setInterval(() => {
    if (sweeping) return
    sweeping = true
    sweep().catch((err: unknown) => { components.log?.('could not close idle outbound connections - %e', err) }).finally(() => { sweeping = false })
  }, interval)
  // never what keeps a process alive
  if (typeof timer === 'object' && 'unref' in timer) timer.unref()
  return { sweep, stop: () => { clearInterval(timer) } }
}

/** What {@link outboundCap} needs from libp2p and the node. */
export interface OutboundCapComponents {
  /** libp2p's events (its `connection:open`). */
  events: Pick<TypedEventTarget<{ 'connection:open': CustomEvent<Connection> }>, 'addEventListener' | 'removeEventListener'>
  /** The node's open connections (libp2p's `getConnections`). */
  connections(): Connection[]
  /** Whether this node chose `peer` (`ChosenPeers.dialed`): its connections are never closed here. */
  chosen(peer: PeerId): boolean
  /**
   * Whether something asked libp2p to keep `peer` connected; such a peer's connections are never
   * closed here. Give {@link keptAliveIn}.
   *
   * @default no peer
   */
  keptAlive?(peer: PeerId): Promise<boolean>
  log?: Logger
}

/**
 * How long {@link outboundCap} waits, in ms, before it looks again at the outbound connections it left
 * above the cap because a stream of this node's was in flight on them (or still negotiating its protocol,
 * as identify and gossipsub streams do for a moment on every new connection).
 */
export const OUTBOUND_CAP_RETRY = 1_000

/** Options of {@link outboundCap}. */
export interface OutboundCapInit {
  /** Most open outbound connections: past it, the oldest idle one to an unchosen peer is closed. */
  maxOutbound: number
  /**
   * How long to wait before looking again at connections left above the cap for a stream in flight, in ms.
   *
   * @default OUTBOUND_CAP_RETRY
   */
  retry?: number
}

/**
 * Keeps at most `maxOutbound` outbound connections open by closing, never by refusing: each time an
 * outbound connection opens past the cap, the oldest outbound connections to peers this node did not
 * choose (and nobody keeps alive) that carry no stream of this node's ({@link inUse}) are closed until
 * the count is back at the cap; the connection just opened is never one of them. So a new dial always
 * goes through (a DHT walk reaches past whoever holds the node's connections) and outbound connections
 * stay bounded. A connection carrying a stream of this node's (a sync session, a stem frame, a DHT
 * question, one still negotiating its protocol) is never closed here, even when looked at again after an
 * await: closing it cut the node's own work short whenever an attacker's dials pushed past the cap at the
 * wrong moment (review of issue 12, Medium). While unchosen connections in use keep the count above the
 * cap, it looks again every `retry` ms (each new connection negotiates identify and gossipsub streams of
 * this node's for a moment): what stays above it is bounded by this node's own work in flight (a DHT
 * query asks `alpha × disjointPaths` peers at once). Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = outboundCap({ events: libp2p, connections: () => libp2p.getConnections(), chosen: (p) => chosen.dialed(p, libp2p.getConnections(p)) }, { maxOutbound: 96 })
 * ```
 */
export function outboundCap (components: OutboundCapComponents, init: OutboundCapInit): () => void {
  const retry = init.retry ?? OUTBOUND_CAP_RETRY
  const closing = new WeakSet<Connection>()
  let again: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const counted = (c: Connection): boolean => c.direction === 'outbound' && c.status === 'open' && !closing.has(c)
  const trim = async (opened: Connection): Promise<void> => {
    const excess = (): number => components.connections().filter(counted).length - init.maxOutbound
    if (excess() <= 0) return
    const unchosen = (c: Connection): boolean => counted(c) && c !== opened && !components.chosen(c.remotePeer)
    const closable = (c: Connection): boolean => unchosen(c) && !inUse(c)
    // the oldest first
    const candidates = components.connections().filter(closable).sort((a, b) => a.timeline.open - b.timeline.open)
    let closed = 0
    for (const connection of candidates) {
      if (await components.keptAlive?.(connection.remotePeer) === true) continue
      // looked at again after the await: a stream of this node's may have opened on it meanwhile
      if (!closable(connection)) continue
      if (excess() <= 0) break
      closing.add(connection)
      closed++
      connection.close().catch((err: unknown) => { connection.abort(err instanceof Error ? err : new Error(String(err))) })
    }
    // counts only: no PeerIds or addresses in the log
    if (closed > 0) components.log?.('closed %d outbound connections to unchosen peers past the cap of %d', closed, init.maxOutbound)
    // above the cap only for streams in flight: looked at again once they may have ended
    if (excess() > 0 && again === undefined && !stopped && components.connections().some(unchosen)) {
      again = setTimeout(() => {
        again = undefined
        run(opened)
      }, retry)
      // never what keeps a process alive
      if (typeof again === 'object' && 'unref' in again) again.unref()
    }
  }
  const run = (opened: Connection): void => {
    trim(opened).catch((err: unknown) => { components.log?.('could not close outbound connections past the cap - %e', err) })
  }
  const listener = (evt: CustomEvent<Connection>): void => {
    if (evt.detail.direction === 'outbound') run(evt.detail)
  }
  components.events.addEventListener('connection:open', listener)
  return () => {
    stopped = true
    clearTimeout(again)
    components.events.removeEventListener('connection:open', listener)
  }
}
