/**
 * How Murmur uses gossipsub: anonymous messages, message id = post id, a validator per channel topic
 * that runs the protocol checks and the store, and peer scoring that graylists peers forwarding junk.
 */
import { TopicValidatorResult, gossipsub } from '@libp2p/gossipsub'
import { ERROR_ACTIONS, displayLine, gossipMessageId, toHex } from '@murmur/protocol'
import type { TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreThresholds } from '@libp2p/gossipsub/score'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Connection, Logger, PeerId } from '@libp2p/interface'
import type { PutResult } from './store/index.js'
import type { ErrorCode, ValidEnvelope, ValidationResult } from '@murmur/protocol'

/**
 * Score thresholds. Below -10 a peer gets no gossip, below -50 we stop publishing to it, below -80 it is
 * graylisted (everything it sends is dropped unread) and pruned from every mesh at the next heartbeat.
 * Opportunistic grafting (every minute, when the median mesh peer scores below 2) brings in peers that
 * have earned delivery credit ({@link DELIVERY_CREDIT_CAP}): a mesh of silent peers is replaced by peers
 * that deliver.
 */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  // never reached: Murmur nodes send no peer exchange, and a PX list would have this node dial the
  // peers another one names (a chosen peer's bonus, CHOSEN_PEER_SCORE, reaches the old 10)
  acceptPXThreshold: Infinity,
  opportunisticGraftThreshold: 2
}

/**
 * Score bonus of a peer this node chose to dial (a bootstrap, discovery or rendezvous draw) while none
 * of its messages was rejected: twice the most delivery credit ({@link DELIVERY_CREDIT_CAP}), so such a
 * peer outranks any other for the best-scored mesh slots (`Dscore`) and opportunistic grafting.
 * gossipsub's `Dout` counts every outbound connection, those a DHT query opened on a remote peer's word
 * too, so it is no such guarantee.
 */
export const CHOSEN_PEER_SCORE = 10

/** Score of each rejected message: `count² × weight` (P5, see {@link scoreParams}). */
export const INVALID_MESSAGE_WEIGHT = -10

/** Per-second decay of a peer's rejected-message count and delivery credit: both halve in about ten minutes. */
export const INVALID_MESSAGE_DECAY = 0.5 ** (1 / 600)

/**
 * Rejected messages (decayed count) at which a peer is cut off: gossipsub graylists it (3² × -10 = -90,
 * below {@link SCORE_THRESHOLDS}' -80 even with full delivery credit) and the node closes its
 * connections, while the stem and sync refuse it (`isCutOff`).
 */
export const CUT_OFF_COUNT = 3

/**
 * Most delivery credit a peer holds: one point per post it was first to bring us, decayed. Enough to rank
 * peers that deliver above silent ones when gossipsub keeps the best of an oversized mesh, never enough
 * to outweigh a cut-off ({@link CUT_OFF_COUNT}).
 */
export const DELIVERY_CREDIT_CAP = 5

/**
 * Refusals a peer may send for free before each further one counts as a rejection: those of codes
 * refused before any proof of work is looked at, which are Ignored because an honest forwarder can send
 * them (a clock off by more than the window: {@link UNPAID_CODES}). Decayed as rejections are (halving in
 * ten minutes). Without it, a peer sent 60,000 expired envelopes at 0.22 ms of this node's main thread
 * each, for nothing, and was never cut off (seventh read of issue 12, RV14A H1). Past its first
 * {@link UNPAID_OWN}, a peer's free refusals also draw on its address group's {@link GROUP_UNPAID_IGNORES}.
 */
export const UNPAID_IGNORES = 20

/**
 * Free refusals of a peer's that are its own, drawn on no one else's budget: a fresh PeerId gets no more
 * (once its address group's are spent), about 0.9 ms of this node's main thread (4 × 0.22 ms), less than
 * the connection it needs costs this node. An honest forwarder sends free refusals only while its clock
 * is off by more than the tolerated skew, and then a few: so every peer of a crowd behind one address
 * (a campus NAT, a carrier's CGNAT, a relay) keeps these few whatever the others do (issue 12, Critical).
 */
export const UNPAID_OWN = 4

/**
 * Free refusals an address group (`addressGroup`) shares beyond its peers' own ({@link UNPAID_OWN}),
 * decayed as they are: a peer alone at its address still has {@link UNPAID_IGNORES} in all, and PeerIds
 * made up at one address get `UNPAID_OWN` each and this once between them. Per PeerId alone, 8 fresh
 * PeerIds from one address got 8 × 20 free refusals and 8 × 3 rejections before their cut-offs
 * (eighth read of issue 12, A-M1).
 */
export const GROUP_UNPAID_IGNORES = UNPAID_IGNORES - UNPAID_OWN

/**
 * Codes a peer sends at no cost yet Ignored, counted against {@link UNPAID_IGNORES}: envelopes refused before
 * the proof of work, and member stamps of a week not accepted now (ERR_STAMP_WEEK, refused before their
 * Argon2id evaluation).
 */
export const UNPAID_CODES: ReadonlySet<string> = new Set(['ERR_EXPIRED', 'ERR_TOO_EARLY', 'ERR_STALE_EPOCH', 'ERR_STAMP_WEEK'])

/** A code {@link InvalidMessageTracker.refusal} judges: an envelope validation code, or a stamp's week refused. */
export type RefusalCode = ErrorCode | 'ERR_STAMP_WEEK'

/** Counts below this are forgotten. */
const DECAY_TO_ZERO = 0.1

/**
 * Most peers remembered at once per count. Past it, the peer whose count changed longest ago is
 * forgotten, never the one just counted, and peers at or past the cut-off only when nobody else is
 * left: forgetting the smallest count instead let 4,096 PeerIds with two rejections each make every
 * newly penalised peer the smallest, forgotten at once, never cut off (issue 12 review, Low).
 */
export const MAX_TRACKED_PEERS = 4096

/** Per-peer counts that decay exponentially, bounded in how many peers they remember (see {@link MAX_TRACKED_PEERS}). */
class DecayingCounts {
  /** in the order their counts last changed, oldest first */
  private readonly counts = new Map<string, { value: number, at: number }>()
  private readonly keepFrom: number

  /** `keepFrom`: counts at or above it are forgotten last. */
  constructor (keepFrom = Infinity) {
    this.keepFrom = keepFrom
  }

  /** Adds one to the count of `peer` (capped at `cap`) and returns the new value. */
  add (peer: string, now: number, cap = Infinity): number {
    return this.set(peer, Math.min(this.current(peer, now) + 1, cap), now)
  }

  /** Raises the count of `peer` to at least `value` and returns the new value. */
  raise (peer: string, value: number, now: number): number {
    return this.set(peer, Math.max(this.current(peer, now), value), now)
  }

  /** The decayed count of `peer`. */
  current (peer: string, now: number): number {
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

  /** Sets the count of `peer`, now its most recent change, and keeps within {@link MAX_TRACKED_PEERS}. */
  private set (peer: string, value: number, now: number): number {
    this.counts.delete(peer)
    this.counts.set(peer, { value, at: now })
    if (this.counts.size > MAX_TRACKED_PEERS) {
      this.forgetOne(peer, now)
    }
    return value
  }

  /** Forgets the peer other than `added` whose count changed longest ago, one below `keepFrom` if there is one. */
  private forgetOne (added: string, now: number): void {
    let oldestKept: string | undefined
    for (const peer of this.counts.keys()) {
      if (peer === added) continue
      const value = this.current(peer, now)
      // decayed to nothing (and deleted by current), or below the kept counts: either frees the room
      if (value < this.keepFrom) {
        this.counts.delete(peer)
        return
      }
      oldestKept ??= peer
    }
    if (oldestKept !== undefined) this.counts.delete(oldestKept)
  }
}

/** Options of {@link InvalidMessageTracker}. */
export interface InvalidMessageTrackerInit {
  /**
   * Called once each time a peer's decayed count of rejected messages reaches {@link CUT_OFF_COUNT}
   * (the node closes its connections). Errors it throws are the caller's bug and are not caught.
   *
   * @default undefined
   */
  onCutOff?(peer: string): void
  /**
   * The address group of `peer` (a PeerId string) as its connection showed it (`SenderGroups.of`), or
   * undefined when not known: its free refusals past {@link UNPAID_OWN} draw on the group's
   * {@link GROUP_UNPAID_IGNORES}. A peer of no known group has only its own {@link UNPAID_IGNORES}.
   *
   * @default no group known
   */
  groupOf?(peer: string): string | undefined
}

/**
 * The one penalty and cut-off per peer that gossip, the stem and history sync share: counts, per peer,
 * the messages found invalid, with exponential decay, and the posts the peer was first to deliver. Both
 * become gossipsub's application-specific score (P5); the first also decides {@link isCutOff}.
 *
 * Why P5 and not gossipsub's own P4 ("invalid message deliveries") and P2 ("first deliveries"): those
 * only count topics listed in `scoreParams.topics`, which gossipsub freezes at construction, while
 * channels are joined at run time. Three rejected messages within a few minutes take a peer below the
 * graylist threshold (3² × -10 = -90) and cut it off.
 *
 * @example
 * ```ts
 * const tracker = new InvalidMessageTracker({ onCutOff: (peer) => { void closeConnections(peer) } })
 * tracker.penalise(peerId.toString())
 * if (tracker.isCutOff(peerId.toString())) return // refuse the stream
 * gossipsub({ scoreParams: scoreParams(tracker) })
 * ```
 */
export class InvalidMessageTracker {
  private readonly invalid = new DecayingCounts(CUT_OFF_COUNT)
  private readonly delivered = new DecayingCounts()
  private readonly unpaid = new DecayingCounts()
  /** Free refusals per address group, of peers past their own {@link UNPAID_OWN}. */
  private readonly groupUnpaid = new DecayingCounts()
  private readonly onCutOff?: (peer: string) => void
  private readonly groupOf?: (peer: string) => string | undefined

  constructor (init: InvalidMessageTrackerInit = {}) {
    this.onCutOff = init.onCutOff
    this.groupOf = init.groupOf
  }

  /** Records one invalid message (or frame) from `peer`; calls `onCutOff` when this reaches the cut-off. */
  penalise (peer: string, now = Date.now()): void {
    const before = this.invalid.current(peer, now)
    const after = this.invalid.add(peer, now)
    if (before < CUT_OFF_COUNT && after >= CUT_OFF_COUNT) {
      this.onCutOff?.(peer)
    }
  }

  /**
   * Cuts `peer` off at once: its count is raised to {@link CUT_OFF_COUNT} and `onCutOff` is called unless it
   * was cut off already. For input that no honest peer sends even once (a bogus member stamp, which it
   * would have verified before forwarding).
   */
  cutOff (peer: string, now = Date.now()): void {
    const before = this.invalid.current(peer, now)
    this.invalid.raise(peer, CUT_OFF_COUNT, now)
    if (before < CUT_OFF_COUNT) {
      this.onCutOff?.(peer)
    }
  }

  /**
   * What a refusal of `peer`'s for `code` (an envelope validation code) counts as: 'reject' for the codes
   * that are ({@link ERROR_ACTIONS}), and for a free one ({@link UNPAID_CODES}) past the peer's budget of
   * {@link UNPAID_IGNORES}, or past its own {@link UNPAID_OWN} once its address group's
   * {@link GROUP_UNPAID_IGNORES} are spent; else 'ignore'. The one place that decides it for gossip, the
   * stem and history sync, whichever path the refusal came by; it penalises nothing itself: the path
   * penalises a 'reject' as it does every rejection (once).
   */
  refusal (peer: string, code: RefusalCode, now = Date.now()): 'reject' | 'ignore' {
    if (code !== 'ERR_STAMP_WEEK' && ERROR_ACTIONS[code] === 'reject') return 'reject'
    if (!UNPAID_CODES.has(code)) return 'ignore'
    const spent = this.unpaid.add(peer, now)
    if (spent > UNPAID_IGNORES) return 'reject'
    if (spent <= UNPAID_OWN) return 'ignore'
    const group = this.groupOf?.(peer)
    return group !== undefined && this.groupUnpaid.add(group, now) > GROUP_UNPAID_IGNORES ? 'reject' : 'ignore'
  }

  /** Records that `peer` was the first to bring us a valid post. */
  credit (peer: string, now = Date.now()): void {
    this.delivered.add(peer, now, DELIVERY_CREDIT_CAP)
  }

  /** The decayed count of rejected messages of `peer`. */
  current (peer: string, now = Date.now()): number {
    return this.invalid.current(peer, now)
  }

  /** Whether `peer` is cut off: its decayed count of invalid messages is at or above {@link CUT_OFF_COUNT}. */
  isCutOff (peer: string, now = Date.now()): boolean {
    return this.invalid.current(peer, now) >= CUT_OFF_COUNT
  }

  /** gossipsub P5 value (weight 1): delivery credit minus the squared count of rejections × 10. */
  score (peer: string, now = Date.now()): number {
    const count = this.invalid.current(peer, now)
    return this.delivered.current(peer, now) + count * count * INVALID_MESSAGE_WEIGHT
  }
}

/**
 * gossipsub peer-score parameters wired to an {@link InvalidMessageTracker}.
 *
 * gossipsub's IP-colocation factor (P6) is off. Every member of a campus NAT, a household, a carrier's
 * CGNAT, or every browser behind one relay shares an address; P6 graylisted them all once more than ten
 * were connected (issue 12: 20 nodes on one IP, a post reached 1 of 20), and any negative colocation
 * term, however small, keeps them out of every mesh (gossipsub grafts only peers scoring at least 0).
 * An address says nothing in a crowd, so what ranks peers is what they do: delivery credit, rejections,
 * and gossipsub's behaviour penalty (P7: broken IWANT promises, grafting during backoff), plus
 * {@link CHOSEN_PEER_SCORE} for a peer this node chose to dial (`chosen`) that sent nothing rejected.
 * Sybils that join the mesh and withhold earn no credit, so the best-scored mesh slots (`Dscore`) and
 * opportunistic grafting go to the peers this node chose, then to peers that deliver. (`Dout` keeps
 * outbound peers in every mesh, but gossipsub counts any outbound connection, a DHT query's too.)
 *
 * @example
 * ```ts
 * gossipsub({ scoreParams: scoreParams(tracker, (peer) => { const id = peerIdFromString(peer); return chosen.dialed(id, libp2p.getConnections(id)) }), scoreThresholds: SCORE_THRESHOLDS })
 * ```
 */
export function scoreParams (tracker: InvalidMessageTracker, chosen?: (peer: string) => boolean): Partial<PeerScoreParams> {
  return {
    appSpecificScore: (peer) => tracker.score(peer) + (chosen?.(peer) === true && tracker.current(peer) === 0 ? CHOSEN_PEER_SCORE : 0),
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0
  }
}

/**
 * What became of a valid gossip envelope: the store's answer, `forward` for a post stored here already
 * that is forwarded all the same (its first gossip copy while fresh: `PostIntake.receiveGossip`), or `kept`
 * for one taken here but too near its time limits to pass on (forwardableAt): Ignored, its sender neither
 * credited nor charged.
 */
export type GossipOutcome = PutResult | 'forward' | 'kept'

/**
 * What the node does with an envelope that passed protocol validation: store it and say how that went.
 * 'stored' (new to the store) is accepted and credited to the forwarder; 'forward' is accepted and
 * credited to nobody (a replay of a stored post earns nothing); every other outcome is ignored
 * unpenalised, as the forwarder may not know it (a duplicate, a tag already used, a parent in another channel).
 */
export type AcceptEnvelope = (topic: string, envelope: Uint8Array, valid: ValidEnvelope, from: PeerId) => Promise<GossipOutcome>

/** Options of {@link createTopicValidator}. */
export interface TopicValidatorInit {
  /**
   * Protocol validation (the node's intake, so every path checks a post the same way), told the peer that
   * forwarded the envelope (the clock-skew watch counts each sender group apart). A rejection means the
   * envelope was not judged (the verification pool is overloaded or stopping): Ignore, no penalty.
   */
  validate(topic: string, envelope: Uint8Array, from: PeerId): ValidationResult | Promise<ValidationResult>
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
 * pubsub.topicValidators.set(topic, createTopicValidator({ validate: async (t, e) => intake.verify(t, e, 'gossip'), tracker, accept, log }))
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
    let result: ValidationResult
    try {
      result = await validate(message.topic, message.data, peer)
    } catch (err) {
      log('message from %s on %s not validated - %e', from, displayLine(message.topic), err)
      return TopicValidatorResult.Ignore
    }
    if (!result.ok) {
      log('message from %s on %s refused: %s (%s)', from, displayLine(message.topic), result.code, displayLine(result.reason))
      // free to send and Ignored (expired, ...): a budget per peer, then each counts as a rejection
      return tracker.refusal(from, result.code) === 'reject' ? reject(from) : TopicValidatorResult.Ignore
    }
    try {
      const outcome = await accept(message.topic, message.data, result, peer)
      switch (outcome) {
        case 'stored':
          tracker.credit(from)
          return TopicValidatorResult.Accept
        case 'forward':
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

/**
 * The string gossipsub keys a message by (its records, its caches): the hex of its message id.
 *
 * @example
 * ```ts
 * pubsubScore.deliveryRecords.getRecord(gossipMessageKey(gossipMessageId(topic, envelope)))
 * ```
 */
export function gossipMessageKey (msgId: Uint8Array): string {
  return toHex(msgId)
}

/** Options of {@link murmurGossipsub}. */
export interface MurmurGossipsubInit {
  tracker: InvalidMessageTracker
  /**
   * Whether this node chose to dial `peer` (a PeerId string) and holds that connection: such a peer
   * scores {@link CHOSEN_PEER_SCORE} more while none of its messages was rejected.
   *
   * @default no peer
   */
  chosen?(peer: string): boolean
}

/**
 * gossipsub as Murmur runs it: `StrictNoSign` (no `from`, `seqno`, signature or key on the wire),
 * message id = hash of the whole envelope (gossipMessageId: a broken copy of a post cannot shadow the
 * genuine one in the seen-cache, and each distinct envelope costs its sender a proof of work), our
 * scoring, publishing refused (and reported) when nobody listens.
 *
 * @example
 * ```ts
 * createLibp2p({ services: { pubsub: murmurGossipsub({ tracker }) } })
 * ```
 */
export function murmurGossipsub (init: MurmurGossipsubInit): ReturnType<typeof gossipsub> {
  return gossipsub({
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: (message) => gossipMessageId(message.topic, message.data),
    // spelled out, not gossipsub's default: Corroboration looks messages up by this string
    msgIdToStrFn: gossipMessageKey,
    allowPublishToZeroTopicPeers: false,
    emitSelf: false,
    scoreParams: scoreParams(init.tracker, init.chosen),
    scoreThresholds: SCORE_THRESHOLDS
  })
}

/**
 * A gossipsub peer with no outbound gossip stream, while its connection is open, gets a new one after
 * this many ms; the delay doubles after each try that left none, up to {@link GOSSIP_STREAM_RETRY_MAX}.
 */
export const GOSSIP_STREAM_RETRY = 5_000

/** Longest delay between two tries to open a missing outbound gossip stream, in ms. */
export const GOSSIP_STREAM_RETRY_MAX = 60_000

/**
 * The message of the error gossipsub's `publish` throws when no peer would get the message. gossipsub
 * throws plain `Error`s with no name or code, so this string is all there is to match; it throws
 * before the message is marked seen, so the same bytes can be published once a peer is there. Pinned by
 * test/gossipsub-contract.test.ts.
 */
export const GOSSIPSUB_NO_PEERS = 'PublishError.NoPeersSubscribedToTopic'

/**
 * Whether `err` is gossipsub's refusal to publish for want of a peer ({@link GOSSIPSUB_NO_PEERS}).
 *
 * @example
 * ```ts
 * try { await pubsub.publish(topic, data) } catch (err) { if (isNoPeersError(err)) keepForLater(data) }
 * ```
 */
export function isNoPeersError (err: unknown): boolean {
  return err instanceof Error && err.message === GOSSIPSUB_NO_PEERS
}

/**
 * What Murmur uses of the gossipsub class beyond its interface type (no public API tells whether our
 * outbound stream to a peer is open, or opens a lost one): `streamsOutbound`, its map of open outbound
 * streams keyed by PeerId string (an entry is removed when its stream closes), and
 * `createOutboundStream(peer, connection)`, which opens one (it returns at once if one is open, and
 * sends our subscriptions on the new stream). Pinned by test/gossipsub-contract.test.ts.
 */
interface GossipsubStreams {
  streamsOutbound: Map<string, unknown>
  createOutboundStream(peer: PeerId, connection: Connection): Promise<void>
}

/** `pubsub` seen through {@link GossipsubStreams}, or undefined when this gossipsub does not have them. */
function gossipsubStreams (pubsub: GossipSub): GossipsubStreams | undefined {
  const internals = pubsub as unknown as Partial<GossipsubStreams>
  return internals.streamsOutbound instanceof Map && typeof internals.createOutboundStream === 'function'
    ? internals as GossipsubStreams
    : undefined
}

/**
 * Whether our outbound gossip stream to `peer` is open: a publish sends to a subscriber only over it.
 * True when this gossipsub does not say (a gossipsub that changed its internals is not treated as deaf).
 *
 * @example
 * ```ts
 * pubsub.getSubscribers(topic).some((peer) => hasOutboundGossipStream(pubsub, peer))
 * ```
 */
export function hasOutboundGossipStream (pubsub: GossipSub, peer: PeerId): boolean {
  return gossipsubStreams(pubsub)?.streamsOutbound.has(peer.toString()) ?? true
}

/** What {@link keepGossipStreams} needs from the node. */
export interface GossipStreamKeeperComponents {
  pubsub: GossipSub
  /** The open connections to a peer (libp2p's `getConnections`). */
  connections(peer: PeerId): Connection[]
  log: Logger
}

/** Options of {@link keepGossipStreams}. */
export interface GossipStreamKeeperInit {
  /**
   * How long a peer may lack an outbound gossip stream before one is opened, in ms (doubled per try).
   *
   * @default GOSSIP_STREAM_RETRY
   */
  retry?: number
  /**
   * Longest delay between tries, in ms.
   *
   * @default GOSSIP_STREAM_RETRY_MAX
   */
  retryMax?: number
  /** @default Date.now */
  now?(): number
}

/** A peer seen without an outbound gossip stream. */
interface Missing {
  /** When it was last tried (or first seen missing). */
  since: number
  delay: number
  opening: boolean
}

/**
 * Opens again the outbound gossip streams gossipsub lost. gossipsub opens one per peer when the peer
 * connects, one at a time, and never again: a stream that failed to open (a negotiation timeout on a
 * busy node) or closed while the connection stayed up leaves the peer connected but deaf to us for good
 * — it never learns our subscriptions nor gets our messages, and a node whose peers all lost theirs sits
 * alone in its channel (seen in bench/crowd.ts: nodes with 20 connections and no channel peer for minutes).
 * On each gossipsub heartbeat, a peer lacking one for {@link GOSSIP_STREAM_RETRY} gets a new one,
 * with the delay doubling per try up to {@link GOSSIP_STREAM_RETRY_MAX}. Stops with gossipsub (no heartbeat).
 *
 * @example
 * ```ts
 * keepGossipStreams({ pubsub: libp2p.services.pubsub, connections: (peer) => libp2p.getConnections(peer), log })
 * ```
 */
export function keepGossipStreams (components: GossipStreamKeeperComponents, init: GossipStreamKeeperInit = {}): void {
  const { pubsub, connections, log } = components
  const retry = init.retry ?? GOSSIP_STREAM_RETRY
  const retryMax = init.retryMax ?? GOSSIP_STREAM_RETRY_MAX
  const now = init.now ?? Date.now
  const streams = gossipsubStreams(pubsub)
  if (streams === undefined) {
    log.error('this gossipsub keeps no outbound stream map: lost gossip streams are not opened again')
    return
  }
  const missing = new Map<string, Missing>()
  pubsub.addEventListener('gossipsub:heartbeat', () => {
    const at = now()
    const peers = new Set<string>()
    for (const peer of pubsub.getPeers()) {
      const id = peer.toString()
      peers.add(id)
      if (streams.streamsOutbound.has(id)) {
        missing.delete(id)
        continue
      }
      const entry = missing.get(id)
      if (entry === undefined) {
        missing.set(id, { since: at, delay: retry, opening: false })
        continue
      }
      if (entry.opening || at - entry.since < entry.delay) continue
      const connection = connections(peer).find((c) => c.status === 'open')
      if (connection === undefined) continue
      entry.opening = true
      entry.since = at
      entry.delay = Math.min(entry.delay * 2, retryMax)
      log('opening a lost gossip stream again')
      streams.createOutboundStream(peer, connection)
        .catch((err: unknown) => { log('could not open a gossip stream - %e', err) })
        .finally(() => { entry.opening = false })
    }
    for (const id of missing.keys()) {
      if (!peers.has(id)) missing.delete(id)
    }
  })
}
