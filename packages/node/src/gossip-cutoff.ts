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
 * A message keeps its sender's IWANT promise on arrival, before it waits for its turn. gossipsub counts a
 * promise kept only once the promised message has been validated, and penalises a peer for each one
 * broken after its follow-up time (3 s; P7, -10 each, three graylist it): an honest peer answering this
 * node's IWANT with a burst of 64-member ring posts (~30 ms each to verify here) waited for its own
 * burst to be judged in turn, and was penalised for this node's slowness (eighth read of issue 12).
 * go-libp2p counts a promise kept once the message begins validation, without a per-peer turn. The
 * message id binds the bytes, so only the promised message keeps it; if invalid, it is penalised when judged.
 *
 * What is wrapped and used of gossipsub are its internals (17.x): `handleReceivedMessage(from,
 * rpcMessage)`, one call per message of an RPC; `msgIdFn` and `msgIdToStrFn`, its message id; and
 * `gossipTracer.deliverMessage`, which keeps a promise, and `gossipTracer.size`. Without them the gate cannot work, and creating
 * the node fails by name.
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

/** A message of an RPC as gossipsub hands it to its handler. */
interface RpcMessage {
  topic: string
  data?: Uint8Array
  from?: Uint8Array
  seqno?: Uint8Array
  signature?: Uint8Array
  key?: Uint8Array
}

/** gossipsub's handler of one received message, as it calls it. */
type MessageHandler = (from: PeerId, message: RpcMessage) => Promise<void>

/** What the gate uses of gossipsub's internals (see the module notes). */
interface GossipsubInternals {
  handleReceivedMessage: MessageHandler
  msgIdFn(message: { type: 'unsigned', topic: string, data: Uint8Array }): Uint8Array | Promise<Uint8Array>
  msgIdToStrFn(id: Uint8Array): string
  /** `size`: how many messages have promises pending (none: nothing to keep, no message id computed). */
  gossipTracer: { readonly size: number, deliverMessage(msgIdStr: string): void }
}

/** `pubsub` seen through {@link GossipsubInternals}, or undefined when it lacks one of them. */
function internalsOf (pubsub: GossipSub): GossipsubInternals | undefined {
  const target = pubsub as unknown as Partial<GossipsubInternals>
  return typeof target.handleReceivedMessage === 'function' && typeof target.msgIdFn === 'function' &&
    typeof target.msgIdToStrFn === 'function' && typeof target.gossipTracer?.deliverMessage === 'function' && typeof target.gossipTracer.size === 'number'
    ? target as GossipsubInternals
    : undefined
}

/**
 * Keeps the IWANT promise of an unsigned message (the only kind gossipsub takes here, StrictNoSign): it is
 * out of the peer's hands once here. A message carrying signing fields is refused by gossipsub unjudged
 * and keeps no promise, as gossipsub would have it.
 */
async function keepPromise (target: GossipsubInternals, message: RpcMessage): Promise<void> {
  if (message.data === undefined || message.from != null || message.seqno != null || message.signature != null || message.key != null) return
  const id = await target.msgIdFn({ type: 'unsigned', topic: message.topic, data: message.data })
  target.gossipTracer.deliverMessage(target.msgIdToStrFn(id))
}

/**
 * Wraps `pubsub`'s per-message handler (see the module notes) and returns `pubsub`.
 *
 * @example
 * ```ts
 * const pubsub = gateCutOff(gossipsubInstance, { isCutOff: (peer) => tracker.isCutOff(peer) })
 * ```
 */
export function gateCutOff (pubsub: GossipSub, init: CutOffGateInit): GossipSub {
  const target = internalsOf(pubsub)
  if (target === undefined) throw new GossipsubContractError('gossipsub lacks handleReceivedMessage, msgIdFn, msgIdToStrFn or gossipTracer.deliverMessage, which the cut-off gate uses')
  const handle = target.handleReceivedMessage
  /** Each peer's last message in line: the next waits for it to be judged. */
  const tails = new Map<string, Promise<void>>()
  target.handleReceivedMessage = async (from, message) => {
    const peer = from.toString()
    // its promise is kept now, not once it (and the peer's earlier messages) are judged; the tail is set
    // below in this same turn, so that the peer's next message lines up behind this one
    if (target.gossipTracer.size > 0 && !init.isCutOff(peer)) keepPromise(target, message).catch(() => {})
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
