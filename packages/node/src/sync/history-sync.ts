import { lpStream } from '@libp2p/utils'
import { SYNC_LIMITS } from '@murmur/protocol'
import { ResponderSlots, addressGroup } from './admission.js'
import type { ResponderSlot } from './admission.js'
import {
  SYNC_COOLDOWN, SYNC_DEMOTION, SYNC_DIALED_RESERVE, SYNC_FIRST_MESSAGE_TIMEOUT, SYNC_IDLE_TIMEOUT, SYNC_INITIATING_PER_GROUP, SYNC_INITIATING_QUEUE,
  SYNC_INTERVAL, SYNC_MAX_INITIATING, SYNC_MAX_RESPONDING, SYNC_RETRY_DELAY, SYNC_PROTOCOL, SYNC_REQUESTS_PER_MINUTE,
  SYNC_RESPONDING_HOLD_CAP, SYNC_SESSION_RANGES, SYNC_SESSION_TIMEOUT, SYNC_SESSIONS_PER_PEER, SYNC_STALLED_FOR
} from './constants.js'
import { initiateSession } from './initiator.js'
import { InitiatorSlots } from './initiator-slots.js'
import { answerSession } from './responder.js'
import { SyncStalledError } from './errors.js'
import { drawSyncPeers } from './sync-peers.js'
import { read } from './wire.js'
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { SyncItem } from '@murmur/protocol'
import type { Verdict } from '../intake.js'
import type { SyncReport } from './initiator.js'
import type { SyncItemOf } from './requested.js'

export type { SyncReport } from './initiator.js'

/** What history sync needs from the node. */
export interface SyncHost {
  /** The channel of a topic this node has joined, or undefined. */
  channelOf(topic: string): string | undefined
  /** Unexpired (created, id) pairs of a channel. */
  items(channel: string): Promise<SyncItem[]>
  /** The stored envelope of an unexpired post, or undefined. */
  envelope(id: Uint8Array): Promise<Uint8Array | undefined>
  /** Validates and stores an envelope exactly like one from gossip; `from` delivered it (the store accounts its quota by sender). */
  ingest(topic: string, envelope: Uint8Array, from: PeerId): Promise<Verdict>
  /** Tells gossipsub scoring that `peer` sent an invalid post. */
  penalise(peer: PeerId): void
  /** Topics of the channels this node has joined. */
  topics(): string[]
  /** Connected peers subscribed to a topic. */
  members(topic: string): PeerId[]
  /** Whether `peer` is cut off (the node's shared penalty tracker): no session with it either way. @default never */
  blocked?(peer: PeerId): boolean
  /** Where an envelope of `topic` sorts (the member directory's items are not posts). @default postItemOf */
  itemOf?: SyncItemOf
  /**
   * Ids to ask `peer` for in a session of `topic` besides what reconciliation finds missing: the member
   * directory's stamps missing for rings that peer sent. @default none
   */
  wanted?(topic: string, peer: PeerId): Uint8Array[]
  /**
   * The address group of `peer` (the node's `SenderGroups`): anti-entropy draws its peer by group.
   * @default the group of the peer's first open connection (`addressGroup`), else its PeerId
   */
  groupOf?(peer: PeerId): string | undefined
  /**
   * Whether this node chose to dial `peer` and did (`ChosenPeers.dialed`): anti-entropy draws such peers
   * first, and only they may use the responder slots kept for dialed peers.
   * @default an open outbound connection to the peer
   */
  chosen?(peer: PeerId): boolean
}

/** The libp2p pieces history sync uses. */
export interface SyncComponents {
  handle(protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: { maxInboundStreams?: number }): Promise<void>
  unhandle(protocol: string): Promise<void>
  dialProtocol(peer: PeerId, protocol: string, options?: { signal?: AbortSignal }): Promise<Stream>
  /** The open connections of a peer (for the defaults of `SyncHost.groupOf` and `SyncHost.chosen`). @default none */
  getConnections?(peer?: PeerId): Connection[]
}

/** Options of history sync; every field has a documented default in ./constants.ts. */
export interface SyncInit {
  /** @default SYNC_SESSION_TIMEOUT (60 s) */
  sessionTimeout?: number
  /** @default SYNC_SESSIONS_PER_PEER (2) */
  sessionsPerPeer?: number
  /** @default SYNC_REQUESTS_PER_MINUTE (20) */
  requestsPerMinute?: number
  /** @default SYNC_COOLDOWN (60 s) */
  cooldown?: number
  /** @default SYNC_DEMOTION (10 min) */
  demotion?: number
  /** @default SYNC_INTERVAL (60 s) */
  interval?: number
  /** @default SYNC_FIRST_MESSAGE_TIMEOUT (5 s) */
  firstMessageTimeout?: number
  /** @default SYNC_IDLE_TIMEOUT (20 s) */
  idleTimeout?: number
  /** @default SYNC_MAX_RESPONDING (16) */
  maxResponding?: number
  /** @default SYNC_RESPONDING_HOLD_CAP (10 s) */
  respondingHoldCap?: number
  /** @default SYNC_DIALED_RESERVE (2) */
  dialedReserve?: number
  /** @default SYNC_STALLED_FOR (10 min) */
  stalledFor?: number
  /** @default SYNC_MAX_INITIATING (8) */
  maxInitiating?: number
  /** @default SYNC_INITIATING_PER_GROUP (2) */
  initiatingPerGroup?: number
  /** @default SYNC_INITIATING_QUEUE (32) */
  initiatingQueue?: number
  /** Ranges a session's replies may hold besides one per item held. @default SYNC_SESSION_RANGES (8,192) */
  sessionRanges?: number
  /** @default SYNC_RETRY_DELAY (2 s) */
  retryDelay?: number
}

/**
 * Whether a session failed on a message that does not decode, or breaks the sync codec's limits (its
 * lists, the 2 MiB frame, a 16-byte salt), or on sketch cells or short ids no honest peer sends
 * (SketchError): the peer sent it, whichever end it is, and is demoted and penalised for it.
 */
function undecodable (err: unknown): boolean {
  return err instanceof Error && (err.name === 'ProtocolError' || err.name === 'SketchError' || err.name === 'InvalidDataLengthError' || err.name === 'InvalidDataLengthLengthError' || err.name === 'InvalidMessageLengthError')
}

/**
 * Runs both ends of `/murmur/sync/2.1.0`. As initiator it reconciles a channel with one peer and ingests
 * what it lacks — only envelopes it asked for (see `Requested`), within a session's round trips and ranges,
 * and at most a few sessions at once per address group (`InitiatorSlots`); as responder it answers peers about
 * channels this node has joined, within per-peer, per-address and overall limits, and a stream holds a
 * shared slot only once its first message arrived (within `firstMessageTimeout`). A peer that sends an
 * invalid or unrequested post is penalised and not asked again for a while; a peer that stalls a
 * session (no whole message within `idleTimeout`, or past `sessionTimeout`) or runs it into a limit is not
 * retried and is drawn by anti-entropy after every other peer for `stalledFor`; a blocked peer gets no
 * session either way.
 *
 * @example
 * ```ts
 * const sync = new HistorySync(libp2p, host, { log })
 * await sync.start()
 * const report = await sync.syncWith(peerId, 'murmur/2/#lobby')
 * ```
 */
export class HistorySync {
  private readonly components: SyncComponents
  private readonly host: SyncHost
  private readonly log: Logger
  private readonly sessionTimeout: number
  private readonly sessionsPerPeer: number
  private readonly cooldown: number
  private readonly demotion: number
  private readonly interval: number
  private readonly firstMessageTimeout: number
  private readonly idleTimeout: number
  private readonly slots: ResponderSlots
  private readonly initiating: InitiatorSlots
  private readonly sessionRanges: number
  private readonly retryDelay: number
  private timer?: ReturnType<typeof setTimeout>
  private readonly retries = new Set<ReturnType<typeof setTimeout>>()
  private readonly lastSync = new Map<string, number>()
  private readonly demoted = new Map<string, number>()
  /** Peers that stalled a session this node began, or ran it into a limit, and when: drawn last by anti-entropy. */
  private readonly stalled = new Map<string, number>()
  /**
   * When a session this node began last started, by peer and topic, while the peer stays connected: in a
   * crowd's initiator queue, one served less lately goes first (`InitiatorPlace.servedAt`). By topic, so a
   * peer's directory sessions do not cost its channel sessions their turn.
   */
  private readonly served = new Map<string, { peer: PeerId, at: number }>()
  private readonly stalledFor: number
  /** Sessions begun here, running or waiting for an initiator slot, by peer and topic. */
  private readonly running = new Map<string, Promise<SyncReport | undefined>>()
  /** Sessions other peers began that this node is answering now. */
  private responding = 0
  private readonly controller = new AbortController()

  constructor (components: SyncComponents, host: SyncHost, init: SyncInit & { log: Logger }) {
    this.components = components
    this.host = host
    this.log = init.log
    this.sessionTimeout = init.sessionTimeout ?? SYNC_SESSION_TIMEOUT
    this.sessionsPerPeer = init.sessionsPerPeer ?? SYNC_SESSIONS_PER_PEER
    this.cooldown = init.cooldown ?? SYNC_COOLDOWN
    this.demotion = init.demotion ?? SYNC_DEMOTION
    this.interval = init.interval ?? SYNC_INTERVAL
    this.firstMessageTimeout = init.firstMessageTimeout ?? SYNC_FIRST_MESSAGE_TIMEOUT
    this.idleTimeout = init.idleTimeout ?? SYNC_IDLE_TIMEOUT
    this.stalledFor = init.stalledFor ?? SYNC_STALLED_FOR
    this.slots = new ResponderSlots({
      sessionsPerPeer: this.sessionsPerPeer,
      requestsPerMinute: init.requestsPerMinute ?? SYNC_REQUESTS_PER_MINUTE,
      maxResponding: init.maxResponding ?? SYNC_MAX_RESPONDING,
      dialedReserve: init.dialedReserve ?? SYNC_DIALED_RESERVE,
      holdCap: init.respondingHoldCap ?? SYNC_RESPONDING_HOLD_CAP
    })
    this.initiating = new InitiatorSlots({
      maxInitiating: init.maxInitiating ?? SYNC_MAX_INITIATING,
      perGroup: init.initiatingPerGroup ?? SYNC_INITIATING_PER_GROUP,
      queuePerGroup: init.initiatingQueue ?? SYNC_INITIATING_QUEUE
    })
    this.sessionRanges = init.sessionRanges ?? SYNC_SESSION_RANGES
    this.retryDelay = init.retryDelay ?? SYNC_RETRY_DELAY
  }

  /** Sessions open now, begun here or answered here (the murmur_sync_sessions gauge); not those waiting for a slot. */
  get sessions (): number {
    return this.initiating.active + this.responding
  }

  async start (): Promise<void> {
    await this.components.handle(SYNC_PROTOCOL, async (stream, connection) => { await this.respond(stream, connection) }, {
      maxInboundStreams: this.sessionsPerPeer * 4
    })
    this.schedule()
  }

  async stop (): Promise<void> {
    clearTimeout(this.timer)
    for (const retry of this.retries) clearTimeout(retry)
    this.retries.clear()
    this.initiating.close()
    this.controller.abort()
    await this.components.unhandle(SYNC_PROTOCOL)
    await Promise.allSettled(this.running.values())
  }

  /** Next anti-entropy round, with ±25 % jitter so that nodes do not sync in lockstep. */
  private schedule (): void {
    if (this.controller.signal.aborted) return
    this.timer = setTimeout(() => {
      const now = Date.now()
      this.prune(now)
      for (const topic of this.host.topics()) {
        const peer = this.antiEntropyPeer(topic, now)
        if (peer !== undefined) void this.begin(peer, topic, this.interval / 2, true, true)
      }
      this.schedule()
    }, this.interval * (0.75 + Math.random() / 2))
  }

  /**
   * The peer an anti-entropy round syncs `topic` with: the first of the members, in the order
   * {@link peersFor} draws them, that a session may start with now (see {@link mayStart}), those that
   * stalled a session lately last. A peer whose session still runs, or stalled, does not take the
   * round's turn from the others.
   */
  private antiEntropyPeer (topic: string, now: number): PeerId | undefined {
    const members = this.host.members(topic)
    const order = this.peersFor(topic, members.length)
    const stalled = (peer: PeerId): boolean => this.stalledLately(peer, now)
    return [...order.filter((peer) => !stalled(peer)), ...order.filter(stalled)].find((peer) => this.mayStart(peer, topic, this.interval / 2, now, true))
  }

  /**
   * Whether a session of `topic` with `peer` may start now: none running, none within `cooldown`, the peer
   * neither demoted nor blocked, nor stalled within `stalledFor` unless `stalledToo` (anti-entropy, which
   * draws it last, and a session asked for at once): a sybil that never answers and re-subscribes every
   * second no longer queues again each time its cooldown passes (sixteenth read, High 1).
   */
  private mayStart (peer: PeerId, topic: string, cooldown: number, now: number, stalledToo: boolean): boolean {
    const key = `${peer.toString()} ${topic}`
    return !this.running.has(key) && now - (this.lastSync.get(key) ?? -Infinity) >= cooldown && !this.isDemoted(peer, now) && !this.isBlocked(peer) &&
      (stalledToo || !this.stalledLately(peer, now))
  }

  /** Whether `peer` stalled a session this node began, or ran it into a limit, within `stalledFor`. */
  private stalledLately (peer: PeerId, now: number): boolean {
    return now - (this.stalled.get(peer.toString()) ?? -Infinity) < this.stalledFor
  }

  /**
   * A session's tier in its group's initiator queue (`InitiatorPlace.rank`): stalled lately 0 (served
   * last), dialed by this node 2 (its place never taken by a peer it did not dial), else 1. A session
   * that completed earns nothing: sybils answering every session slowly
   * with nothing were ranked with the dialed peers for it and kept every crowd-mate out (seventeenth read
   * of issue 12, High 1), and one that delivers a post it made costs a 16-bit stamp. It orders the circle
   * frame intake's places within a group too (`intakePlaces`).
   *
   * @example
   * ```ts
   * const place = { peer: peer.toString(), rank: () => sync.rank(peer) }
   * ```
   */
  rank (peer: PeerId): number {
    if (this.stalledLately(peer, Date.now())) return 0
    return this.isChosen(peer) ? 2 : 1
  }

  /**
   * When `peer` was last served in the session of `key` (peer and topic) or connected, whichever is later
   * (`InitiatorPlace.servedAt`): the earliest goes first, so a PeerId that connects anew queues behind
   * every peer connected before it, and one served behind every peer served before it. A peer with no
   * open connection counts from now.
   */
  private servedAt (peer: PeerId, key: string): number {
    return Math.max(this.served.get(key)?.at ?? -Infinity, this.connectedSince(peer) ?? Date.now())
  }

  /** When the oldest open connection to `peer` opened, or undefined when none is open. */
  private connectedSince (peer: PeerId): number | undefined {
    let since: number | undefined
    for (const connection of this.components.getConnections?.(peer) ?? []) {
      if (connection.status === 'open') since = Math.min(since ?? Infinity, connection.timeline.open)
    }
    return since
  }

  /**
   * At most `count` connected peers of `topic` to sync with: by address group, the peers this node chose
   * and dialed first ({@link drawSyncPeers}), so sybils connecting from one address get one host's turns.
   */
  peersFor (topic: string, count: number): PeerId[] {
    return drawSyncPeers(this.host.members(topic), count, { groupOf: (peer) => this.groupOf(peer), chosen: (peer) => this.isChosen(peer) })
  }

  /**
   * Syncs `topic` with `peer` unless it was synced with that peer within the cooldown, the peer is
   * demoted, or a session is already running or waiting, or (with a cooldown, as a subscription asks) the
   * peer stalled lately; the session waits for an initiator slot of the peer's address group (dropped when
   * the peer already waits there or the group's queue is full, and then tried again at the next trigger).
   * Resolves to the report, or undefined when skipped, dropped or failed. A failed session is retried once,
   * unless it stalled or ran into a limit, or the peer was demoted for it.
   */
  async maybeSyncWith (peer: PeerId, topic: string, cooldown = this.cooldown, retry = true): Promise<SyncReport | undefined> {
    return await this.begin(peer, topic, cooldown, retry, cooldown === 0)
  }

  /** {@link maybeSyncWith}, a peer that stalled lately refused unless `stalledToo`. */
  private async begin (peer: PeerId, topic: string, cooldown: number, retry: boolean, stalledToo: boolean): Promise<SyncReport | undefined> {
    const key = `${peer.toString()} ${topic}`
    const now = Date.now()
    if (!this.mayStart(peer, topic, cooldown, now, stalledToo)) return undefined
    this.lastSync.set(key, now)
    let started = false
    const session = this.initiating.run(this.groupOf(peer), async () => {
      started = true
      this.served.set(key, { peer, at: Date.now() })
      // it may have waited: a peer demoted, blocked or gone since is not dialed
      if (this.isDemoted(peer, Date.now()) || this.isBlocked(peer) || this.components.getConnections?.(peer).length === 0) return undefined
      return await this.syncWith(peer, topic)
    }, { peer: peer.toString(), rank: () => this.rank(peer), servedAt: () => this.servedAt(peer, key) }).then((report) => {
      // dropped from the queue without running: the next trigger may queue it again
      if (!started) this.lastSync.delete(key)
      return report
    }, (err: unknown) => {
      this.log('sync of %s with %p failed - %e', topic, peer, err)
      if (err instanceof Error && (err.name === 'SyncStalledError' || err.name === 'SyncLimitError')) {
        // answering slowly or never, or past a limit, is not retried, and anti-entropy draws the others first for a while
        this.stalled.set(peer.toString(), Date.now())
      } else if (retry && !this.isDemoted(peer, Date.now()) && !this.controller.signal.aborted) {
        // a busy or briefly unreachable peer: try once more soon rather than at the next anti-entropy round
        this.lastSync.delete(key)
        const timer = setTimeout(() => {
          this.retries.delete(timer)
          void this.begin(peer, topic, cooldown, false, stalledToo)
        }, this.retryDelay * (1 + Math.random()))
        this.retries.add(timer)
      }
      return undefined
    }).finally(() => this.running.delete(key))
    this.running.set(key, session)
    return session
  }

  /**
   * Reconciles `topic` with `peer` now, outside the initiator slots, and ingests every envelope this node
   * lacks (and asked for); {@link maybeSyncWith} is what the node calls.
   */
  async syncWith (peer: PeerId, topic: string): Promise<SyncReport> {
    const channel = this.host.channelOf(topic)
    if (channel === undefined) throw new Error(`not syncing ${topic}: this node has not joined it`)
    if (this.isBlocked(peer)) throw new Error('not syncing with a blocked peer')
    const deadline = AbortSignal.timeout(this.sessionTimeout)
    const signal = AbortSignal.any([this.controller.signal, deadline])
    const stream = await this.components.dialProtocol(peer, SYNC_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: SYNC_LIMITS.maxBytes })
    try {
      const report = await initiateSession(lp, { topic, channel, peer, host: this.host, signal, idleTimeout: this.idleTimeout, sessionRanges: this.sessionRanges, demote: (why) => { this.demote(peer, why) } })
      await stream.close({ signal })
      this.log('synced %s with %p: %d stored, %d ignored, %d deferred in %d round trips, %d bytes out, %d in', topic, peer, report.stored, report.ignored, report.deferred, report.roundTrips, report.bytesOut, report.bytesIn)
      return report
    } catch (err) {
      // a reply that breaks the sync codec (or its limits): demoted and penalised, as the responder side does
      if (undecodable(err)) this.demote(peer, 'undecodable')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      if (deadline.aborted && !this.controller.signal.aborted && !(err instanceof Error && err.name === 'SyncStalledError')) {
        throw new SyncStalledError(`session longer than ${this.sessionTimeout} ms`, { cause: err })
      }
      throw err
    }
  }

  private async respond (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer
    const key = peer.toString()
    if (this.isDemoted(peer, Date.now()) || this.isBlocked(peer) || !this.slots.enter(key, Date.now())) {
      this.log('refusing sync from %p: over its limits', peer)
      stream.abort(new Error('sync limit reached'))
      return
    }
    this.responding++
    let slot: ResponderSlot | undefined
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.sessionTimeout)])
    const lp = lpStream(stream, { maxDataLength: SYNC_LIMITS.maxBytes })
    try {
      // no shared slot until the peer has said something: an idle stream holds only its own peer's
      const { message: first } = await read(lp, signal, this.firstMessageTimeout)
      const candidate = addressGroup(connection.remoteAddr)
      // a peer this node chose and dialed, not one the DHT had it dial: it may use the slots kept for those
      const dialed = connection.direction === 'outbound' && this.isChosen(peer)
      slot = this.slots.take(candidate, Date.now(), () => { stream.abort(new Error('responder slot taken over by another address')) }, dialed)
      if (slot === undefined) throw new Error('no responder slot free for this address')
      await answerSession(lp, first, this.host, signal, this.idleTimeout)
      await stream.close({ signal })
    } catch (err) {
      this.log('sync session with %p ended - %e', peer, err)
      // a message that breaks the sync codec (or its ranges): cut off like a peer sending invalid posts
      if (undecodable(err)) this.demote(peer, 'undecodable')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.responding--
      this.slots.leave(key, Date.now(), slot)
    }
  }

  /** Forgets bookkeeping that no longer limits anything, so the maps stay as small as the live peer set. */
  private prune (now: number): void {
    for (const [key, at] of this.lastSync) if (now - at >= this.cooldown) this.lastSync.delete(key)
    for (const [key, at] of this.demoted) if (now - at >= this.demotion) this.demoted.delete(key)
    for (const [key, at] of this.stalled) if (now - at >= this.stalledFor) this.stalled.delete(key)
    // a peer that connects again counts from then anyway (`servedAt`)
    for (const [key, { peer }] of this.served) if (this.connectedSince(peer) === undefined) this.served.delete(key)
    this.slots.prune(now)
  }

  private demote (peer: PeerId, why: 'invalid' | 'unrequested' | 'undecodable'): void {
    this.demoted.set(peer.toString(), Date.now())
    this.host.penalise(peer)
    this.log('demoted %p for sending %s %s during sync', peer, why, why === 'undecodable' ? 'messages' : 'posts')
  }

  private isDemoted (peer: PeerId, now: number): boolean {
    const at = this.demoted.get(peer.toString())
    return at !== undefined && now - at < this.demotion
  }

  private groupOf (peer: PeerId): string {
    if (this.host.groupOf !== undefined) return this.host.groupOf(peer) ?? peer.toString()
    const connection = this.components.getConnections?.(peer)[0]
    return connection === undefined ? peer.toString() : addressGroup(connection.remoteAddr)
  }

  private isChosen (peer: PeerId): boolean {
    return this.host.chosen?.(peer) ?? (this.components.getConnections?.(peer) ?? []).some((c) => c.direction === 'outbound' && c.status === 'open')
  }

  private isBlocked (peer: PeerId): boolean {
    return this.host.blocked?.(peer) ?? false
  }
}
