/**
 * The membership rule in a channel's gossip validator: after protocol validation and before the store, a
 * ring-signed vote or post of a public channel whose ring is not of stamped members known here is Ignored
 * (never penalised: directories differ, and the sender may know more members), its missing stamps asked of
 * the peer that forwarded it; the intake keeps it until they arrive (PostIntake.stamped). The envelope is
 * validated once: the check's result is handed on to the channel validator (createTopicValidator), which
 * judges everything else as before. One peer's messages are checked a few at a time, in the order
 * gossipsub hands them over, each only once the peer is known not to be cut off: gossipsub validates all
 * messages of an RPC (and RPCs of one stream) at once, so without turns a batch of 250 junk envelopes were
 * all checked before the first penalty landed.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { displayLine } from '@murmur/protocol'
import { createTopicValidator } from './gossip.js'
import type { MemberRefusal } from './intake.js'
import type { TopicValidatorInit } from './gossip.js'
import type { TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { ValidEnvelope, ValidationResult } from '@murmur/protocol'

/**
 * How many of one peer's messages are checked at once: one, in the order gossipsub hands them over. A
 * message found invalid holds the turn until its penalty landed, so a junk batch costs the checks that
 * cut its sender off (CUT_OFF_COUNT rejections, or one more when time passes between them, the count
 * decaying) and no more; a valid one gives the turn back once checked (it is stored while the next is checked).
 */
export const PEER_CHECKS = 1

/** Options of {@link memberGatedValidator}: the channel validator's, and the membership rule. */
export interface MemberGatedValidatorInit extends TopicValidatorInit {
  /**
   * PostIntake.membership: why a valid envelope is not taken, undefined when it is; `peer` is asked for
   * missing stamps, and `message` (its topic and bytes) kept until they arrive.
   */
  membership(valid: ValidEnvelope, peer: PeerId, message: { topic: string, data: Uint8Array }): MemberRefusal | undefined
  /**
   * How many of one peer's messages are checked at once.
   *
   * @default PEER_CHECKS
   */
  checksPerPeer?: number
}

/** Turns of each peer's checks: at most `limit` of a peer's run at once, the others wait in arrival order. */
class PeerTurns {
  private readonly peers = new Map<string, { running: number, waiting: Array<() => void> }>()

  constructor (private readonly limit: number) {}

  /** Waits for a turn of `peer`'s; resolves to the function that gives it back (once, whatever the calls). */
  async take (peer: string): Promise<() => void> {
    let entry = this.peers.get(peer)
    if (entry === undefined) {
      entry = { running: 0, waiting: [] }
      this.peers.set(peer, entry)
    }
    const turns = entry
    if (turns.running < this.limit) turns.running++
    else await new Promise<void>((resolve) => { turns.waiting.push(resolve) })
    let given = false
    return () => {
      if (given) return
      given = true
      const next = turns.waiting.shift()
      // the turn passes to the next waiting message as it is, or ends
      if (next !== undefined) next()
      else if (--turns.running === 0) this.peers.delete(peer)
    }
  }
}

/**
 * A channel's gossip validator (createTopicValidator) with the membership rule between validation and
 * the store.
 *
 * @example
 * ```ts
 * const validator = memberGatedValidator({
 *   validate, accept, tracker, log,
 *   membership: (valid, peer, { topic, data }) => intake.membership(valid, peer.toString(), { topic, envelope: data, path: 'gossip', from: groupOf(peer) })
 * })
 * pubsub.topicValidators.set(topic, validator)
 * ```
 */
export function memberGatedValidator (init: MemberGatedValidatorInit): TopicValidatorFn {
  const { validate, membership, tracker, log } = init
  const turns = new PeerTurns(init.checksPerPeer ?? PEER_CHECKS)
  // the check already under way for a message's bytes, so the channel validator does not run it again
  const checks = new WeakMap<Uint8Array, Promise<ValidationResult>>()
  const channel = createTopicValidator({ ...init, validate: async (topic, envelope, peer) => await (checks.get(envelope) ?? validate(topic, envelope, peer)) })
  return async (peer, message) => {
    const from = peer.toString()
    const giveBack = await turns.take(from)
    try {
      // before any decode: a peer cut off by its earlier messages (of this batch too) gets nothing more checked
      if (tracker.isCutOff(from)) return TopicValidatorResult.Ignore
      const check = Promise.resolve().then(async () => await validate(message.topic, message.data, peer))
      checks.set(message.data, check)
      try {
        // a failed check (an overloaded pool) is the channel validator's to answer, as without the rule
        const result = await check.catch(() => undefined)
        if (result?.ok === true) {
          // no penalty to wait for: the peer's next message is checked while this one is stored
          giveBack()
          const refused = membership(result, peer, message)
          if (refused !== undefined) {
            log('message on %s not taken: %s (%s)', displayLine(message.topic), refused.code, refused.reason)
            return TopicValidatorResult.Ignore
          }
        }
        return await channel(peer, message)
      } finally {
        checks.delete(message.data)
      }
    } finally {
      giveBack()
    }
  }
}
