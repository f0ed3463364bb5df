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
   * Queues `ids` to ask of `peer`, as far as its rate and its queue allow; returns how many were queued.
   * `ids` is read lazily: a peer over its budget costs no id computed.
   */
  want (peer: string, ids: Iterable<Uint8Array>): number {
    // a flood of rings of unknown members from one peer: after its budget, each costs this lookup only
    const used = this.limiter.get(peer)
    if (used !== undefined && used.remainingPoints <= 0) return 0
    const queue = this.peers.get(peer) ?? new Map<string, Uint8Array>()
    if (queue.size >= this.perPeer) return 0
    let queued = 0
    for (const id of ids) {
      const key = toHex(id)
      if (queue.has(key)) continue
      if (queue.size >= this.perPeer) break
      try {
        this.limiter.consume(peer)
      } catch {
        break
      }
      queue.set(key, id)
      queued++
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
