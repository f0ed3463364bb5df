/**
 * The stem frame: what one length-prefixed message on `/murmur/stem/3.0.0` carries. The envelope alone
 * does not name its topic (a circle post is sealed), so the frame does, and whether the receiver is to
 * publish the post (its sender ended the post's stem, see `HAND_OFF`):
 *
 * ```
 * frame = flags (1 byte: bit 0 publish, the others 0) || topicLength (1 byte, 1..255) || topic (UTF-8)
 *         || envelope (1..MAX_ENVELOPE_BYTES bytes)
 * ```
 *
 * On the stream every frame is preceded by its length as an unsigned varint (it-length-prefixed).
 */
import { MAX_ENVELOPE_BYTES } from '@murmur/protocol'
import { MAX_TOPIC_BYTES } from './constants.js'
import { InvalidStemFrameError } from './errors.js'

/** A decoded stem frame. */
export interface StemFrame {
  topic: string
  envelope: Uint8Array
  /** The sender ended the post's stem: the receiver publishes it. @default false */
  publish?: boolean
}

/** Bit 0 of the flags byte. */
const PUBLISH = 0x01

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Encodes a stem frame (without the length prefix).
 *
 * @example
 * ```ts
 * const bytes = encodeStemFrame({ topic: 'murmur/2/#lobby', envelope })
 * ```
 */
export function encodeStemFrame (frame: StemFrame): Uint8Array {
  const topic = encoder.encode(frame.topic)
  if (topic.length === 0 || topic.length > MAX_TOPIC_BYTES) {
    throw new RangeError(`expected a topic of 1..${MAX_TOPIC_BYTES} bytes, got ${topic.length}`)
  }
  if (frame.envelope.length === 0 || frame.envelope.length > MAX_ENVELOPE_BYTES) {
    throw new RangeError(`expected an envelope of 1..${MAX_ENVELOPE_BYTES} bytes, got ${frame.envelope.length}`)
  }
  const out = new Uint8Array(2 + topic.length + frame.envelope.length)
  out[0] = frame.publish === true ? PUBLISH : 0
  out[1] = topic.length
  out.set(topic, 2)
  out.set(frame.envelope, 2 + topic.length)
  return out
}

/**
 * Decodes a stem frame received from the network; throws {@link InvalidStemFrameError} on bad bytes
 * (unknown flags included: a later version marks a new meaning with a new protocol id, not a flag).
 *
 * @example
 * ```ts
 * const { topic, envelope, publish } = decodeStemFrame(bytes)
 * ```
 */
export function decodeStemFrame (bytes: Uint8Array): Required<StemFrame> {
  const flags = bytes[0] ?? 0
  if ((flags & ~PUBLISH) !== 0) {
    throw new InvalidStemFrameError(`stem frame with unknown flags 0x${flags.toString(16)}`)
  }
  const topicLength = bytes[1] ?? 0
  if (topicLength === 0) {
    throw new InvalidStemFrameError('stem frame without a topic')
  }
  const envelopeLength = bytes.length - 2 - topicLength
  if (envelopeLength < 1) {
    throw new InvalidStemFrameError(`stem frame of ${bytes.length} bytes cannot hold a ${topicLength}-byte topic and an envelope`)
  }
  if (envelopeLength > MAX_ENVELOPE_BYTES) {
    throw new InvalidStemFrameError(`stem envelope of ${envelopeLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  }
  let topic: string
  try {
    topic = decoder.decode(bytes.subarray(2, 2 + topicLength))
  } catch {
    throw new InvalidStemFrameError('stem frame topic is not UTF-8')
  }
  return { topic, envelope: bytes.slice(2 + topicLength), publish: (flags & PUBLISH) !== 0 }
}
