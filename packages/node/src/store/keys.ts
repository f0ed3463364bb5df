import { concat, copyBytes, readU64, utf8, viewOf, writeU64 } from './bytes.js'
import { ID_BYTES, fromHex } from '@murmur/protocol'
import { InvalidPostError } from './errors.js'

/**
 * Key layouts of the store's indexes. Every multi-part key starts with a fixed-size or
 * length-prefixed part, so no prefix of one channel (thread, scope) is a prefix of another, and
 * big-endian times make byte order equal time order.
 *
 * - channel / feed: `u16 len | channel UTF-8 | u64 created | id`
 * - thread:         `root id | u64 created | id`
 * - expiry:         `u64 expires | id`
 * - tag:            `u16 len | scope | tag` → `id | u64 until`
 * - tag expiry:     `u64 until | tag key`
 * - waiting votes:  `parent id | vote id`
 * - arrival:        `u16 len | channel UTF-8 | u64 arrival class | u64 second | id` (eviction candidates;
 *                   an arrival class is a sender and an hour, see arrival.ts)
 * - usage:          `u16 len | channel UTF-8` and `… | u64 arrival class` → `u64 posts | u64 bytes`
 * - claim:          `tag key | id` → empty (every retained envelope carrying the tag, see conflicts.ts)
 * - links:          `id` → `(u16 len | scope | tag)*`
 * - shadow:         `id` → `u64 arrival class | u64 second | encoded post`
 */

const U16_MAX = 0xffff
const TIME_ID_BYTES = 8 + ID_BYTES
const MAX_TIME_ID = new Uint8Array(TIME_ID_BYTES).fill(0xff)

/** Big-endian 8 bytes of a non-negative safe integer. */
export function u64 (value: number): Uint8Array {
  const out = new Uint8Array(8)
  writeU64(viewOf(out), 0, value)
  return out
}

function lengthPrefixed (bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.byteLength > U16_MAX) {
    throw new InvalidPostError(`expected ${what} of at most ${U16_MAX} bytes, got ${bytes.byteLength}`)
  }
  const out = new Uint8Array(2 + bytes.byteLength)
  viewOf(out).setUint16(0, bytes.byteLength)
  out.set(bytes, 2)
  return out
}

/** Prefix of every channel and feed index key of `channel`. */
export function channelPrefix (channel: string): Uint8Array {
  return lengthPrefixed(utf8(channel), 'channel')
}

/** `prefix | u64 time | id`: an entry of a time-ordered index. */
export function timeKey (prefix: Uint8Array, time: number, id: Uint8Array): Uint8Array {
  return concat([prefix, u64(time), id])
}

/** The time and id at the end of a {@link timeKey}. */
export function parseTimeKey (key: Uint8Array): { time: number, id: Uint8Array } {
  const start = key.byteLength - TIME_ID_BYTES
  return { time: readU64(viewOf(key), start), id: copyBytes(key, start + 8) }
}

/** Iterator bounds covering the {@link timeKey}s under `prefix` whose time is below `before` (all when undefined). */
export function timeRange (prefix: Uint8Array, before?: number): { gte: Uint8Array, lt?: Uint8Array, lte?: Uint8Array } {
  return before === undefined
    ? { gte: prefix, lte: concat([prefix, MAX_TIME_ID]) }
    : { gte: prefix, lt: concat([prefix, u64(before)]) }
}

/**
 * Iterator bounds covering the ids (keys of the `posts` index) whose hex form starts with `prefix`
 * (1 to 64 lower-case hex digits): from the prefix padded with 0 to the prefix plus one, or to the end
 * when the prefix is all f.
 */
export function idPrefixRange (prefix: string): { gte: Uint8Array, lt?: Uint8Array } {
  const bytes = (hex: string): Uint8Array => fromHex(hex.length % 2 === 0 ? hex : `${hex}0`)
  if (/^f+$/.test(prefix)) return { gte: bytes(prefix) }
  return { gte: bytes(prefix), lt: bytes((BigInt(`0x${prefix}`) + 1n).toString(16).padStart(prefix.length, '0')) }
}

/** Key of a link tag seen in a scope. */
export function tagKey (scope: Uint8Array, tag: Uint8Array): Uint8Array {
  return concat([lengthPrefixed(scope, 'scope'), tag])
}

/** Value of a held tag: the id of the post that carried it, then until when it is held. */
export function heldTagValue (id: Uint8Array, until: number): Uint8Array {
  return concat([id, u64(until)])
}

/** The post id and hold time of a {@link heldTagValue}. */
export function parseHeldTag (value: Uint8Array): { id: Uint8Array, until: number } {
  return { id: copyBytes(value, 0, ID_BYTES), until: readU64(viewOf(value), ID_BYTES) }
}

/** Key of a tag's expiry entry: `u64 until | tag key`, so a sweep reads the due ones only. */
export function tagExpiryKey (until: number, scopeAndTag: Uint8Array): Uint8Array {
  return concat([u64(until), scopeAndTag])
}

/** The hold time and tag key of a {@link tagExpiryKey}. */
export function parseTagExpiryKey (key: Uint8Array): { until: number, tag: Uint8Array } {
  return { until: readU64(viewOf(key), 0), tag: copyBytes(key, 8) }
}

/** `parent | id`: a vote waiting for its parent. */
export function parentKey (parent: Uint8Array, id: Uint8Array): Uint8Array {
  return concat([parent, id])
}

/** Iterator bounds covering the {@link parentKey}s of `parent`. */
export function parentRange (parent: Uint8Array): { gte: Uint8Array, lte: Uint8Array } {
  return { gte: parent, lte: concat([parent, MAX_TIME_ID.subarray(0, ID_BYTES)]) }
}

/** Usage key of one arrival class of a channel (the channel's own total is keyed by its prefix alone). */
export function classKey (prefix: Uint8Array, arrivalClass: number): Uint8Array {
  return concat([prefix, u64(arrivalClass)])
}

/** Iterator bounds covering the arrival-class usage keys of a channel (not its total). */
export function classRange (prefix: Uint8Array): { gt: Uint8Array, lte: Uint8Array } {
  return { gt: prefix, lte: concat([prefix, MAX_TIME_ID.subarray(0, 8)]) }
}

/** The arrival class at the end of a {@link classKey}. */
export function parseClassKey (key: Uint8Array): number {
  return readU64(viewOf(key), key.byteLength - 8)
}

/** `tag key | id`: a retained envelope carrying the tag (see {@link tagKey}). */
export function claimKey (scopeAndTag: Uint8Array, id: Uint8Array): Uint8Array {
  return concat([scopeAndTag, id])
}

/** Iterator bounds covering the {@link claimKey}s of one tag key. */
export function claimRange (scopeAndTag: Uint8Array): { gte: Uint8Array, lte: Uint8Array } {
  return { gte: scopeAndTag, lte: concat([scopeAndTag, MAX_TIME_ID.subarray(0, ID_BYTES)]) }
}

/** The id at the end of a {@link claimKey}. */
export function parseClaimKey (key: Uint8Array): Uint8Array {
  return copyBytes(key, key.byteLength - ID_BYTES)
}

/** Value of a post's links: each `u16 len | scope | tag`, in order. */
export function linksValue (links: Array<{ scope: Uint8Array, tag: Uint8Array }>): Uint8Array {
  return concat(links.map(link => concat([lengthPrefixed(link.scope, 'scope'), link.tag])))
}

/** The links of a {@link linksValue}. */
export function parseLinks (value: Uint8Array): Array<{ scope: Uint8Array, tag: Uint8Array }> {
  const view = viewOf(value)
  const links: Array<{ scope: Uint8Array, tag: Uint8Array }> = []
  for (let offset = 0; offset + 2 <= value.byteLength;) {
    const length = view.getUint16(offset)
    const scope = copyBytes(value, offset + 2, offset + 2 + length)
    const tag = copyBytes(value, offset + 2 + length, offset + 2 + length + ID_BYTES)
    links.push({ scope, tag })
    offset += 2 + length + ID_BYTES
  }
  return links
}
