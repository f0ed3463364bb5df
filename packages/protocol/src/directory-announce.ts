import { u64be, utf8 } from './bytes.js'
import { TOPIC_PREFIX } from './constants.js'
import { sha256 } from './hash.js'
import { rethrowNotReady } from './sodium.js'
import { STAMP_ERROR_ACTIONS } from './stamp-errors.js'
import type { StampErrorCode } from './stamp-errors.js'
import { decodeStamp, verifyStamp } from './stamp.js'
import type { Stamp } from './stamp.js'
import { acceptedStampWeeks, isStampWeekAccepted, stampRetainedUntil, stampWindow, weekStart } from './stamp-window.js'
import type { SyncItem } from './sync/bounds.js'

/** The gossipsub topic of directory announcements (also the topic its history sync reconciles). */
export const DIRECTORY_TOPIC = `${TOPIC_PREFIX}directory`
/** Smallest ring a node asks of a member's vote or post while its directory holds that many members. @default 16 */
export const MIN_MEMBER_RING = 16

const ITEM_ID_DOMAIN = utf8('murmur/v2/directory-id')

/** Options of {@link validateAnnouncement}. */
export interface ValidateAnnouncementOptions {
  /** Unix seconds. @default Math.floor(Date.now() / 1000) */
  now?: number
  /** Stamp difficulty in leading zero bits. @default STAMP_BITS */
  bits?: number
  /**
   * Which weeks are taken: 'accept' (gossip and the stem) only stamps accepted now; 'retain' (history sync)
   * also the stamps a directory still keeps (stampRetainedUntil), which rings of live posts may name.
   *
   * @default 'accept'
   */
  window?: 'accept' | 'retain'
}

/** A valid announcement and where it sorts in the directory. */
export interface ValidAnnouncement extends SyncItem {
  ok: true
  stamp: Stamp
  /** Directory item id: one per member key and week, whatever the nonce (see directoryItemId). */
  id: Uint8Array
  /** Sync time of the item: the first second of the stamp's week. */
  created: number
}

/** Result of {@link validateAnnouncement}. */
export type AnnouncementValidation = ValidAnnouncement | { ok: false, code: StampErrorCode, reason: string }

/**
 * The directory item id of a stamp, `SHA-256("murmur/v2/directory-id" || memberKey || u64be(week))`: two
 * stamps of one key and week (other nonces) are one item, so a directory holds at most one per key and week.
 *
 * @example
 * ```ts
 * if (await directory.has(directoryItemId(stamp))) return // duplicate: no Argon2id spent
 * ```
 */
export function directoryItemId (stamp: Pick<Stamp, 'memberKey' | 'week'>): Uint8Array {
  return sha256(ITEM_ID_DOMAIN, stamp.memberKey, u64be(stamp.week))
}

/**
 * Validates a directory announcement (an encoded stamp): size, canonical decoding, member key, the week's
 * window, and one Argon2id evaluation last. Never throws; the code's gossip action is in
 * STAMP_ERROR_ACTIONS. A node checks `directoryItemId` against its store before calling this, so a
 * duplicate never costs an evaluation.
 *
 * @example
 * ```ts
 * const result = validateAnnouncement(message.data, { now })
 * if (result.ok) await directory.put(result.id, result.created, message.data)
 * else return announcementAction(result.code) // 'reject' penalises the sender
 * ```
 */
export function validateAnnouncement (bytes: Uint8Array, options: ValidateAnnouncementOptions = {}): AnnouncementValidation {
  let stamp: Stamp
  try {
    stamp = decodeStamp(bytes)
  } catch (err) {
    rethrowNotReady(err)
    const code = (err as { code?: StampErrorCode }).code
    return { ok: false, code: code !== undefined && Object.hasOwn(STAMP_ERROR_ACTIONS, code) ? code : 'ERR_MALFORMED', reason: err instanceof Error ? err.message : String(err) }
  }
  const now = options.now ?? Math.floor(Date.now() / 1000)
  // 'retain' takes a stamp from its window's start until the directory stops keeping it; outside its window
  // it is verified as at its week's start, a time it was accepted at
  let at = now
  if ((options.window ?? 'accept') === 'retain' && !isStampWeekAccepted(stamp.week, now)) {
    if (now < stampWindow(stamp.week).notBefore || now >= stampRetainedUntil(stamp.week)) {
      return { ok: false, code: 'ERR_STAMP_WEEK', reason: `a stamp for week ${stamp.week} is not kept at ${now}` }
    }
    at = weekStart(stamp.week)
  }
  const result = verifyStamp(stamp, { now: at, bits: options.bits })
  if (!result.ok) return result
  return { ok: true, stamp, id: directoryItemId(stamp), created: weekStart(stamp.week) }
}

/**
 * What gossipsub does with an announcement that failed with `code`: 'reject' (penalise the sender) or
 * 'ignore'.
 *
 * @example
 * ```ts
 * announcementAction('ERR_BAD_STAMP') // 'reject'
 * ```
 */
export function announcementAction (code: StampErrorCode): 'reject' | 'ignore' {
  return STAMP_ERROR_ACTIONS[code]
}

/** Options of {@link checkRingMembers}. */
export interface RingMembersOptions {
  /** The ring-signed post's `created`: members need a stamp accepted at this time. */
  created: number
  /**
   * Whether the node's directory holds a verified stamp for `memberKey` and `week`. The node answers from
   * what it verified when the stamp first arrived; this function never verifies a stamp.
   */
  hasStamp: (memberKey: Uint8Array, week: number) => boolean
  /** Members the node holds stamps for at `created` (its directory's size). */
  directorySize: number
  /** Smallest ring asked for while the directory holds at least that many members. @default MIN_MEMBER_RING */
  minRingSize?: number
}

/** Result of {@link checkRingMembers}. */
export type RingMembership =
  | { ok: true }
  | { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: string, /** Members without a stamp at `created`, to fetch. */ missing: Uint8Array[] }
  | { ok: false, code: 'ERR_RING_TOO_SMALL', reason: string }

/**
 * The membership rule of a ring-signed vote or post in a public channel: the ring (RingAuth.ring, member
 * public keys) has at least min(minRingSize, directorySize) members, and every one has a stamp accepted at
 * the post's `created` in the node's directory. A ring naming members the node does not know is Ignored
 * (ERR_UNKNOWN_MEMBER) with the list to fetch, so no message ever makes a node evaluate a stamp. Never throws.
 *
 * @example
 * ```ts
 * const membership = checkRingMembers(auth.ring, { created: Number(post.created), hasStamp: directory.has, directorySize: directory.size })
 * if (!membership.ok && membership.code === 'ERR_UNKNOWN_MEMBER') fetcher.want(membership.missing, from)
 * ```
 */
export function checkRingMembers (ring: Uint8Array[], options: RingMembersOptions): RingMembership {
  const needed = Math.min(options.minRingSize ?? MIN_MEMBER_RING, options.directorySize)
  if (ring.length < needed) {
    return { ok: false, code: 'ERR_RING_TOO_SMALL', reason: `a ring of ${ring.length} members, ${needed} asked for` }
  }
  let weeks: number[]
  try {
    weeks = acceptedStampWeeks(options.created)
  } catch {
    weeks = []
  }
  const missing = ring.filter((member) => !weeks.some((week) => options.hasStamp(member, week)))
  if (missing.length > 0) {
    return { ok: false, code: 'ERR_UNKNOWN_MEMBER', reason: `${missing.length} of ${ring.length} ring members have no known stamp at ${options.created}`, missing }
  }
  return { ok: true }
}
