/**
 * The membership rule in a channel's gossip validator: after protocol validation and before the store, a
 * ring-signed vote or post of a public channel whose ring is not of stamped members known here is Ignored
 * (never penalised: directories differ, and the sender may know more members), its missing stamps asked of
 * the peer that forwarded it; the intake keeps it until they arrive (PostIntake.stamped). The envelope is
 * validated once: the check's result is handed on to the channel validator (createTopicValidator), which
 * judges everything else as before. One peer's messages reach it one at a time, and a cut-off peer's
 * not at all: gossip-cutoff.ts gates them before gossipsub looks at them.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { displayLine } from '@murmur/protocol'
import { createTopicValidator } from './gossip.js'
import type { MemberRefusal } from './intake.js'
import type { TopicValidatorInit } from './gossip.js'
import type { TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { ValidEnvelope, ValidationResult } from '@murmur/protocol'

/** Options of {@link memberGatedValidator}: the channel validator's, and the membership rule. */
export interface MemberGatedValidatorInit extends TopicValidatorInit {
  /**
   * PostIntake.membership: why a valid envelope is not taken, undefined when it is; `peer` is asked for
   * missing stamps, and `message` (its topic and bytes) kept until they arrive.
   */
  membership(valid: ValidEnvelope, peer: PeerId, message: { topic: string, data: Uint8Array }): MemberRefusal | undefined
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
  const { validate, membership, log } = init
  // the check already under way for a message's bytes, so the channel validator does not run it again
  const checks = new WeakMap<Uint8Array, Promise<ValidationResult>>()
  const channel = createTopicValidator({ ...init, validate: async (topic, envelope, peer) => await (checks.get(envelope) ?? validate(topic, envelope, peer)) })
  return async (peer, message) => {
    const check = Promise.resolve().then(async () => await validate(message.topic, message.data, peer))
    checks.set(message.data, check)
    try {
      // a failed check (an overloaded pool) is the channel validator's to answer, as without the rule
      const result = await check.catch(() => undefined)
      if (result?.ok === true) {
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
  }
}
