/**
 * The membership layer (docs/MEMBERSHIP.md) inside a running node: the member key and stamps kept across
 * restarts, the stamp minted and renewed on the verification pool, the member directory fed by gossip and
 * the stem on DIRECTORY_TOPIC, own announcements sent through the stem (or straight into gossip when the
 * node runs without one), and a prune of expired items every hour.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { DIRECTORY_TOPIC, decodeStamp, directoryItemId, messageId, mintStamp, stampWindow, weekStart } from '@murmur/protocol'
import { openMemberStorage } from '#platform'
import { createMintingService, openMemberDirectory, openMemberState } from './membership/index.js'
import { PostValidationError } from './errors.js'
import { Outbox } from './outbound.js'
import type { MemberDatabase, MemberDirectory, MembershipStatus, MintingService, StampMiner } from './membership/index.js'
import type { Verdict } from './intake.js'
import type { Outbound, SendResult } from './outbound.js'
import type { Stem } from './stem/index.js'
import type { VerifyPool } from './verify/index.js'
import type { GossipSub, TopicValidatorFn } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

/** How often the directory drops the stamps it no longer keeps, in ms. @default 3_600_000 (an hour) */
export const MEMBERSHIP_PRUNE_INTERVAL = 3_600_000

/** Membership settings of a node, every default applied. */
export interface MembershipConfig {
  /** Whether this node mints and announces a member stamp of its own. */
  mint: boolean
  /** Stamp difficulty in leading zero bits, minted and required. */
  stampBits: number
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
}

/** What {@link NodeMembership} needs from the node. */
export interface NodeMembershipComponents {
  /** The node's database (the directory's sublevel; the member records too when there is no dataDir). */
  db: MemberDatabase
  dataDir: string | undefined
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
  log: Logger
}

/** The membership layer of a running node; {@link openNodeMembership} opens it, the node starts and stops it. */
export class NodeMembership {
  readonly directory: MemberDirectory
  private readonly minting?: MintingService
  private readonly components: NodeMembershipComponents
  /** Where own announcements leave: the stem once a directory member can be reached, else {@link NodeMembershipComponents.direct}. */
  private readonly announcements: Outbound
  private readonly validator: TopicValidatorFn
  private pruneTimer?: ReturnType<typeof setInterval>

  constructor (components: NodeMembershipComponents, directory: MemberDirectory, minting: MintingService | undefined) {
    this.components = components
    this.directory = directory
    this.minting = minting
    const { pubsub, stem, log } = components
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
        const verdict = await this.directory.receive(message.data, { from: peer.toString(), path: 'live' })
        if (verdict.action === 'accept') {
          // the announcement is out there: a stem hop holding it ends its embargo
          stem?.seen(messageId(DIRECTORY_TOPIC, message.data))
          return TopicValidatorResult.Accept
        }
        log('announcement refused: %s (%s)', verdict.code, verdict.reason)
        // a Reject's sender was cut off by the directory already (onInvalid): no second penalty here
        return verdict.action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
      } catch (err) {
        log.error('could not judge an announcement - %e', err)
        return TopicValidatorResult.Ignore
      }
    }
  }

  /** Subscribes to the directory topic, starts minting (and announcing) and the hourly prune. */
  start (): void {
    const { pubsub } = this.components
    pubsub.topicValidators.set(DIRECTORY_TOPIC, this.validator)
    pubsub.subscribe(DIRECTORY_TOPIC)
    this.minting?.addEventListener('announce', (evt) => { void this.announce(evt.detail) })
    this.minting?.start()
    this.pruneTimer = setInterval(() => {
      this.directory.prune().catch((err: unknown) => { this.components.log.error('could not prune the directory - %e', err) })
    }, MEMBERSHIP_PRUNE_INTERVAL)
  }

  /** Stops minting (saving the nonce reached) and the outbox; resolves before the database may close. */
  async stop (): Promise<void> {
    clearInterval(this.pruneTimer)
    if (this.announcements !== this.components.direct) this.announcements.stop()
    await this.minting?.stop()
    // the validator stays: an announcement still arriving is judged, never taken unchecked
    this.components.pubsub.unsubscribe(DIRECTORY_TOPIC)
  }

  /** Members in the directory now, and this node's own stamp and minting (when it mints). */
  status (): NodeMembershipStatus {
    const now = Math.floor(Date.now() / 1000)
    return { ...this.minting?.status(), minter: this.minting !== undefined, members: this.directory.size(now) }
  }

  /** A stem hop's verdict on an announcement: judged in full, not kept, so its gossip copy still is. */
  async judge (bytes: Uint8Array, from: PeerId): Promise<Verdict> {
    return (await this.directory.receive(bytes, { from: from.toString(), path: 'stem' })).action
  }

  /** History sync's verdict on an announcement it asked for: kept if valid (also a stamp whose week has passed but that rings may still name). */
  async ingest (bytes: Uint8Array, from: PeerId): Promise<Verdict> {
    return (await this.directory.receive(bytes, { from: from.toString(), path: 'sync' })).action
  }

  /**
   * Publishes an announcement that leaves the stem here, kept in the directory first (a relayed one was
   * judged as a stem hop: no second evaluation). Throws when it no longer holds (its week has passed).
   */
  async fluff (bytes: Uint8Array, expires: number | undefined): Promise<SendResult> {
    const verdict = await this.directory.receive(bytes)
    if (verdict.action !== 'accept' && verdict.code !== 'ERR_DUPLICATE') {
      throw new PostValidationError(`the announcement no longer holds: ${verdict.reason}`, verdict.code)
    }
    return await this.components.direct.send(DIRECTORY_TOPIC, bytes, expires ?? stampWindow(decodeStamp(bytes).week).notAfter)
  }

  /** Keeps an own stamp in the own directory, then sends it out. */
  private async announce (bytes: Uint8Array): Promise<void> {
    const { log } = this.components
    try {
      const verdict = await this.directory.receive(bytes)
      if (verdict.action !== 'accept' && verdict.code !== 'ERR_DUPLICATE') log.error('an own stamp was refused: %s (%s)', verdict.code, verdict.reason)
      await this.announcements.send(DIRECTORY_TOPIC, bytes, stampWindow(decodeStamp(bytes).week).notAfter)
      log('announced a stamp')
    } catch (err) {
      log.error('could not announce a stamp - %e', err)
    }
  }
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
  const { db, dataDir, pool, cutOff } = components
  const directory = await openMemberDirectory({
    db,
    bits: config.stampBits,
    verify: pool === undefined ? undefined : async (stamp, options) => await pool.verifyStamp(stamp, options),
    onInvalid: cutOff
  })
  let minting: MintingService | undefined
  if (config.mint) {
    const state = await openMemberState({ storage: await openMemberStorage(dataDir, db) })
    const miner: StampMiner = pool ?? { mintStamp }
    minting = createMintingService({ state, miner, bits: config.stampBits })
  }
  return new NodeMembership(components, directory, minting)
}
