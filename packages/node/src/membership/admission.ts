/**
 * Who may make the directory evaluate a stamp, and when: one evaluation in flight per peer (so a burst
 * from one peer waits for the verdict on its first), no more from a peer once it sent an invalid
 * announcement, and on the live paths (gossip, stem) rate limits per peer and overall.
 */
import { RateLimiter } from '@libp2p/utils'
import { Recent } from '../recent.js'
import { DIRECTORY_EVALUATIONS_PER_SECOND, DIRECTORY_PEER_EVALUATIONS_PER_MINUTE, DIRECTORY_QUEUED_PER_PEER, DIRECTORY_STRUCK_PEERS } from './constants.js'

/** Limits of {@link EvaluationAdmission}. */
export interface EvaluationAdmissionInit {
  /** @default DIRECTORY_PEER_EVALUATIONS_PER_MINUTE */
  peerEvaluationsPerMinute?: number
  /** @default DIRECTORY_EVALUATIONS_PER_SECOND */
  evaluationsPerSecond?: number
  /** @default DIRECTORY_QUEUED_PER_PEER */
  queuedPerPeer?: number
  /** @default DIRECTORY_STRUCK_PEERS */
  struckPeers?: number
}

/** True when `limiter` still had a point for `key` (and takes it). */
function take (limiter: RateLimiter, key: string): boolean {
  try {
    limiter.consume(key)
    return true
  } catch {
    return false
  }
}

/** The directory's gate in front of stamp evaluations. */
export class EvaluationAdmission {
  private readonly perPeer: RateLimiter
  private readonly overall: RateLimiter
  private readonly struck: Recent<true>
  private readonly queuedPerPeer: number
  private readonly queues = new Map<string, { tail: Promise<unknown>, waiting: number }>()

  constructor (init: EvaluationAdmissionInit = {}) {
    this.perPeer = new RateLimiter({ points: init.peerEvaluationsPerMinute ?? DIRECTORY_PEER_EVALUATIONS_PER_MINUTE, duration: 60 })
    this.overall = new RateLimiter({ points: init.evaluationsPerSecond ?? DIRECTORY_EVALUATIONS_PER_SECOND, duration: 1 })
    this.struck = new Recent(init.struckPeers ?? DIRECTORY_STRUCK_PEERS)
    this.queuedPerPeer = init.queuedPerPeer ?? DIRECTORY_QUEUED_PER_PEER
  }

  /** Whether `peer` sent an invalid announcement (it gets no evaluation any more). */
  isStruck (peer: string): boolean {
    return this.struck.get(peer) === true
  }

  /** Records that `peer` sent an invalid announcement. */
  strike (peer: string): void {
    this.struck.set(peer, true)
  }

  /**
   * Runs `task` once the earlier tasks of `peer` are done, one at a time; undefined (nothing run) when
   * too many already wait.
   */
  inTurn<T> (peer: string, task: () => Promise<T>): Promise<T> | undefined {
    const queue = this.queues.get(peer) ?? { tail: Promise.resolve(), waiting: 0 }
    if (queue.waiting >= this.queuedPerPeer) return undefined
    queue.waiting++
    this.queues.set(peer, queue)
    const run = queue.tail.then(task)
    queue.tail = run.catch(() => {}).then(() => {
      queue.waiting--
      if (queue.waiting === 0 && this.queues.get(peer) === queue) this.queues.delete(peer)
    })
    return run
  }

  /** Takes a point for one evaluation on a live path: from `peer`'s budget, and from the overall one. */
  admit (peer: string | undefined): boolean {
    if (peer !== undefined && !take(this.perPeer, peer)) return false
    return take(this.overall, 'all')
  }
}
