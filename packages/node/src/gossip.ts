/**
 * How Murmur uses gossipsub: anonymous messages, message id = post id, a validator per channel topic
 * that runs the protocol checks and the store, and peer scoring that graylists peers forwarding junk.
 */
import { TopicValidatorResult, gossipsub } from '@libp2p/gossipsub'
import { ERROR_ACTIONS, messageId, toHex } from '@murmur/protocol'
import type { TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreThresholds } from '@libp2p/gossipsub/score'
import type { Logger } from '@libp2p/interface'
import type { ValidEnvelope, ValidationResult } from '@murmur/protocol'

/**
 * Score thresholds (gossipsub's defaults, written out because the penalty weight below is tuned to them):
 * below -10 a peer gets no gossip, below -50 we stop publishing to it, below -80 it is graylisted
 * (everything it sends is dropped unread) and it is pruned from every mesh at the next heartbeat.
 */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 20
}

/** Weight of the application-specific score (P5): each rejected message costs `(count²) × weight`. */
export const INVALID_MESSAGE_WEIGHT = -10

/** Per-second decay of a peer's rejected-message count: it halves in about ten minutes. */
export const INVALID_MESSAGE_DECAY = 0.5 ** (1 / 600)

/** Counts below this are forgotten. */
const DECAY_TO_ZERO = 0.1

/** Most misbehaving peers remembered at once; the least penalised are forgotten first. */
const MAX_TRACKED_PEERS = 4096

/**
 * Counts, per peer, the messages our validator rejected, with exponential decay, and turns the count
 * into gossipsub's application-specific score (P5).
 *
 * Why P5 and not gossipsub's own P4 ("invalid message deliveries"): P4 only counts topics listed in
 * `scoreParams.topics`, which gossipsub freezes at construction, while channels are joined at run time.
 * P5 is gossipsub's hook for exactly this kind of application verdict, and covers every channel.
 * Three rejected messages within a few minutes take a peer below the graylist threshold (3² × -10 = -90).
 *
 * @example
 * ```ts
 * const tracker = new InvalidMessageTracker()
 * tracker.penalise(peerId.toString())
 * gossipsub({ scoreParams: scoreParams(tracker) })
 * ```
 */
export class InvalidMessageTracker {
  private readonly counts = new Map<string, { value: number, at: number }>()

  /** Records one rejected message forwarded by `peer`. */
  penalise (peer: string, now = Date.now()): void {
    const value = this.current(peer, now) + 1
    this.counts.delete(peer)
    this.counts.set(peer, { value, at: now })
    if (this.counts.size > MAX_TRACKED_PEERS) {
      this.forgetLeastPenalised(now)
    }
  }

  /** The decayed count of rejected messages of `peer`. */
  current (peer: string, now = Date.now()): number {
    const entry = this.counts.get(peer)
    if (entry === undefined) {
      return 0
    }
    const value = entry.value * INVALID_MESSAGE_DECAY ** ((now - entry.at) / 1000)
    if (value < DECAY_TO_ZERO) {
      this.counts.delete(peer)
      return 0
    }
    return value
  }

  /** gossipsub P5 value (before weighting): the square of the decayed count, negated by the weight. */
  score (peer: string): number {
    const count = this.current(peer)
    return count * count
  }

  private forgetLeastPenalised (now: number): void {
    let weakest: string | undefined
    let weakestValue = Infinity
    for (const peer of [...this.counts.keys()]) {
      const value = this.current(peer, now)
      if (value > 0 && value < weakestValue) {
        weakest = peer
        weakestValue = value
      }
    }
    if (weakest !== undefined && this.counts.size > MAX_TRACKED_PEERS) {
      this.counts.delete(weakest)
    }
  }
}

/**
 * gossipsub peer-score parameters wired to an {@link InvalidMessageTracker}.
 *
 * @example
 * ```ts
 * gossipsub({ scoreParams: scoreParams(tracker), scoreThresholds: SCORE_THRESHOLDS })
 * ```
 */
export function scoreParams (tracker: InvalidMessageTracker): Partial<PeerScoreParams> {
  return {
    appSpecificScore: (peer) => tracker.score(peer),
    appSpecificWeight: INVALID_MESSAGE_WEIGHT
  }
}

/** What the node does with an envelope that passed protocol validation: store it and say how that went. */
export type AcceptEnvelope = (topic: string, envelope: Uint8Array, valid: ValidEnvelope) => Promise<'stored' | 'duplicate' | 'duplicate-tag' | 'expired'>

/** Options of {@link createTopicValidator}. */
export interface TopicValidatorInit {
  /** Protocol validation (the node's intake, so every path checks a post the same way). */
  validate(topic: string, envelope: Uint8Array): ValidationResult
  /** Tag check and store write for a valid envelope. */
  accept: AcceptEnvelope
  /** Counts rejections per forwarding peer for scoring. */
  tracker: InvalidMessageTracker
  log: Logger
}

/**
 * The validator of every channel topic: protocol validation, then the tag check and store write
 * (through `accept`), answered as Accept / Reject / Ignore. It never throws: a failure of our own
 * (say, the store) is an Ignore, never a penalty for the peer.
 *
 * @example
 * ```ts
 * pubsub.topicValidators.set(topic, createTopicValidator({ validate: (t, e) => intake.validate(t, e), tracker, accept, log }))
 * ```
 */
export function createTopicValidator (init: TopicValidatorInit): TopicValidatorFn {
  const { validate, accept, tracker, log } = init
  const reject = (peer: string): TopicValidatorResult => {
    tracker.penalise(peer)
    return TopicValidatorResult.Reject
  }
  return async (peer, message) => {
    const from = peer.toString()
    const result = validate(message.topic, message.data)
    if (!result.ok) {
      log('message from %s on %s refused: %s (%s)', from, message.topic, result.code, result.reason)
      return ERROR_ACTIONS[result.code] === 'reject' ? reject(from) : TopicValidatorResult.Ignore
    }
    try {
      const outcome = await accept(message.topic, message.data, result)
      switch (outcome) {
        case 'stored':
          return TopicValidatorResult.Accept
        case 'duplicate-tag':
          // the forwarder cannot know which of two posts with one tag came first: dropped, not penalised
          log('post %s from %s dropped: ERR_DUPLICATE_TAG', toHex(result.id), from)
          return TopicValidatorResult.Ignore
        default:
          return TopicValidatorResult.Ignore
      }
    } catch (err) {
      log.error('could not store post %s - %e', toHex(result.id), err)
      return TopicValidatorResult.Ignore
    }
  }
}

/** Options of {@link murmurGossipsub}. */
export interface MurmurGossipsubInit {
  tracker: InvalidMessageTracker
}

/**
 * gossipsub as Murmur runs it: `StrictNoSign` (no `from`, `seqno`, signature or key on the wire),
 * message id = post id, our scoring, publishing refused (and reported) when nobody listens.
 *
 * @example
 * ```ts
 * createLibp2p({ services: { pubsub: murmurGossipsub({ tracker }) } })
 * ```
 */
export function murmurGossipsub (init: MurmurGossipsubInit): ReturnType<typeof gossipsub> {
  return gossipsub({
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: (message) => messageId(message.topic, message.data),
    allowPublishToZeroTopicPeers: false,
    emitSelf: false,
    scoreParams: scoreParams(init.tracker),
    scoreThresholds: SCORE_THRESHOLDS
  })
}
