import { MAX_CHANNEL_BYTES, TOPIC_PREFIX } from './constants.js'
import { ProtocolError } from './errors.js'
import { toHex, utf8 } from './bytes.js'
import { DOMAIN, sha256 } from './hash.js'

const GEOHASH = /^geo:[0-9bcdefghjkmnpqrstuvwxyz]{1,12}$/
const CIRCLE = /^circle:[0-9a-f]{32}$/
// A public name: anything printable except whitespace, '/' (it would nest topics) and '#'.
const PUBLIC = /^#[^\s/#\p{Cc}\p{Cf}]+$/u

/**
 * Checks a channel name: `#name`, `geo:<geohash>` or `circle:<32 hex>`, 1..64 bytes of NFC UTF-8.
 * Throws a ProtocolError with code ERR_BAD_CHANNEL saying what is wrong.
 *
 * @example
 * ```ts
 * validateChannel('#lobby')     // ok
 * validateChannel('lobby')      // throws ERR_BAD_CHANNEL
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
  if (channel.normalize('NFC') !== channel) {
    throw new ProtocolError('ERR_BAD_CHANNEL', 'channel name must be in Unicode NFC form')
  }
  if (!PUBLIC.test(channel) && !GEOHASH.test(channel) && !CIRCLE.test(channel)) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name "${channel}": use #name (no spaces or '/'), geo:<geohash> or circle:<32 hex digits>`)
  }
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
