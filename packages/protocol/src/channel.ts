import { MAX_CHANNEL_BYTES, TOPIC_PREFIX } from './constants.js'
import { ProtocolError } from './errors.js'
import { toHex, utf8 } from './bytes.js'
import { DOMAIN, sha256 } from './hash.js'
import { displayLine } from './display.js'
import { charsetFault, type CharsetFault } from './channel-charset.js'

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
/** Code points escaped in error messages besides NOT_IN_NAME's: unassigned ones and noncharacters, which no font draws. */
const NOT_A_CHARACTER_ALL = /[\p{Cn}\p{Noncharacter_Code_Point}]/gu

/**
 * Checks a channel name: `#name`, `geo:<geohash>` or `circle:<32 hex>`, 1..64 bytes of UTF-8 in
 * Unicode NFKC form. A public name follows the Unicode Security Mechanisms (UTS #39) over tables of
 * Unicode 17.0.0 that every engine shares (channel-table.ts): only characters of Identifier_Status
 * Allowed (letters, marks and digits in common use, `-`, `_`, `.`, `:`, `'`, `·`: no emoji, symbol,
 * space, control, invisible, unassigned or technical character, nor the apostrophes ’ ʼ ʻ and the
 * hyphen ‐ that pass for ' and -), one script or Latin with Han, kana or Hangul (the "highly
 * restrictive" level), digits of one number system, no nonspacing mark that adds nothing visible;
 * and every UI shows it exactly as it is (`displayLine(name) === name`).
 * Nor may it be written wholly in letters of another script that pass for Latin letters or digits
 * (`#рор`, Cyrillic, for `#pop`). Two valid names that differ differ on screen, save for the few
 * look-alikes within one script (`#Iobby`, capital i, and `#lobby`; `#ıslak` and `#islak`). Throws a ProtocolError with code ERR_BAD_CHANNEL saying what is
 * wrong.
 *
 * @example
 * ```ts
 * validateChannel('#lobby')           // ok
 * validateChannel('#日本語とEnglish')  // ok: Latin with Han and kana
 * validateChannel('lobby')            // throws ERR_BAD_CHANNEL
 * validateChannel('#lobby\uFE0F')     // throws ERR_BAD_CHANNEL: a variation selector is drawn as nothing
 * validateChannel('#l\u0585bby')      // throws ERR_BAD_CHANNEL: an Armenian oh among Latin letters
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
  const fault = charsetFault(channel.slice(1))
  if (fault !== undefined) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": ${faultText(fault)}`)
  }
  if (displayLine(channel) !== channel) {
    // what is left for the display rule to change: more combining marks on a letter than it shows
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${shownName(channel)}": too many combining marks on one character`)
  }
}

/** A refused name as error messages show it: what a name may not hold escaped, as displayLine escapes what no UI shows (built only on refusal, off the hot path). */
function shownName (channel: string): string {
  return displayLine(channel)
    .replace(NOT_IN_NAME_ALL, (c) => ' #/'.includes(c) ? c : escaped(c))
    .replace(NOT_A_CHARACTER_ALL, escaped)
}

/** `\u{378}` for a character. */
function escaped (c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`
}

/** What an error message says of a name's fault against UTS #39. */
function faultText (fault: CharsetFault): string {
  const at = codePoint(fault.codePoint)
  switch (fault.rule) {
    case 'character':
      return `${at} is not a character names may hold (UTS #39 Identifier_Status: only letters, marks and digits in common use, '-', '_', '.', ':', ''' and '·')`
    case 'look-alike':
      return `${at} passes for ${codePoint(fault.of)} ("${String.fromCodePoint(fault.of)}"): write that instead`
    case 'script':
      return `${at} is of another script than the letters before it (a name keeps to one script, or mixes Latin only with Han, kana or Hangul)`
    case 'digits':
      return `${at} is a digit of another number system than ${codePoint(fault.first)}`
    case 'whole-script':
      return `written wholly in letters that pass for Latin letters or digits, as ${at} does, so it would pass for a Latin name`
    case 'mark':
      return fault.codePoint === 0x307
        ? `${at} on a letter drawn with a dot already, or on a dotless i`
        : `${at} twice in a row on one letter, drawn as one`
  }
}

/** `U+FE0F` for a character or code point. */
function codePoint (c: string | number): string {
  const code = typeof c === 'number' ? c : c.codePointAt(0) ?? 0
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
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
