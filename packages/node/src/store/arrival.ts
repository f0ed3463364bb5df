import { ARRIVAL_CLASS_SECONDS } from './constants.js'

/** Arrival classes a sender has: one per hour, for 2^20 hours (to the year 2089) from 1970. */
const HOURS = 2 ** 20
/** Sender buckets: 0 for the node's own posts, 1 .. 2^32 - 1 for address groups (and {@link UNKNOWN_SENDER}). */
const SENDERS = 2 ** 32 - 1

/** When and from whom a post arrived: its arrival class (sender and hour) and second. */
export interface Arrival {
  /** `sender × 2^20 + hour`: the posts one sender delivered in one hour; fits a u64 key and a safe integer */
  arrivalClass: number
  /** the unix second it arrived in */
  second: number
}

/**
 * The sender of a post from the network whose delivering peer's address group is not known (none was
 * ever seen for it). Such posts are one sender of their own, levelled like any other by the quota; never
 * the node's own bucket, which a flood charged to nobody would otherwise share with the node's posts.
 * No address group has this form (they all name a protocol: `ip4/…`, `ip6/…`).
 */
export const UNKNOWN_SENDER = 'unknown'

/**
 * The arrival of a post delivered by the address group `from` (undefined: the node's own) at `now`
 * (unix seconds). Address groups are hashed (FNV-1a) into 2^32 − 1 buckets.
 */
export function arrivalOf (from: string | undefined, now: number): Arrival {
  return { arrivalClass: senderBucket(from) * HOURS + Math.floor(now / ARRIVAL_CLASS_SECONDS), second: Math.floor(now) }
}

/** The sender bucket of the address group `from` (0: the node's own). */
export function senderBucket (from: string | undefined): number {
  return from === undefined ? 0 : 1 + (fnv1a(from) % SENDERS)
}

/** The sender bucket of an arrival class. */
export function senderOf (arrivalClass: number): number {
  return Math.floor(arrivalClass / HOURS)
}

function fnv1a (text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
