/**
 * Envelopes waiting for their ring's stamps: a valid ring-signed vote or post refused only because its ring
 * names members without a stamp known here (ERR_UNKNOWN_MEMBER) is kept, bounded per address group and in
 * all (count and bytes, oldest out first), and checked again when the directory takes the stamp of one of
 * those members; once every member is known it is delivered as if it had just arrived, instead of waiting
 * for the next history sync round to bring it again. Holding and re-checking cost no stamp evaluation:
 * only stamps the directory takes anyway (verified once, within its own limits) trigger a re-check, and a
 * re-check is a lookup per ring member.
 */
import { logger } from '@libp2p/logger'
import { toHex } from '@murmur/protocol'
import { AWAITING_STAMPS_BYTES, AWAITING_STAMPS_BYTES_PER_GROUP, AWAITING_STAMPS_ENVELOPES, AWAITING_STAMPS_ENVELOPES_PER_GROUP } from './constants.js'
import type { IntakePath } from '../intake.js'
import type { Logger } from '@libp2p/interface'
import type { RingMembership, ValidEnvelope } from '@murmur/protocol'


/**
 * Heap bytes a kept envelope costs per ring member on top of its own bytes, as the bounds count it: the
 * member's key in the decoded ring, its hex in the missing set and its entry in the by-member index.
 * Measured (review RV8 L2, hold-heap.mjs): 953 envelopes of 64-member rings (4.4 kB each) took 33.5 MiB of
 * heap where their bytes counted 4.0 MiB, about 510 bytes per member beyond the envelope.
 */
export const AWAITING_MEMBER_BYTES = 512

/** A valid ring-signed envelope refused for unknown members, as it came in. */
export interface AwaitingEnvelope {
  topic: string
  /** The envelope's bytes, stored as they came. */
  envelope: Uint8Array
  /** Its validation result (ring auth): delivered without a second check of its signature and proof of work. */
  valid: ValidEnvelope
  /** The way it came in: how it is delivered (gossip, a stem post this node fluffed, or history sync). */
  path: IntakePath
  /** The address group of the peer that delivered it: the bounds count by it, and its store quota is charged on delivery. */
  group: string
}

/** Limits of {@link AwaitingStamps}. */
export interface AwaitingStampsInit {
  /** Envelopes kept in all. @default AWAITING_STAMPS_ENVELOPES */
  envelopes?: number
  /** Bytes kept in all (an envelope's and AWAITING_MEMBER_BYTES per ring member). @default AWAITING_STAMPS_BYTES */
  bytes?: number
  /** Envelopes kept from one address group. @default AWAITING_STAMPS_ENVELOPES_PER_GROUP */
  envelopesPerGroup?: number
  /** Bytes kept from one address group, counted as for `bytes`. @default AWAITING_STAMPS_BYTES_PER_GROUP */
  bytesPerGroup?: number
}

/** What {@link AwaitingStamps} needs. */
export interface AwaitingStampsComponents {
  /** The membership rule, asked again once every missing member has a stamp (no fetch: nothing is missing any more, or the first check asked for it already). */
  checkRing(ring: Uint8Array[], created: number): RingMembership
  /** Takes an envelope whose ring is now of known members, as its path takes one that just arrived; resolves true when it was stored (false: time overtook it, or the store refused it). */
  deliver(waiting: AwaitingEnvelope): Promise<boolean>
  /** Where it logs (the intake passes a scope of the node's components' logger). @default logger('murmur:membership:awaiting') */
  log?: Logger
}

interface Waiting {
  key: string
  waiting: AwaitingEnvelope
  bytes: number
  /** Hex member keys still without a stamp here. */
  missing: Set<string>
}

interface Group {
  /** Oldest first. */
  entries: Set<Waiting>
  bytes: number
}

/** The envelopes kept until their ring's stamps arrive ({@link AwaitingStamps.stamped}). */
export class AwaitingStamps {
  private readonly components: AwaitingStampsComponents
  private readonly maxEnvelopes: number
  private readonly maxBytes: number
  private readonly maxEnvelopesPerGroup: number
  private readonly maxBytesPerGroup: number
  /** By post id, oldest first. */
  private readonly all = new Map<string, Waiting>()
  private readonly groups = new Map<string, Group>()
  /** Hex member key → the envelopes waiting for its stamp. */
  private readonly byMember = new Map<string, Set<Waiting>>()
  private held = 0
  private readonly log: Logger

  constructor (components: AwaitingStampsComponents, init: AwaitingStampsInit = {}) {
    this.components = components
    this.log = components.log ?? logger('murmur:membership:awaiting')
    this.maxEnvelopes = init.envelopes ?? AWAITING_STAMPS_ENVELOPES
    this.maxBytes = init.bytes ?? AWAITING_STAMPS_BYTES
    this.maxEnvelopesPerGroup = init.envelopesPerGroup ?? AWAITING_STAMPS_ENVELOPES_PER_GROUP
    this.maxBytesPerGroup = init.bytesPerGroup ?? AWAITING_STAMPS_BYTES_PER_GROUP
  }

  /** Envelopes kept now. */
  get size (): number {
    return this.all.size
  }

  /** Bytes kept now, as the bounds count them: each envelope's, and {@link AWAITING_MEMBER_BYTES} per ring member. */
  get bytes (): number {
    return this.held
  }

  /**
   * Keeps `waiting` until the stamps of `missing` (member keys) arrive, pushing out the oldest envelope of
   * its group, then the oldest of the largest group, to stay within the bounds: a flood from many groups
   * pushes out its own, not the one envelope of a group that sent little. False when it is not kept:
   * waiting already, nothing missing, or larger than a group's bound.
   */
  hold (waiting: AwaitingEnvelope, missing: Uint8Array[]): boolean {
    const key = toHex(waiting.valid.id)
    const bytes = costOf(waiting)
    if (missing.length === 0 || this.all.has(key) || bytes > Math.min(this.maxBytesPerGroup, this.maxBytes)) return false
    const group = this.groups.get(waiting.group) ?? { entries: new Set<Waiting>(), bytes: 0 }
    while (group.entries.size > 0 && (group.entries.size >= this.maxEnvelopesPerGroup || group.bytes + bytes > this.maxBytesPerGroup)) {
      this.remove(group.entries.values().next().value!)
    }
    while (this.all.size > 0 && (this.all.size >= this.maxEnvelopes || this.held + bytes > this.maxBytes)) {
      this.remove(this.largestGroup(group).entries.values().next().value!)
    }
    const entry: Waiting = { key, waiting, bytes, missing: new Set(missing.map(toHex)) }
    this.all.set(key, entry)
    group.entries.add(entry)
    group.bytes += bytes
    this.groups.set(waiting.group, group)
    this.held += bytes
    for (const member of entry.missing) {
      const waiters = this.byMember.get(member) ?? new Set<Waiting>()
      waiters.add(entry)
      this.byMember.set(member, waiters)
    }
    return true
  }

  /**
   * The directory took a stamp of `memberKey`: every envelope that waited for it and for no other member is
   * checked again and, when its ring is now of known members, delivered (else kept for the members still
   * missing, or dropped when the ring no longer passes). Resolves with how many were stored.
   */
  async stamped (memberKey: Uint8Array): Promise<number> {
    const member = toHex(memberKey)
    const waiters = this.byMember.get(member)
    if (waiters === undefined) return 0
    this.byMember.delete(member)
    const ready: Waiting[] = []
    for (const entry of waiters) {
      entry.missing.delete(member)
      if (entry.missing.size === 0) {
        this.remove(entry)
        ready.push(entry)
      }
    }
    let delivered = 0
    for (const { waiting } of ready) {
      const { auth, post } = waiting.valid
      if (auth.kind !== 'ring') continue
      // a stamp for another week than the post's, say: still missing, kept for it
      const result = this.components.checkRing(auth.ring, Number(post.created))
      if (!result.ok) {
        if (result.code === 'ERR_UNKNOWN_MEMBER') this.hold(waiting, result.missing)
        continue
      }
      try {
        if (await this.components.deliver(waiting)) delivered++
      } catch (err) {
        // a store error: this one is lost until sync brings it again, the others are still taken
        this.log.error('could not take an envelope whose ring\'s stamps arrived - %e', err)
      }
    }
    if (delivered > 0) this.log('%d envelopes taken once their ring\'s stamps arrived', delivered)
    return delivered
  }

  /** The group holding the most envelopes (then bytes), counting `incoming` (not yet in {@link groups} when new). */
  private largestGroup (incoming: Group): Group {
    let largest = incoming
    for (const group of this.groups.values()) {
      if (largest.entries.size === 0 || group.entries.size > largest.entries.size || (group.entries.size === largest.entries.size && group.bytes > largest.bytes)) largest = group
    }
    return largest
  }

  private remove (entry: Waiting): void {
    if (this.all.get(entry.key) !== entry) return
    this.all.delete(entry.key)
    this.held -= entry.bytes
    const group = this.groups.get(entry.waiting.group)
    if (group !== undefined) {
      group.entries.delete(entry)
      group.bytes -= entry.bytes
      if (group.entries.size === 0) this.groups.delete(entry.waiting.group)
    }
    for (const member of entry.missing) {
      const waiters = this.byMember.get(member)
      waiters?.delete(entry)
      if (waiters?.size === 0) this.byMember.delete(member)
    }
  }
}

/** What an envelope kept costs the heap, as the bounds count it: its bytes and {@link AWAITING_MEMBER_BYTES} per ring member. */
function costOf ({ envelope, valid }: AwaitingEnvelope): number {
  const members = valid.auth.kind === 'ring' ? valid.auth.ring.length : 0
  return envelope.byteLength + members * AWAITING_MEMBER_BYTES
}
