/**
 * A cut-off peer's gossip messages are dropped before gossipsub looks at them, and one peer's messages
 * are handed to gossipsub one at a time.
 *
 * gossipsub marks a message seen (for two minutes) and sends IDONTWANT to its mesh peers before any
 * topic validator runs; a message the validator then answers Ignore is gone for that long, the honest
 * copies of it included. So a peer that sent junk and a genuine post in one batch, cut off by the junk,
 * hid the genuine post from this node if its own copy was looked at after the cut-off (sixth read of
 * issue 12, H1: 44 s until history sync brought it instead of at once). And gossipsub starts every
 * message of a batch (and every batch of a stream) without waiting for the one before, so the junk's
 * penalties landed after the batch's later messages were already being checked.
 *
 * Here gossipsub's per-message handler waits for the same peer's previous message to be judged, and a
 * message whose sender is cut off by then is dropped unseen: never marked seen, no IDONTWANT, never
 * decoded. A junk batch so costs at most `CUT_OFF_COUNT` checks (gossip.ts) plus the one under way, and
 * the honest copy of a post it carried is taken when it comes. Other peers' messages are not held up.
 *
 * The handler wrapped, `handleReceivedMessage(from, rpcMessage)`, is gossipsub's internal (17.x): one
 * call per message of an RPC. Without it the gate cannot work, and creating the node fails by name.
 */
import type { GossipSub } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

/** Thrown when the installed gossipsub has no per-message handler to wrap (a changed internal). */
export class GossipsubContractError extends Error {
  static override readonly name = 'GossipsubContractError'
  override readonly name = 'GossipsubContractError'
  readonly code = 'ERR_GOSSIPSUB_CONTRACT'
}

/** What {@link gateCutOff} asks of the node. */
export interface CutOffGateInit {
  /** Whether the peer (a PeerId string) is cut off now (`InvalidMessageTracker.isCutOff`). */
  isCutOff(peer: string): boolean
}

/** gossipsub's handler of one received message, as it calls it. */
type MessageHandler = (from: PeerId, message: unknown) => Promise<void>

/**
 * Wraps `pubsub`'s per-message handler (see the module notes) and returns `pubsub`.
 *
 * @example
 * ```ts
 * const pubsub = gateCutOff(gossipsubInstance, { isCutOff: (peer) => tracker.isCutOff(peer) })
 * ```
 */
export function gateCutOff (pubsub: GossipSub, init: CutOffGateInit): GossipSub {
  const target = pubsub as unknown as { handleReceivedMessage?: MessageHandler }
  const handle = target.handleReceivedMessage
  if (typeof handle !== 'function') throw new GossipsubContractError('gossipsub has no handleReceivedMessage to gate cut-off peers with')
  /** Each peer's last message in line: the next waits for it to be judged. */
  const tails = new Map<string, Promise<void>>()
  target.handleReceivedMessage = async (from, message) => {
    const peer = from.toString()
    const turn = (tails.get(peer) ?? Promise.resolve()).then(async () => {
      if (init.isCutOff(peer)) return
      await handle.call(pubsub, from, message)
    })
    const tail = turn.catch(() => {})
    tails.set(peer, tail)
    try {
      await turn
    } finally {
      if (tails.get(peer) === tail) tails.delete(peer)
    }
  }
  return pubsub
}

/**
 * The gossipsub service factory `factory` (`murmurGossipsub`), its instances gated ({@link gateCutOff}).
 *
 * @example
 * ```ts
 * createLibp2p({ services: { pubsub: cutOffGate(murmurGossipsub({ tracker }), { isCutOff: (peer) => tracker.isCutOff(peer) }) } })
 * ```
 */
export function cutOffGate<Components> (factory: (components: Components) => GossipSub, init: CutOffGateInit): (components: Components) => GossipSub {
  return (components) => gateCutOff(factory(components), init)
}
