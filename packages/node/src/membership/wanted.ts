/**
 * Stamps to fetch: when a ring names members the directory does not know, their item ids are asked of the
 * peer that sent the ring (the directory sync's `need`), rate-limited and bounded per peer, so a stream of
 * rings of unknown members costs a bounded amount of fetching and, through the directory, of evaluation.
 */
import { RateLimiter } from '@libp2p/utils'
import { toHex } from '@murmur/protocol'
import { Recent } from '../recent.js'
import { DIRECTORY_FETCHES_PER_PEER_PER_MINUTE, DIRECTORY_WANTED_PEERS, DIRECTORY_WANTED_PER_PEER } from './constants.js'

/** Limits of {@link WantedStamps}. */
export interface WantedStampsInit {
  /** @default DIRECTORY_FETCHES_PER_PEER_PER_MINUTE */
  fetchesPerPeerPerMinute?: number
  /** @default DIRECTORY_WANTED_PER_PEER */
  wantedPerPeer?: number
  /** @default DIRECTORY_WANTED_PEERS */
  wantedPeers?: number
}

/** Item ids to ask each peer for, bounded and rate-limited per peer. */
export class WantedStamps {
  private readonly limiter: RateLimiter
  private readonly perPeer: number
  private readonly peers: Recent<Map<string, Uint8Array>>

  constructor (init: WantedStampsInit = {}) {
    this.limiter = new RateLimiter({ points: init.fetchesPerPeerPerMinute ?? DIRECTORY_FETCHES_PER_PEER_PER_MINUTE, duration: 60 })
    this.perPeer = init.wantedPerPeer ?? DIRECTORY_WANTED_PER_PEER
    this.peers = new Recent(init.wantedPeers ?? DIRECTORY_WANTED_PEERS)
  }

  /**
   * Queues `ids` to ask of `peer`, as far as its rate and its queue allow; returns the ids queued.
   * `ids` is read lazily: a peer over its budget costs no id computed.
   */
  want (peer: string, ids: Iterable<Uint8Array>): Uint8Array[] {
    // a flood of rings of unknown members from one peer: after its budget, each costs this lookup only
    const used = this.limiter.get(peer)
    if (used !== undefined && used.remainingPoints <= 0) return []
    return this.queue(peer, ids, () => {
      try {
        this.limiter.consume(peer)
        return true
      } catch {
        return false
      }
    })
  }

  /**
   * Queues `ids` to ask of `peer` on this node's own account (another peer did not bring them): bounded by
   * the peer's queue, not by its rate, which counts what rings a peer sent. Returns the ids queued.
   */
  ask (peer: string, ids: Iterable<Uint8Array>): Uint8Array[] {
    return this.queue(peer, ids, () => true)
  }

  /** Adds `ids` to `peer`'s queue while it has room and `admit` allows. */
  private queue (peer: string, ids: Iterable<Uint8Array>, admit: () => boolean): Uint8Array[] {
    const queue = this.peers.get(peer) ?? new Map<string, Uint8Array>()
    if (queue.size >= this.perPeer) return []
    const queued: Uint8Array[] = []
    for (const id of ids) {
      const key = toHex(id)
      if (queue.has(key)) continue
      if (queue.size >= this.perPeer || !admit()) break
      queue.set(key, id)
      queued.push(id)
    }
    if (queue.size > 0) this.peers.set(peer, queue)
    return queued
  }

  /** The ids to ask `peer` for now (each handed out once). */
  take (peer: string): Uint8Array[] {
    const queue = this.peers.get(peer)
    if (queue === undefined) return []
    this.peers.set(peer, new Map())
    return [...queue.values()]
  }
}
