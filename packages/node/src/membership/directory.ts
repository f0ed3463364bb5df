/**
 * The member directory: the stamped member keys of the current and the previous week, each verified once
 * when first seen (one Argon2id) and kept in the node's database, so that rings in posts and votes can be
 * checked against it without ever evaluating a stamp. A peer that sends an invalid announcement is
 * reported and gets no further evaluation; a ring naming unknown members costs none and queues their
 * stamps for a rate-limited fetch ('stamps-wanted', which the node's StampFetcher acts on). Its public
 * shapes are in directory-types.ts.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import {
  MIN_MEMBER_RING, STAMP_BITS, acceptedStampWeeks, announcementAction, checkRingMembers, decodeStamp, directoryItemId, isStampWeekAccepted,
  WEEK_SECONDS, stampRetainedUntil, stampWindow, toHex, verifyStamp, weekStart
} from '@murmur/protocol'
import { Recent } from '../recent.js'
import { EvaluationAdmission } from './admission.js'
import { stampAcceptedAt, stampForwardableAt } from './stamp-forward.js'
import { DIRECTORY_INVALID_CACHE, DIRECTORY_JUDGED_CACHE, DIRECTORY_SUBLEVEL } from './constants.js'
import { WantedStamps } from './wanted.js'
import type { AnnouncementPath, CheckRingOptions, DirectoryVerdict, MemberDirectory, MemberDirectoryEvents, MemberDirectoryInit, ReceiveOptions, StampVerifier } from './directory-types.js'
import type { MemberDatabase } from './storage.js'
import type { Logger } from '@libp2p/interface'
import type { AbstractSublevel } from 'abstract-level'
import type { RingMembership, Stamp, StampErrorCode, StampVerification, SyncItem } from '@murmur/protocol'

export type {
  AnnouncementPath, CheckRingOptions, DirectoryCode, DirectoryVerdict, MemberDirectory, MemberDirectoryEvents, MemberDirectoryInit, ReceiveOptions, StampVerifier, StampsWanted
} from './directory-types.js'

/** The weeks whose stamps are accepted at `created`; none for a time that is not one (a hostile `created`). */
function weeksAt (created: number): number[] {
  try {
    return acceptedStampWeeks(created)
  } catch {
    return []
  }
}

/** Who delivered an announcement: the peer (reported when it is invalid) and the key its limits count by (its group). */
interface Sender {
  peer: string | undefined
  key: string | undefined
}

interface Held {
  id: Uint8Array
  stamp: Stamp
  bytes: Uint8Array
}

class Directory extends TypedEventEmitter<MemberDirectoryEvents> implements MemberDirectory {
  evaluations = 0
  private readonly records: AbstractSublevel<MemberDatabase, string | Uint8Array, Uint8Array, Uint8Array>
  private readonly bits: number
  private readonly clock: () => number
  private readonly verify: StampVerifier
  private readonly onInvalid?: (peer: string) => void
  private readonly minRingSize: number
  private readonly held = new Map<string, Held>()
  private readonly withheld = new Set<string>()
  /** week → member key hex → item */
  private readonly byWeek = new Map<number, Map<string, Held>>()
  private readonly invalid: Recent<StampErrorCode>
  /** Announcements judged valid as a stem hop (by bytes), not kept yet. */
  private readonly judged: Recent<true>
  /** Own stamps (by bytes) taken as valid but not held yet: a few per week, dropped once kept. */
  private readonly vouched = new Set<string>()
  private readonly inFlight = new Map<string, Promise<unknown>>()
  private readonly admission: EvaluationAdmission
  private readonly wants: WantedStamps
  private readonly log: Logger

  constructor (init: MemberDirectoryInit) {
    super()
    this.records = init.db.sublevel<Uint8Array, Uint8Array>(DIRECTORY_SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    this.bits = init.bits ?? STAMP_BITS
    this.clock = init.clock ?? (() => Math.floor(Date.now() / 1000))
    this.verify = init.verify ?? verifyStamp
    this.onInvalid = init.onInvalid
    this.minRingSize = init.minRingSize ?? MIN_MEMBER_RING
    this.invalid = new Recent(init.invalidCacheSize ?? DIRECTORY_INVALID_CACHE)
    this.judged = new Recent(DIRECTORY_JUDGED_CACHE)
    this.admission = new EvaluationAdmission(init)
    this.wants = new WantedStamps(init)
    this.log = init.log ?? logger('murmur:membership:directory')
  }

  /** Loads what an earlier run verified (never verifying it again), dropping what is no longer kept. */
  async load (): Promise<void> {
    const now = this.clock()
    const drop: Uint8Array[] = []
    for await (const [key, value] of this.records.iterator()) {
      let stamp: Stamp
      try {
        stamp = decodeStamp(value)
      } catch {
        drop.push(key)
        continue
      }
      const id = directoryItemId(stamp)
      if (toHex(id) !== toHex(key) || now >= stampRetainedUntil(stamp.week)) drop.push(key)
      else this.hold({ id, stamp, bytes: value })
    }
    if (drop.length > 0) await this.records.batch(drop.map((key) => ({ type: 'del' as const, key })))
    this.log('loaded %d directory items', this.held.size)
  }

  async receive (bytes: Uint8Array, options: ReceiveOptions = {}): Promise<DirectoryVerdict> {
    const { from } = options
    const sender = { peer: from, key: options.group ?? from }
    const path = options.path ?? 'live'
    let stamp: Stamp
    try {
      stamp = decodeStamp(bytes)
    } catch (err) {
      const code = (err as { code?: StampErrorCode }).code ?? 'ERR_MALFORMED'
      return this.refuse(sender, code, err instanceof Error ? err.message : String(err))
    }
    const idHex = toHex(directoryItemId(stamp))
    // verdicts and vouches are remembered by the bytes: their hex, once per delivery
    const bytesHex = toHex(bytes)
    const now = this.clock()
    const early = this.cheapVerdict(idHex, bytesHex, stamp, now, path, sender)
    if (early !== undefined) return early
    const judged = this.judgedVerdict(bytes, bytesHex, stamp, path)
    if (judged !== undefined) return judged
    const evaluate = async (): Promise<DirectoryVerdict> => {
      // another delivery of this item may be under evaluation: its verdict may make this one a duplicate
      for (let busy = this.inFlight.get(idHex); busy !== undefined; busy = this.inFlight.get(idHex)) await busy
      const late = this.cheapVerdict(idHex, bytesHex, stamp, now, path, sender) ?? this.judgedVerdict(bytes, bytesHex, stamp, path)
      if (late !== undefined) return late
      // history sync brings only what this node asked for, at the pace of its own sessions: limiting it
      // here would turn a newcomer's first directory sync into hours of re-asking
      if (path !== 'sync' && !this.admission.admit(sender.key)) return { action: 'ignore', code: 'ERR_RATE_LIMITED', reason: 'over the stamp evaluation limit' }
      const running = this.evaluate(bytes, bytesHex, stamp, now, path, sender)
      this.inFlight.set(idHex, running)
      try {
        return await running
      } finally {
        this.inFlight.delete(idHex)
      }
    }
    if (sender.key === undefined) return evaluate()
    return await this.admission.inTurn(sender.key, evaluate) ?? { action: 'ignore', code: 'ERR_RATE_LIMITED', reason: 'too many announcements of one sender waiting' }
  }

  has (memberKey: Uint8Array, week: number): boolean {
    return this.byWeek.get(week)?.has(toHex(memberKey)) === true
  }

  size (created: number, atMost = Infinity): number {
    const weeks = weeksAt(created).map((week) => this.byWeek.get(week)).filter((held) => held !== undefined)
    if (weeks.length === 1) return Math.min(weeks[0]!.size, atMost)
    const seen = new Set<string>()
    for (const held of weeks) {
      for (const key of held.keys()) {
        seen.add(key)
        if (seen.size >= atMost) return atMost
      }
    }
    return seen.size
  }

  checkRing (ring: Uint8Array[], options: CheckRingOptions): RingMembership {
    const minRingSize = options.minRingSize ?? this.minRingSize
    const result = checkRingMembers(ring, {
      created: options.created,
      hasStamp: (memberKey, week) => this.has(memberKey, week) || options.alsoStamped?.(memberKey, week) === true,
      directorySize: this.size(options.created, minRingSize),
      minRingSize
    })
    if (!result.ok && result.code === 'ERR_UNKNOWN_MEMBER' && options.from !== undefined) {
      // the week of `created` first: when a peer's fetch budget runs out, the likelier stamps are asked for
      const week = Math.floor(options.created / WEEK_SECONDS)
      const weeks = weeksAt(options.created).sort((a, b) => Number(b === week) - Number(a === week))
      const missing = result.missing
      const ids = this.wants.want(options.from, (function * () {
        for (const week of weeks) for (const memberKey of missing) yield directoryItemId({ memberKey, week })
      })())
      if (ids.length > 0) {
        // the members whose stamps the peer's budget let in: only they are fetched
        const queued = new Set(ids.map(toHex))
        const members = missing.filter((memberKey) => weeks.some((week) => queued.has(toHex(directoryItemId({ memberKey, week })))))
        this.safeDispatchEvent('stamps-wanted', { detail: { peer: options.from, created: options.created, members } })
      }
    }
    return result
  }

  wanted (peer: string): Uint8Array[] {
    return this.wants.take(peer).filter((id) => !this.held.has(toHex(id)))
  }

  ask (peer: string, ids: Uint8Array[]): void {
    this.wants.ask(peer, ids)
  }

  stamped (memberKey: Uint8Array, created: number): boolean {
    return weeksAt(created).some((week) => this.has(memberKey, week))
  }

  members (week: number): Uint8Array[] {
    return [...this.byWeek.get(week)?.values() ?? []].map((held) => held.stamp.memberKey)
  }

  items (): SyncItem[] {
    const now = this.clock()
    return [...this.held.entries()].filter(([hex, held]) => this.serves(hex, held, now)).map(([, held]) => ({ id: held.id, created: weekStart(held.stamp.week) }))
  }

  get (id: Uint8Array): Uint8Array | undefined {
    const hex = toHex(id)
    const held = this.held.get(hex)
    return held !== undefined && this.serves(hex, held, this.clock()) ? held.bytes : undefined
  }

  /**
   * Whether sync serves a held item at `now`: not withheld, and kept (taken by sync) at every clock reading
   * of an honest receiver (stampForwardableAt), so no receiver refuses it for its week, and sync charges that.
   */
  private serves (hex: string, held: Held, now: number): boolean {
    return !this.withheld.has(hex) && stampForwardableAt(held.stamp.week, now, 'sync')
  }

  withhold (id: Uint8Array): void {
    this.withheld.add(toHex(id))
  }

  disclose (id: Uint8Array): void {
    this.withheld.delete(toHex(id))
  }

  vouch (bytes: Uint8Array): void {
    this.vouched.add(toHex(bytes))
  }

  async prune (): Promise<void> {
    const now = this.clock()
    const gone = [...this.held.values()].filter((held) => now >= stampRetainedUntil(held.stamp.week))
    for (const held of gone) this.release(held)
    if (gone.length > 0) await this.records.batch(gone.map((held) => ({ type: 'del' as const, key: held.id })))
  }

  /** The verdict that needs no evaluation, if there is one. */
  private cheapVerdict (idHex: string, bytesHex: string, stamp: Stamp, now: number, path: AnnouncementPath, sender: Sender): DirectoryVerdict | undefined {
    if (this.held.has(idHex)) return { action: 'ignore', code: 'ERR_DUPLICATE', reason: 'the directory holds this member\'s stamp for this week' }
    const known = this.invalid.get(bytesHex)
    if (known !== undefined) return this.refuse(sender, known, 'an announcement already found invalid')
    const { notBefore, notAfter } = stampWindow(stamp.week)
    if (!stampAcceptedAt(stamp.week, now, path)) return { action: 'ignore', code: 'ERR_STAMP_WEEK', reason: `a stamp for week ${stamp.week} (window ${notBefore}..${notAfter}) is not ${path !== 'sync' ? 'accepted' : 'kept'} at ${now}` }
    if (sender.key !== undefined && this.admission.isStruck(sender.key)) return { action: 'ignore', code: 'ERR_SENDER_CUT_OFF', reason: 'the sender sent an invalid announcement' }
    return undefined
  }

  private async evaluate (bytes: Uint8Array, bytesHex: string, stamp: Stamp, now: number, path: AnnouncementPath, sender: Sender): Promise<DirectoryVerdict> {
    this.evaluations++
    // sync also takes a stamp whose window has closed but that is still kept: it is judged at its week's
    // start, a time it was accepted at (as validateAnnouncement's 'retain' window does)
    const at = path === 'sync' && !isStampWeekAccepted(stamp.week, now) ? weekStart(stamp.week) : now
    let result: StampVerification
    try {
      result = await this.verify(stamp, { now: at, bits: this.bits })
    } catch (err) {
      this.log.error('a stamp could not be verified: %e', err)
      return { action: 'ignore', code: 'ERR_VERIFIER_UNAVAILABLE', reason: `the stamp could not be verified now: ${err instanceof Error ? err.message : String(err)}` }
    }
    if (result.ok) {
      if (path !== 'stem') return this.keep(bytes, bytesHex, stamp)
      this.judged.set(bytesHex, true)
      return { action: 'accept', id: directoryItemId(stamp), stamp }
    }
    if (announcementAction(result.code) === 'ignore') return { action: 'ignore', code: result.code, reason: result.reason }
    this.invalid.set(bytesHex, result.code)
    return this.refuse(sender, result.code, result.reason)
  }

  /**
   * The verdict on bytes a stem hop judged valid (or an own stamp vouched for): another stem copy is
   * accepted as it was; the gossip (or sync) copy is kept now, without a second evaluation.
   */
  private judgedVerdict (bytes: Uint8Array, bytesHex: string, stamp: Stamp, path: AnnouncementPath): Promise<DirectoryVerdict> | undefined {
    if (this.judged.get(bytesHex) !== true && !this.vouched.has(bytesHex)) return undefined
    if (path === 'stem') return Promise.resolve({ action: 'accept', id: directoryItemId(stamp), stamp })
    return this.keep(bytes, bytesHex, stamp)
  }

  /** Holds a verified stamp, in memory and the database. */
  private async keep (bytes: Uint8Array, bytesHex: string, stamp: Stamp): Promise<DirectoryVerdict> {
    const held: Held = { id: directoryItemId(stamp), stamp, bytes }
    this.hold(held)
    this.vouched.delete(bytesHex)
    this.safeDispatchEvent('stamp-added', { detail: stamp })
    // verified either way: a failed write costs one evaluation after a restart, never a wrong verdict
    await this.records.put(held.id, bytes).catch((err: unknown) => { this.log.error('could not keep a directory item: %e', err) })
    return { action: 'accept', id: held.id, stamp }
  }

  /** Rejects an invalid announcement, striking its sender's group and reporting the peer. */
  private refuse (sender: Sender, code: StampErrorCode, reason: string): DirectoryVerdict {
    if (sender.key !== undefined) this.admission.strike(sender.key)
    if (sender.peer !== undefined) this.onInvalid?.(sender.peer)
    return { action: announcementAction(code), code, reason }
  }

  private hold (held: Held): void {
    const week = held.stamp.week
    this.held.set(toHex(held.id), held)
    const members = this.byWeek.get(week) ?? new Map<string, Held>()
    members.set(toHex(held.stamp.memberKey), held)
    this.byWeek.set(week, members)
  }

  private release (held: Held): void {
    this.held.delete(toHex(held.id))
    const members = this.byWeek.get(held.stamp.week)
    members?.delete(toHex(held.stamp.memberKey))
    if (members?.size === 0) this.byWeek.delete(held.stamp.week)
  }
}

/**
 * Opens the member directory kept in `db`: loads the items an earlier run verified, without verifying them
 * again. Feed it announcements (receive), check rings against it (checkRing), serve it to sync (items, get).
 *
 * @example
 * ```ts
 * const directory = await openMemberDirectory({ db, onInvalid: (peer) => { tracker.cutOff(peer) } })
 * const verdict = await directory.receive(message.data, { from: propagationSource.toString() })
 * const membership = directory.checkRing(auth.ring, { created, from })
 * directory.addEventListener('stamp-added', (evt) => { void intake.stamped(evt.detail.memberKey) })
 * ```
 */
export async function openMemberDirectory (init: MemberDirectoryInit): Promise<MemberDirectory> {
  const directory = new Directory(init)
  await directory.load()
  return directory
}
