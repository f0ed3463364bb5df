/**
 * The membership layer (docs/MEMBERSHIP.md) inside a running node: the member key and stamps kept across
 * restarts, the stamp minted and renewed on the verification pool, the member directory fed by gossip and
 * the stem on DIRECTORY_TOPIC, the stamps a ring is missing fetched by directory sync at once (StampFetcher),
 * own announcements sent through the stem (or straight into gossip when the node runs without one), and a
 * prune of expired items every hour.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter } from '@libp2p/interface'
import { DIRECTORY_TOPIC, MIN_MEMBER_RING, STAMP_BITS, acceptedStampWeeks, decodeStamp, encodeStamp, directoryItemId, equalBytes, messageId, mintStamp, stampWindow, weekStart } from '@murmur/protocol'
import { openMemberStorage } from '#platform'
import { StampFetcher, StatusReporter, createMintingService, createRingSigner, openMemberDirectory, openMemberState, openPostCounters, openRingBook, stampForwardableAt } from './membership/index.js'
import { PostValidationError } from './errors.js'
import { nextTurn } from './next-turn.js'
import { Outbox } from './outbound.js'
import type { AtRestKeys } from './at-rest/seal.js'
import type { DirectoryVerdict, MemberDatabase, MemberDirectory, MemberState, MembershipStatus, MintingService, RingSigner, StampMiner } from './membership/index.js'
import type { Verdict } from './intake.js'
import type { Outbound, SendResult } from './outbound.js'
import type { Stem } from './stem/index.js'
import type { VerifyPool } from './verify/index.js'
import type { RingMembership, Stamp } from '@murmur/protocol'
import type { GossipSub, TopicValidatorFn } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

/** How often the directory drops the stamps it no longer keeps, in ms. @default 3_600_000 (an hour) */
export const MEMBERSHIP_PRUNE_INTERVAL = 3_600_000

export { MEMBERSHIP_PROGRESS_EVENT_INTERVAL, nextStampBoundary } from './membership/index.js'

/** Events of {@link NodeMembership}, forwarded by the node (MurmurNode). */
export interface NodeMembershipEvents {
  /**
   * Membership changed, with what `membership()` returns now: the mint progressed or the directory's size
   * changed (at most every MEMBERSHIP_PROGRESS_EVENT_INTERVAL, the last change of a burst at its end), the
   * mint failed or started, a stamp was minted, came back from the network, became accepted or expired, the
   * ring a vote hides in grew or shrank, signing became ready or stopped.
   */
  membership: CustomEvent<NodeMembershipStatus>
}

/** Membership settings of a node, every default applied. */
export interface MembershipConfig {
  /** Whether this node mints and announces a member stamp of its own. */
  mint: boolean
  /** Stamp difficulty in leading zero bits, minted and required. */
  stampBits: number
  /**
   * Longest random wait before an own stamp is announced, in ms.
   * @default MEMBER_ANNOUNCE_DELAY (15 minutes); 0 when stampBits is below STAMP_BITS (a private test network, where stamps cost nothing either)
   */
  announceDelay?: number
}

/**
 * Membership as `murmur status` shows it: this node's stamp and mint (see MembershipStatus; empty when it
 * does not mint) and how many members its directory holds.
 */
export interface NodeMembershipStatus extends Partial<MembershipStatus> {
  /** Whether this node mints a stamp of its own ({@link MembershipConfig.mint}). */
  minter: boolean
  /** Member keys with a stamp accepted now in this node's directory (its own included). */
  members: number
  /**
   * Members a vote or post of this node's member is hidden among now: MIN_MEMBER_RING (16), fewer while the
   * directory holds fewer members (a UI says so), 0 while it holds no other.
   */
  ring: number
  /**
   * Whether this node's member signs its votes and posts now: it holds a stamp accepted now that is out
   * there (a copy came back from the network, so other directories hold it), and the directory holds
   * another member. Until then `vote()` throws and posts go out unverified.
   */
  signing: boolean
}

/** What {@link NodeMembership} needs from the node. */
export interface NodeMembershipComponents {
  /** The node's database (the directory's sublevel; the member records too when there is no dataDir). */
  db: MemberDatabase
  dataDir: string | undefined
  /** The data dir's at-rest keys, read once per start (MurmurConfig.atRestKeys). @default read from the data dir */
  atRestKeys?: AtRestKeys
  /** Mints and verifies stamps off the event loop; undefined: on the main thread. */
  pool: VerifyPool | undefined
  pubsub: GossipSub
  connectionCount(): number
  /** Straight into gossip: fluffs, and own announcements when the node runs without a stem. */
  direct: Outbound
  /** The node's stem, through which own announcements leave; undefined: straight into gossip. */
  stem: Stem | undefined
  /** Cuts a peer off (the node's shared tracker): a bogus stamp is never sent in good faith. */
  cutOff(peer: string): void
  /**
   * What a stamp of `peer`'s (a PeerId string) refused for its week (ERR_STAMP_WEEK: before any Argon2id
   * evaluation, so free to send) counts as on gossip and the stem: the node's tracker
   * (`InvalidMessageTracker.refusal`), Ignored within the peer's budget of free refusals, a rejection past
   * it. @default always Ignored
   */
  refusal?(peer: string, code: 'ERR_STAMP_WEEK'): Verdict
  /** Counts one rejection of `peer`'s (the node's tracker), for a gossip refusal past its budget. @default none */
  penalise?(peer: string): void
  /**
   * The address group of a peer (SenderGroups.of): the directory's evaluation limits and strike count by
   * it, so throwaway PeerIds from one address share one budget. @default each PeerId its own group
   */
  senderGroup?(peer: PeerId): string | undefined
  /**
   * Runs a sync session of the directory with `peer` (a PeerId string) now: HistorySync.maybeSyncWith on
   * DIRECTORY_TOPIC with no cooldown (the StampFetcher paces each peer). With it, a ring naming members this
   * node does not know has their stamps fetched at once; without it (history sync off) they wait for gossip.
   */
  syncDirectory?(peer: string): Promise<unknown>
  /** At most `count` connected peers of the directory topic to ask for missing stamps next, best first (HistorySync.peersFor). @default none */
  directoryPeers?(count: number): string[]
  /** The node's clock, unix milliseconds (MurmurConfig.clock): the directory's and the minting's. @default Date.now */
  clock?(): number
  log: Logger
}

/**
 * The membership layer of a running node; {@link openNodeMembership} opens it, the node starts and stops
 * it. Its 'membership' event tells a UI when {@link status} changed.
 */
export class NodeMembership extends TypedEventEmitter<NodeMembershipEvents> {
  readonly directory: MemberDirectory
  /** How this node's member signs votes and posts; undefined when it does not mint. */
  readonly signer?: RingSigner
  private readonly minting?: MintingService
  /** This node's member key and stamps, when it mints. */
  private readonly state?: MemberState
  private readonly components: NodeMembershipComponents
  /** Where own announcements leave: the stem once a directory member can be reached, else {@link NodeMembershipComponents.direct}. */
  private readonly announcements: Outbound
  private readonly validator: TopicValidatorFn
  /** The node's clock, unix seconds. */
  private readonly clock: () => number
  /** Fetches the stamps rings are missing, when history sync runs. */
  private readonly fetcher?: StampFetcher
  private pruneTimer?: ReturnType<typeof setInterval>
  /** Sends the 'membership' events: at once when the status changed, minting progress and the directory's size at most once a second. */
  private readonly reporter: StatusReporter<NodeMembershipStatus>

  constructor (components: NodeMembershipComponents, directory: MemberDirectory, own?: { state: MemberState, minting: MintingService, signer: RingSigner }) {
    super()
    this.components = components
    this.directory = directory
    this.minting = own?.minting
    this.state = own?.state
    this.signer = own?.signer
    this.clock = secondsOf(components)
    // an own stamp not known to be out is never handed out by sync (a peer getting it first from this node
    // would know its owner), and its copy coming back is judged as a relay's would be
    for (const stamp of this.state?.stamps() ?? []) {
      if (this.state!.isOut(stamp.week)) continue
      directory.withhold(directoryItemId(stamp))
      directory.vouch(encodeStamp(stamp))
    }
    const { pubsub, stem, log } = components
    this.reporter = new StatusReporter({
      status: () => this.status(),
      major: reportKey,
      report: (status) => { this.safeDispatchEvent('membership', { detail: status }) }
    })
    const syncDirectory = components.syncDirectory
    if (syncDirectory !== undefined) {
      this.fetcher = new StampFetcher({
        sync: syncDirectory,
        peers: (count) => components.directoryPeers?.(count) ?? [],
        stamped: (memberKey, created) => directory.stamped(memberKey, created),
        ask: (peer, ids) => { directory.ask(peer, ids) },
        log: log.newScope('fetch')
      })
    }
    // own announcements wait for a reachable member of the directory topic, then leave through the stem
    this.announcements = stem === undefined
      ? components.direct
      : new Outbox({
        pubsub,
        connectionCount: components.connectionCount,
        release: async (topic, bytes, expires) => stem.send(topic, bytes, expires),
        log: log.newScope('outbound')
      })
    this.validator = async (peer, message) => {
      try {
        const verdict = await this.directory.receive(message.data, { ...this.sender(peer), path: 'live' })
        await this.noteOwn(message.data)
        if (verdict.action === 'accept') {
          // the announcement is out there: a stem hop holding it ends its embargo
          stem?.seen(messageId(DIRECTORY_TOPIC, message.data))
          if (this.forwardable(verdict.stamp)) return TopicValidatorResult.Accept
          // kept, but too near its window's edge for every neighbour to take (judged now, after the
          // evaluation's wait): not forwarded, and its sender is not charged
          log('announcement kept, not forwarded: too near its window\'s edge')
          return TopicValidatorResult.Ignore
        }
        log('announcement refused: %s (%s)', verdict.code, verdict.reason)
        // a Reject's sender was cut off by the directory already (onInvalid): no second penalty here; a
        // week refused past the sender's free refusals is one
        const action = this.charged(verdict, peer.toString())
        if (action === 'reject' && verdict.action !== 'reject') this.components.penalise?.(peer.toString())
        return action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
      } catch (err) {
        log.error('could not judge an announcement - %e', err)
        return TopicValidatorResult.Ignore
      }
    }
  }

  /** Subscribes to the directory topic, starts minting (and announcing), the hourly prune and the 'membership' events. */
  start (): void {
    const { pubsub } = this.components
    pubsub.topicValidators.set(DIRECTORY_TOPIC, this.validator)
    pubsub.subscribe(DIRECTORY_TOPIC)
    this.reporter.start()
    this.minting?.addEventListener('announce', (evt) => { void this.announce(evt.detail) })
    this.minting?.addEventListener('mint:progress', () => { this.reporter.changed() })
    // a turn later: the minter plans its next mint (nextMintAt) right after telling of this one
    for (const event of ['mint:stamp', 'mint:error'] as const) this.minting?.addEventListener(event, () => { queueMicrotask(() => { this.reporter.changed() }) })
    this.directory.addEventListener('stamp-added', (evt) => {
      this.fetcher?.arrived(evt.detail.memberKey)
      this.reporter.changed()
    })
    this.directory.addEventListener('stamps-wanted', (evt) => { this.fetcher?.wanted(evt.detail) })
    this.minting?.start()
    this.pruneTimer = setInterval(() => {
      this.directory.prune()
        .then(() => { this.reporter.changed() })
        .catch((err: unknown) => { this.components.log.error('could not prune the directory - %e', err) })
    }, MEMBERSHIP_PRUNE_INTERVAL)
  }

  /** Stops minting (saving the nonce reached) and the outbox; resolves before the database may close. */
  async stop (): Promise<void> {
    this.reporter.stop()
    clearInterval(this.pruneTimer)
    this.fetcher?.stop()
    if (this.announcements !== this.components.direct) this.announcements.stop()
    await this.minting?.stop()
    // the validator stays: an announcement still arriving is judged, never taken unchecked
    this.components.pubsub.unsubscribe(DIRECTORY_TOPIC)
  }

  /** Members in the directory now, and this node's own stamp and minting (when it mints). */
  status (): NodeMembershipStatus {
    const now = this.clock()
    const members = this.directory.size(now) + this.ownUnheld(now)
    const ring = members < 2 ? 0 : Math.min(MIN_MEMBER_RING, members)
    return { ...this.minting?.status(), minter: this.minting !== undefined, members, ring, signing: ring > 0 && this.signer?.stamped(now) === true }
  }

  /**
   * The membership rule of a ring-signed vote or post in a public channel (never evaluates a stamp): every
   * member of `ring` stamped at `created` in the directory (this node's own member counts from its own
   * state), and the ring large enough. Missing members' stamps are queued to fetch from `from` (a PeerId).
   */
  checkRing (ring: Uint8Array[], created: number, from?: string): RingMembership {
    const state = this.state
    const own = state === undefined ? undefined : (memberKey: Uint8Array, week: number): boolean => equalBytes(memberKey, state.key.publicKey) && state.stampFor(week) !== undefined
    return this.directory.checkRing(ring, { created, from, alsoStamped: own })
  }

  /** When the stamp being minted is expected (unix seconds), if a mint is running and has measured its pace. */
  readyAt (): number | undefined {
    return this.minting === undefined ? undefined : readyAtOf(this.minting)
  }

  /** 1 when this node's own member holds a stamp accepted at `now` that its directory does not hold yet (it was not back). */
  private ownUnheld (now: number): number {
    if (this.state === undefined) return 0
    const weeks = acceptedStampWeeks(now)
    const memberKey = this.state.key.publicKey
    const own = weeks.some((week) => this.state!.stampFor(week) !== undefined)
    return own && !weeks.some((week) => this.directory.has(memberKey, week)) ? 1 : 0
  }

  /**
   * A stem hop's verdict on an announcement: judged in full, not kept, so its gossip copy still is. A valid
   * one too near its window's edge to pass on is dropped, its sender not charged (as a post, judgeRelayed).
   */
  async judge (bytes: Uint8Array, from: PeerId): Promise<Verdict> {
    const verdict = await this.directory.receive(bytes, { ...this.sender(from), path: 'stem' })
    await this.noteOwn(bytes)
    if (verdict.action === 'accept') return this.forwardable(verdict.stamp) ? 'accept' : 'ignore'
    return this.charged(verdict, from.toString())
  }

  /**
   * Whether an announcement may leave this node now (the stem's `passable`: handed on, fluffed): a stamp
   * every honest node whose clock is within MAX_CLOCK_SKEW of this one's takes (stampForwardableAt). Bytes
   * that are no stamp may not.
   *
   * @example
   * ```ts
   * createStem({ ...components, passable: (topic, envelope) => topic !== DIRECTORY_TOPIC || membership.passable(envelope) })
   * ```
   */
  passable (bytes: Uint8Array): boolean {
    try {
      return this.forwardable(decodeStamp(bytes))
    } catch {
      return false
    }
  }

  /** Whether `stamp` may leave this node now, by the forward rule read at this moment (see {@link passable}). */
  private forwardable (stamp: Stamp): boolean {
    return stampForwardableAt(stamp.week, this.clock(), 'live')
  }

  /**
   * A refusal's action, a stamp's week refused counted against `peer`'s free refusals (the node's tracker):
   * free to send, it was Ignored however often (eighth read of issue 12, a Low). On history sync too: a
   * responder serves only stamps kept at every clock reading of an honest receiver (the directory's items).
   */
  private charged (verdict: Exclude<DirectoryVerdict, { action: 'accept' }>, peer: string): Verdict {
    return verdict.code === 'ERR_STAMP_WEEK' ? this.components.refusal?.(peer, verdict.code) ?? verdict.action : verdict.action
  }

  /** History sync's verdict on an announcement it asked for: kept if valid (also a stamp whose week has passed but that rings may still name). */
  async ingest (bytes: Uint8Array, from: PeerId): Promise<Verdict> {
    // sync skips the live paths' rate limits (it brings only what this node asked for), but the strike
    // counts by address group as there: throwaway PeerIds from one address buy one evaluation, not one each
    const verdict = await this.directory.receive(bytes, { ...this.sender(from), path: 'sync' })
    await this.noteOwn(bytes)
    return verdict.action === 'accept' ? 'accept' : this.charged(verdict, from.toString())
  }

  /** Who delivered an announcement, as the directory counts it. */
  private sender (peer: PeerId): { from: string, group?: string } {
    return { from: peer.toString(), group: this.components.senderGroup?.(peer) }
  }

  /**
   * Marks an own stamp that came back from a peer, or was published into gossip here, as out there (kept
   * across restarts): it is then served by sync and never announced again, since only its owner would send
   * a stamp the network holds.
   */
  private async noteOwn (bytes: Uint8Array): Promise<void> {
    if (this.state === undefined) return
    let stamp: Stamp
    try {
      stamp = decodeStamp(bytes)
    } catch {
      return
    }
    const held = this.state.stampFor(stamp.week)
    if (held === undefined || held.nonce !== stamp.nonce || !equalBytes(held.memberKey, stamp.memberKey) || this.state.isOut(stamp.week)) return
    try {
      await this.state.markOut(stamp.week)
      this.directory.disclose(directoryItemId(stamp))
      this.components.log('an own stamp is out there')
      // signing may start now
      this.reporter.changed()
    } catch (err) {
      this.components.log.error('could not record an own stamp as out - %e', err)
    }
  }

  /**
   * Publishes an announcement that leaves the stem here, kept in the directory first (a relayed one was
   * judged as a stem hop: no second evaluation). Throws when it no longer holds (its week has passed), or
   * may not leave now (too near its window's edge, {@link passable}): kept then, not published.
   */
  async fluff (bytes: Uint8Array, expires: number | undefined): Promise<SendResult> {
    const verdict = await this.directory.receive(bytes)
    if (verdict.action !== 'accept' && verdict.code !== 'ERR_DUPLICATE') {
      throw new PostValidationError(`the announcement no longer holds: ${verdict.reason}`, verdict.code)
    }
    if (!this.passable(bytes)) throw new PostValidationError('the announcement is too near its window\'s edge to pass on', 'ERR_STAMP_WEEK')
    const sent = await this.components.direct.send(DIRECTORY_TOPIC, bytes, expires ?? stampWindow(decodeStamp(bytes).week).notAfter)
    // an own stamp the stem could not hide after all: published here, gossip never hands it back. Recorded
    // a turn later, so that the record's write does not hold up the bytes of an own stamp only (a
    // successor handing a stamp back times them: fifteenth read of issue 12, High 1)
    if (sent.status === 'sent') {
      await nextTurn()
      await this.noteOwn(bytes)
    }
    return sent
  }

  /** Keeps an own stamp published straight into gossip here and records it as out. */
  private async published (bytes: Uint8Array): Promise<void> {
    const verdict = await this.directory.receive(bytes)
    if (verdict.action !== 'accept' && verdict.code !== 'ERR_DUPLICATE') this.components.log.error('an own stamp was refused: %s (%s)', verdict.code, verdict.reason)
    await this.noteOwn(bytes)
  }

  /**
   * Sends an own stamp out. It is not kept in the directory before it comes back (as own posts stay out of
   * the store): a copy sent back by gossip before the fluff is then accepted and forwarded here as at any relay.
   */
  private async announce (bytes: Uint8Array): Promise<void> {
    const { log } = this.components
    try {
      const stamp = decodeStamp(bytes)
      // scheduled inside the rule (announceAt), but a restart or a late mint may put it past its end
      if (!this.forwardable(stamp)) {
        log('an own stamp too near its window\'s edge to announce: not sent')
        return
      }
      if (this.state?.isOut(stamp.week) !== true) {
        this.directory.withhold(directoryItemId(stamp))
        this.directory.vouch(bytes)
      }
      const sent = await this.announcements.send(DIRECTORY_TOPIC, bytes, stampWindow(stamp.week).notAfter)
      // without a stem it went straight into gossip, which never hands it back: it is out now
      if (this.announcements === this.components.direct && sent.status === 'sent') await this.published(bytes)
      log('announced a stamp')
    } catch (err) {
      log.error('could not announce a stamp - %e', err)
    }
  }
}

/** The node's clock in unix seconds, as the directory and the minting read it. */
function secondsOf (components: Pick<NodeMembershipComponents, 'clock'>): () => number {
  const clock = components.clock ?? Date.now
  return () => Math.floor(clock() / 1000)
}

/** What a 'membership' event reports, but for minting progress and the directory's exact size: an event goes out when it changes. */
function reportKey (status: NodeMembershipStatus): string {
  const { stamp, ahead, minting, nextMintAt, ring, signing } = status
  return JSON.stringify({ stamp, ahead, minting: minting?.week, nextMintAt, ring, signing })
}

/** When the stamp being minted is expected (unix seconds): now plus the running mint's ETA, once it measured its pace. */
function readyAtOf (minting: MintingService): number | undefined {
  const eta = minting.status().minting?.progress?.etaSeconds
  return eta === undefined ? undefined : Math.floor(Date.now() / 1000) + Math.ceil(eta)
}

/**
 * Where an announcement sorts in the directory's history sync: its item id (one per member key and week)
 * at its week's start; only the hash of its bytes when it is no stamp (the directory then refuses it).
 *
 * @example
 * ```ts
 * const { id, created } = announcementItem(bytes)
 * ```
 */
export function announcementItem (bytes: Uint8Array): { id: Uint8Array, created?: number } {
  try {
    const stamp = decodeStamp(bytes)
    return { id: directoryItemId(stamp), created: weekStart(stamp.week) }
  } catch {
    return { id: messageId(DIRECTORY_TOPIC, bytes) }
  }
}

/**
 * Opens the membership layer of a node: the member state (only when it mints: no member key is made
 * otherwise), the directory (loading what earlier runs verified) and the minting service.
 *
 * @example
 * ```ts
 * const membership = await openNodeMembership({ db, dataDir, pool, pubsub, connectionCount, stem, cutOff, log }, { mint: true, stampBits: STAMP_BITS })
 * membership.start()
 * ```
 */
export async function openNodeMembership (components: NodeMembershipComponents, config: MembershipConfig): Promise<NodeMembership> {
  const { db, dataDir, atRestKeys, pool, cutOff, log } = components
  const clock = secondsOf(components)
  const directory = await openMemberDirectory({
    db,
    clock,
    log: log.newScope('directory'),
    bits: config.stampBits,
    verify: pool === undefined ? undefined : async (stamp, options) => await pool.verifyStamp(stamp, options),
    onInvalid: cutOff
  })
  if (!config.mint) return new NodeMembership(components, directory)
  const state = await openMemberState({ storage: await openMemberStorage(dataDir, db, atRestKeys), log: log.newScope('state') })
  const miner: StampMiner = pool ?? { mintStamp }
  const announceDelay = config.announceDelay ?? (config.stampBits < STAMP_BITS ? 0 : undefined)
  const minting = createMintingService({ state, miner, bits: config.stampBits, announceDelay, clock, log: log.newScope('minting') })
  const signer = createRingSigner({
    state,
    directory,
    rings: await openRingBook({ db }),
    counters: await openPostCounters({ db }),
    readyAt: () => readyAtOf(minting)
  })
  return new NodeMembership(components, directory, { state, minting, signer })
}
