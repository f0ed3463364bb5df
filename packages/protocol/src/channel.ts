import { MAX_CHANNEL_BYTES, TOPIC_PREFIX } from './constants.js'
import { ProtocolError } from './errors.js'
import { toHex, utf8 } from './bytes.js'
import { DOMAIN, sha256 } from './hash.js'
import { displayLine } from './display.js'

const GEOHASH = /^geo:[0-9bcdefghjkmnpqrstuvwxyz]{1,12}$/
const CIRCLE = /^circle:[0-9a-f]{32}$/
/**
 * What a public name may not hold, because it is not drawn or is drawn blank, so that two names that
 * look the same could be two channels: whitespace and separators, '/' (it would nest topics), '#',
 * controls, format characters (ZWJ/ZWNJ and bidi controls among them), default-ignorable code points
 * (variation selectors, Hangul fillers, CGJ, tags), the blank braille pattern, the Khitan filler, and
 * private-use characters (drawn as whatever a font puts there).
 */
const NOT_IN_NAME = /[\s\p{Z}/#\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Co}\u2800]|\u{16fe4}/u
const NOT_IN_NAME_ALL = new RegExp(NOT_IN_NAME.source, 'gu')
/** Scripts with many letters alike (a а α, o о ο, p р ρ, x х χ): a public name uses letters of one of them at most. */
const LOOKALIKE_SCRIPTS = [/\p{sc=Latin}/u, /\p{sc=Greek}/u, /\p{sc=Cyrillic}/u]

/**
 * Checks a channel name: `#name`, `geo:<geohash>` or `circle:<32 hex>`, 1..64 bytes of UTF-8 in
 * Unicode NFKC form. A public name holds only characters that are drawn and not blank (see
 * NOT_IN_NAME), never mixes Latin, Greek and Cyrillic letters, and every UI shows it exactly as it is
 * (`displayLine(name) === name`): two names that differ differ on screen, save for whole names of
 * look-alike letters in another script (`#рор`, Cyrillic, and `#pop`). Throws a ProtocolError with code
 * ERR_BAD_CHANNEL saying what is wrong.
 *
 * @example
 * ```ts
 * validateChannel('#lobby')        // ok
 * validateChannel('lobby')         // throws ERR_BAD_CHANNEL
 * validateChannel('#lobby\uFE0F')  // throws ERR_BAD_CHANNEL: a variation selector is drawn as nothing
 * ```
 */
export function validateChannel (channel: string): void {
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new ProtocolError('ERR_BAD_CHANNEL', 'channel name must be a non-empty string')
  }
  const bytes = utf8(channel).byteLength
  if (bytes > MAX_CHANNEL_BYTES) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `channel name is ${bytes} bytes, at most ${MAX_CHANNEL_BYTES} allowed`)
  }
  if (/[\uD800-\uDFFF]/u.test(channel)) {
    throw new ProtocolError('ERR_BAD_CHANNEL', 'channel name holds a lone surrogate (not valid Unicode)')
  }
  if (GEOHASH.test(channel) || CIRCLE.test(channel)) {
    return
  }
  if (!channel.startsWith('#') || channel.length === 1) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": use #name (no spaces or '/'), geo:<geohash> or circle:<32 hex digits>`)
  }
  const hidden = NOT_IN_NAME.exec(channel.slice(1))
  if (hidden !== null) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": ${codePoint(hidden[0])} is a space, '/', '#', or a character drawn as nothing or blank`)
  }
  // compatibility forms (the ligature ﬁ, fullwidth letters) look like the letters they stand for
  const nfkc = channel.normalize('NFKC')
  if (nfkc !== channel) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": not in Unicode NFKC form (write it "${displayLine(nfkc)}")`)
  }
  if (LOOKALIKE_SCRIPTS.filter((script) => script.test(channel)).length > 1) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": mixes Latin, Greek and Cyrillic letters, which look alike (#nеws with a Cyrillic е would pass for #news)`)
  }
  if (displayLine(channel) !== channel) {
    // what is left for the display rule to change: more combining marks on a letter than it shows
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": too many combining marks on one character`)
  }
}

/** A refused name as error messages show it: what a name may not hold escaped, as displayLine escapes what no UI shows (built only on refusal, off the hot path). */
function shownName (channel: string): string {
  return displayLine(channel).replace(NOT_IN_NAME_ALL, (c) => ' #/'.includes(c) ? c : `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`)
}

/** `U+FE0F` for a character. */
function codePoint (c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}

/**
 * Whether a channel is a private circle (its posts are sealed).
 *
 * @example
 * ```ts
 * isCircleChannel('circle:00112233445566778899aabbccddeeff') // true
 * ```
 */
export function isCircleChannel (channel: string): boolean {
  return channel.startsWith('circle:')
}

/**
 * The gossipsub topic of a channel: `murmur/2/<channel>` for public channels,
 * `murmur/2/circle/<hex>` for circles. Validates the channel first.
 *
 * @example
 * ```ts
 * channelTopic('#lobby') // 'murmur/2/#lobby'
 * ```
 */
export function channelTopic (channel: string): string {
  validateChannel(channel)
  return topicOfValidChannel(channel)
}

/** {@link channelTopic} for a channel name already checked by {@link validateChannel}. */
export function topicOfValidChannel (channel: string): string {
  return isCircleChannel(channel)
    ? `${CIRCLE_TOPIC_PREFIX}${channel.slice('circle:'.length)}`
    : `${TOPIC_PREFIX}${channel}`
}

const CIRCLE_TOPIC_PREFIX = `${TOPIC_PREFIX}circle/`

/** Whether a gossip topic is a circle's (its posts are sealed). */
export function isCircleTopic (topic: string): boolean {
  return topic.startsWith(CIRCLE_TOPIC_PREFIX)
}

/**
 * The channel name of a circle: `circle:` + hex of the first 16 bytes of
 * SHA-256("murmur/v2/circle-topic" || circleKey).
 *
 * @example
 * ```ts
 * const channel = circleChannel(circleKey) // 'circle:3f…'
 * ```
 */
export function circleChannel (circleKey: Uint8Array): string {
  return `circle:${toHex(sha256(DOMAIN.circleTopic, circleKey).subarray(0, 16))}`
}
