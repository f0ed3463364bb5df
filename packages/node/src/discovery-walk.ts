/**
 * Random walks of the DHT whose answers are offered to discovery with their source. kad-dht turns every
 * record of every DHT reply into a `peer:discovery` event that names no source, with no limit: one
 * reply from an attacker's DHT server can name a hundred fake records at each honest host's closed
 * ports and bury the host's real record in its group (review 11, High 1). The walk reads kad-dht's own
 * query events instead, where each reply names the peer that sent it, and offers the records of a reply
 * with the address group of the connection it came over ({@link peerGroup}), so `GroupedPool` samples
 * them apart from other sources' records.
 */
import { randomBytes } from '@libp2p/crypto'
import { defaultLogger } from '@libp2p/logger'
import { peerGroup } from './discovery-pool.js'
import type { Connection, Logger, PeerId, PeerInfo } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** How often a walk runs while the node is short of peers (20 s). */
export const DISCOVERY_WALK_INTERVAL = 20_000

/** How long one walk may take before it is abandoned (30 s). */
export const DISCOVERY_WALK_TIMEOUT = 30_000

/** What {@link discoveryWalk} needs from the node. */
export interface DiscoveryWalkComponents {
  /** The node's DHT (its closest-peer query, whose events name who answered). */
  dht: Pick<KadDHT, 'getClosestPeers'>
  /** The node's connections to a peer (the one a reply came over gives the reply's source). */
  getConnections(peer: PeerId): Connection[]
  /** Where a reply's records go, with its source (`DiscoveryDialer.offer`). */
  offer(peer: PeerInfo, source?: string): void
  /** Whether the node wants more peers: walks run only then. */
  short(): boolean
  /**
   * Where the walk logs (counts only, never a PeerId or an address).
   *
   * @default the default logger's `murmur:discovery:walk` component
   */
  log?: Logger
}

/** Options of {@link discoveryWalk}. */
export interface DiscoveryWalkInit {
  /**
   * Delay between walks while the node is short, in ms; the first runs after `firstAfter`.
   *
   * @default DISCOVERY_WALK_INTERVAL (20 s)
   */
  interval?: number
  /**
   * Delay before the first walk, in ms (kad-dht fills its routing table from the bootstrap peers first).
   *
   * @default 2,000
   */
  firstAfter?: number
  /**
   * Most time one walk takes, in ms.
   *
   * @default DISCOVERY_WALK_TIMEOUT (30 s)
   */
  timeout?: number
}

/** Random DHT walks feeding discovery with sourced records ({@link discoveryWalk}). */
export interface DiscoveryWalk {
  /** Starts walking every `interval` while the node is short. */
  start(): void
  /** Stops walking (a walk under way is aborted). */
  stop(): void
  /** One walk now: a closest-peer query for a random key; resolves to the records offered. */
  walk(signal?: AbortSignal): Promise<number>
}

/**
 * Random DHT walks whose replies are offered to discovery with their source: the address group of the
 * connection each reply came over; a reply from a peer no longer connected is offered with none (one
 * unknown source).
 *
 * @example
 * ```ts
 * const walk = discoveryWalk({ dht: libp2p.services.dht, getConnections: (p) => libp2p.getConnections(p), offer: (p, s) => { dialer.offer(p, s) }, short: () => dialer.short() })
 * walk.start()
 * ```
 */
export function discoveryWalk (components: DiscoveryWalkComponents, init: DiscoveryWalkInit = {}): DiscoveryWalk {
  const log = components.log ?? defaultLogger().forComponent('murmur:discovery:walk')
  const interval = init.interval ?? DISCOVERY_WALK_INTERVAL
  const firstAfter = init.firstAfter ?? 2_000
  const timeout = init.timeout ?? DISCOVERY_WALK_TIMEOUT
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: AbortController | undefined
  let started = false

  /** The address group of the connection a reply from `from` came over (undefined if none is open). */
  const sourceOf = (from: PeerId): string | undefined => {
    const connection = components.getConnections(from).find((c) => c.status === 'open')
    return connection === undefined ? undefined : peerGroup({ id: from, multiaddrs: [connection.remoteAddr] })
  }

  const walk = async (signal?: AbortSignal): Promise<number> => {
    let offered = 0
    let replies = 0
    const options = { signal: signal === undefined ? AbortSignal.timeout(timeout) : AbortSignal.any([signal, AbortSignal.timeout(timeout)]) }
    try {
      for await (const event of components.dht.getClosestPeers(randomBytes(32), options)) {
        if (event.name !== 'PEER_RESPONSE') continue
        replies++
        const source = sourceOf(event.from)
        for (const peer of [...event.closer, ...event.providers]) {
          components.offer(peer, source)
          offered++
        }
      }
    } catch (err) {
      log('walk ended early after %d replies - %e', replies, err)
    }
    log('walk: %d replies, %d records offered', replies, offered)
    return offered
  }

  const schedule = (delay: number): void => {
    timer = setTimeout(() => {
      timer = undefined
      if (!started) return
      if (!components.short()) {
        schedule(interval)
        return
      }
      running = new AbortController()
      void walk(running.signal).finally(() => {
        running = undefined
        if (started) schedule(interval)
      })
    }, delay)
  }

  return {
    start () {
      if (started) return
      started = true
      schedule(firstAfter)
    },
    stop () {
      started = false
      clearTimeout(timer)
      timer = undefined
      running?.abort()
    },
    walk
  }
}
