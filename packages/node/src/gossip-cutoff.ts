/**
 * A cut-off peer's gossip messages are dropped before gossipsub looks at them, one peer's messages are
 * handed to gossipsub one at a time, in the order they came, a peer's line is bounded, and the node's
 * turns are shared between the senders: round-robin over address groups, then over a group's peers.
 *
 * gossipsub marks a message seen (for two minutes) and sends IDONTWANT to its mesh peers before any
 * topic validator runs; a message the validator then answers Ignore is gone for that long, the honest
 * copies of it included. So a peer that sent junk and a genuine post in one batch, cut off by the junk,
 * hid the genuine post from this node if its own copy was looked at after the cut-off (sixth read of
 * issue 12, H1: 44 s until history sync brought it instead of at once). And gossipsub starts every
 * message of a batch (and every batch of a stream) without waiting for the one before, so the junk's
 * penalties landed after the batch's later messages were already being checked.
 *
 * Here gossipsub's per-message handler takes a turn in its peer's line: {@link GOSSIP_PEER_TURNS} (one)
 * of one peer's messages is judged at once, the next starting once it is judged, and a message whose sender is cut off by its turn is dropped unseen: never marked seen, no
 * IDONTWANT, never decoded. A junk batch so costs at most `CUT_OFF_COUNT + GOSSIP_PEER_TURNS - 1` checks
 * (gossip.ts), and the honest copy of a post it carried is taken when it comes. The node judges at most
 * {@link GOSSIP_TURNS} messages at once, its free turns going round-robin to the address groups with
 * messages waiting and within a group to its peers, so other senders' messages are not held up behind a
 * long line, whatever its PeerIds.
 *
 * Why one at a time still (issue 17, the flood of valid posts, measured): a turn lasts a message's whole
 * judgement, so a flooder's line at its neighbours takes one message per judgement, and only what gets
 * through there reaches the rest of the network. Lines of a few at once (4) let a flood through 2-4 times
 * faster, the honest nodes' CPU went to it, and honest posts waited longer behind what their neighbours
 * forwarded (chaos flood, 8 honest nodes, side by side: p99 12.7 s against 2.5 s one at a time at load 3,
 * 13.6 and 25.2 s against 4.5 and 6.5 s at load 7-10). What one at a time lacked: a line grew without
 * bound for as long as a flood lasted (1,300 messages traced); past {@link GOSSIP_PEER_WAITING} waiting
 * its oldest is now dropped unseen, so it stays receivable from other peers and by sync.
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

/**
 * Gossip messages judged at once over all peers, handed round-robin to the address groups with messages
 * waiting, and within a group to its peers: once more lines wait than this, each group gets an equal part,
 * so PeerIds made up at one address (each a line of its own) get no more of the node than one honest peer.
 */
export const GOSSIP_TURNS = 64

/**
 * Ms a judgement holds one of the node's {@link GOSSIP_TURNS} before it stops counting against them (it still
 * counts against its peer's): a few judgements that hang (a stuck store write) must not stop every peer's
 * gossip. Far above a judgement's time on a node short of CPU (p99 about 5 s in the chaos flood at load 10),
 * so that slow judgements do not lift their turns and let more start, which a busy node cannot afford.
 */
export const GOSSIP_TURN_HOLD = 30_000

/**
 * Messages of one peer judged at once (see the module notes: more let a flood through faster). The first
 * `CUT_OFF_COUNT` rejections (gossip.ts) cut a junk sender off, so a junk batch costs at most
 * `CUT_OFF_COUNT + GOSSIP_PEER_TURNS - 1` checks.
 */
export const GOSSIP_PEER_TURNS = 1

/**
 * Messages of one peer waiting for a turn; past it, the oldest waiting is dropped unseen (gossipsub never
 * saw it: a copy from another peer, an IWANT or history sync still brings it). Bounds what one peer's
 * backlog holds in memory; an honest burst (an IWANT answer) is far smaller.
 */
export const GOSSIP_PEER_WAITING = 1024

/** What {@link gateCutOff} asks of the node. */
export interface CutOffGateInit {
  /** Whether the peer (a PeerId string) is cut off now (`InvalidMessageTracker.isCutOff`). */
  isCutOff(peer: string): boolean
  /**
   * The address group of a peer (`SenderGroups.of`): the node's turns go round-robin over groups, then over a
   * group's peers, so PeerIds made up at one address share one group's part. @default each peer a group of its own
   */
  groupOf?(peer: PeerId): string | undefined
  /** Messages judged at once over all peers. @default GOSSIP_TURNS */
  turns?: number
  /** Messages of one peer judged at once. @default GOSSIP_PEER_TURNS */
  peerTurns?: number
  /** Messages of one peer waiting for a turn before the oldest is dropped. @default GOSSIP_PEER_WAITING */
  peerWaiting?: number
  /** Ms a judgement holds one of the node's turns before it counts only against its peer's. @default GOSSIP_TURN_HOLD */
  turnHold?: number
  /** Called for each message dropped unseen from a full line (a metric, a log). @default nothing */
  onDropped?(peer: string): void
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
  const lines = new PeerLines(init.turns ?? GOSSIP_TURNS, init.peerTurns ?? GOSSIP_PEER_TURNS, init.peerWaiting ?? GOSSIP_PEER_WAITING, init.turnHold ?? GOSSIP_TURN_HOLD, init.onDropped)
  target.handleReceivedMessage = async (from, message) => {
    const peer = from.toString()
    // its promise is kept now, not once it (and the peer's earlier messages) are judged
    if (target.gossipTracer.size > 0 && !init.isCutOff(peer)) keepPromise(target, message).catch(() => {})
    const turn = await lines.turn(peer, init.groupOf?.(from))
    if (turn === undefined) return
    try {
      if (init.isCutOff(peer)) return
      await handle.call(pubsub, from, message)
    } finally {
      turn.done()
    }
  }
  return pubsub
}

/** One peer's line: its messages being judged, and those waiting (each resolved true for its turn, false when dropped). */
interface Line {
  /** The address group it is charged to. */
  group: string
  running: number
  waiting: Array<(go: boolean) => void>
  /** Whether it is in its group's rotation. */
  queued: boolean
}

/** An address group's lines waiting for a turn, in the order they get the group's next turns. */
interface GroupRotation {
  peers: string[]
  /** Whether the group is in the node's rotation. */
  queued: boolean
}

/**
 * Each peer's line of messages, and the node's turns handed round-robin over the address groups with
 * messages waiting, and within a group over its peers: at most `total` judged at once over all peers, at
 * most `turns` of one peer, at most `waiting` waiting per peer (the oldest dropped).
 */
class PeerLines {
  private readonly lines = new Map<string, Line>()
  private readonly groups = new Map<string, GroupRotation>()
  /** Groups with a line in their rotation, in the order they get the next turns. */
  private readonly rotation: string[] = []
  private running = 0
  private readonly total: number
  private readonly turns: number
  private readonly waiting: number
  private readonly hold: number
  private readonly onDropped?: (peer: string) => void

  constructor (total: number, turns: number, waiting: number, hold: number, onDropped?: (peer: string) => void) {
    if (!Number.isInteger(total) || total < 1) throw new RangeError(`expected at least 1 turn in all, got ${total}`)
    if (!Number.isInteger(turns) || turns < 1) throw new RangeError(`expected at least 1 turn per peer, got ${turns}`)
    if (!Number.isInteger(waiting) || waiting < 0) throw new RangeError(`expected a waiting bound of at least 0, got ${waiting}`)
    this.total = total
    this.turns = turns
    this.waiting = waiting
    this.hold = hold
    this.onDropped = onDropped
  }

  /**
   * Resolves with a turn for a message of `peer`, charged to address group `group` (its own when not known;
   * call the turn's `done` once judged), or undefined when it was dropped from a full line.
   */
  async turn (peer: string, group: string = peer): Promise<{ done(): void } | undefined> {
    let line = this.lines.get(peer)
    if (line === undefined) {
      line = { group, running: 0, waiting: [], queued: false }
      this.lines.set(peer, line)
    }
    const own = line
    const go = new Promise<boolean>((resolve) => { own.waiting.push(resolve) })
    if (own.waiting.length > this.waiting) {
      this.onDropped?.(peer)
      own.waiting.shift()?.(false)
    }
    this.enqueue(peer, own)
    this.hand()
    if (!await go) return undefined
    // past the hold the node's turn is free again; the peer's stays taken until the judgement ends
    let held = true
    const lift = (): void => {
      if (!held) return
      held = false
      this.running--
      this.hand()
    }
    const timer = setTimeout(lift, this.hold)
    // the hold never keeps a process alive (Node's timers; a browser's are numbers)
    if (typeof timer === 'object' && 'unref' in timer) timer.unref()
    let ended = false
    return {
      done: () => {
        if (ended) return
        ended = true
        clearTimeout(timer)
        if (held) {
          held = false
          this.running--
        }
        this.done(peer)
      }
    }
  }

  /** A message of `peer` was judged: its turn goes to the next group in the rotation. */
  private done (peer: string): void {
    const line = this.lines.get(peer)
    if (line === undefined) return
    line.running--
    this.enqueue(peer, line)
    this.forget(peer, line)
    this.hand()
  }

  /** Puts `line` at the end of its group's rotation (and the group in the node's) when it has messages waiting and a turn of its own free. */
  private enqueue (peer: string, line: Line): void {
    if (line.queued || line.waiting.length === 0 || line.running >= this.turns) return
    line.queued = true
    let group = this.groups.get(line.group)
    if (group === undefined) {
      group = { peers: [], queued: false }
      this.groups.set(line.group, group)
    }
    group.peers.push(peer)
    this.requeue(line.group, group)
  }

  /** Puts `group` at the end of the node's rotation when a line of it waits and it is not there yet. */
  private requeue (key: string, group: GroupRotation): void {
    if (group.queued || group.peers.length === 0) return
    group.queued = true
    this.rotation.push(key)
  }

  /** Forgets a line with nothing running, waiting or queued. */
  private forget (peer: string, line: Line): void {
    if (line.running === 0 && line.waiting.length === 0 && !line.queued) this.lines.delete(peer)
  }

  /** Hands free turns round-robin: to the next group in the rotation, to the next line of that group, one message each. */
  private hand (): void {
    while (this.running < this.total) {
      const key = this.rotation.shift()
      if (key === undefined) return
      const group = this.groups.get(key)
      if (group === undefined) continue
      group.queued = false
      const peer = group.peers.shift()
      const line = peer === undefined ? undefined : this.lines.get(peer)
      if (peer === undefined || line === undefined) {
        if (group.peers.length === 0) this.groups.delete(key)
        else this.requeue(key, group)
        continue
      }
      line.queued = false
      const next = line.waiting.shift()
      if (next !== undefined) {
        line.running++
        this.running++
        next(true)
        this.enqueue(peer, line)
      } else {
        this.forget(peer, line)
      }
      if (group.peers.length === 0 && !group.queued) this.groups.delete(key)
      else this.requeue(key, group)
    }
  }
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
