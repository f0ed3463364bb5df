/**
 * The relay role every node plays on the shared circle topic (docs/PROTOCOL.md §6.3): a gossip validator
 * that rejects (and penalises) frames any relay can tell are broken, and otherwise passes the frame to the
 * frame intake, which keeps it for history sync and, for this node's own circles, judges what is inside.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { InvalidMessageTracker } from '../gossip.js'
import type { Verdict } from '../intake.js'
import type { TopicValidatorFn } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

/** What {@link circleFrameValidator} needs. */
export interface CircleFrameValidatorInit {
  /** The verdict on a frame a peer forwarded (FrameIntake.receive with the peer's sender group). */
  receive(frame: Uint8Array, peer: PeerId): Promise<Verdict>
  /** The node's one penalty and cut-off per peer. */
  tracker: InvalidMessageTracker
  log: Logger
}

/**
 * The gossip validator of CIRCLE_SHARED_TOPIC: Accept (and credit the first deliverer) what the intake
 * takes, Reject (and penalise) a frame that breaks what every relay checks, Ignore the rest. An error
 * while judging is nobody's fault: Ignore.
 *
 * @example
 * ```ts
 * pubsub.topicValidators.set(CIRCLE_SHARED_TOPIC, circleFrameValidator({ receive, tracker, log }))
 * ```
 */
export function circleFrameValidator (init: CircleFrameValidatorInit): TopicValidatorFn {
  const { receive, tracker, log } = init
  return async (peer, message) => {
    const from = peer.toString()
    let verdict: Verdict
    try {
      verdict = await receive(message.data, peer)
    } catch (err) {
      log('a circle frame was not judged - %e', err)
      return TopicValidatorResult.Ignore
    }
    switch (verdict) {
      case 'accept':
        tracker.credit(from)
        return TopicValidatorResult.Accept
      case 'reject':
        tracker.penalise(from)
        return TopicValidatorResult.Reject
      default:
        return TopicValidatorResult.Ignore
    }
  }
}
