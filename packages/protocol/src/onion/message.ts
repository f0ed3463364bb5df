/**
 * What a Murmur onion carries to its exit: a gossip message to publish (topic and data), or a loop, a
 * cover packet that comes back to its sender and is dropped there.
 */
import { concatBytes, utf8 } from '../bytes.js'
import { ONION_MAX_MESSAGE_BYTES } from './constants.js'
import { OnionError } from './errors.js'

/** Bytes of a loop's id. */
export const ONION_LOOP_ID_BYTES = 16

/** An exit message: publish `data` on gossip topic `topic`, or a loop identified by `id`. */
export type OnionMessage =
  | { kind: 'publish', topic: string, data: Uint8Array }
  | { kind: 'loop', id: Uint8Array }

const PUBLISH = 1
const LOOP = 2
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Largest data of a publish message on `topic`. */
export function maxOnionData (topic: string): number {
  return ONION_MAX_MESSAGE_BYTES - 2 - utf8(topic).byteLength
}

/**
 * The bytes of an exit message. Throws OnionError ERR_ONION_PATH when it does not fit an onion packet
 * (a topic over 255 bytes, data over {@link maxOnionData}, a loop id not of 16 bytes).
 *
 * @example
 * ```ts
 * wrapOnion({ hops, message: encodeOnionMessage({ kind: 'publish', topic, data: envelope }) })
 * ```
 */
export function encodeOnionMessage (message: OnionMessage): Uint8Array {
  if (message.kind === 'loop') {
    if (message.id.byteLength !== ONION_LOOP_ID_BYTES) throw new OnionError('ERR_ONION_PATH', `expected a ${ONION_LOOP_ID_BYTES}-byte loop id`)
    return concatBytes([Uint8Array.of(LOOP), message.id])
  }
  const topic = utf8(message.topic)
  if (topic.byteLength === 0 || topic.byteLength > 255) throw new OnionError('ERR_ONION_PATH', `expected a topic of 1 to 255 bytes, got ${topic.byteLength}`)
  if (message.data.byteLength > maxOnionData(message.topic)) {
    throw new OnionError('ERR_ONION_PATH', `${message.data.byteLength} bytes of data do not fit an onion packet (at most ${maxOnionData(message.topic)})`)
  }
  return concatBytes([Uint8Array.of(PUBLISH, topic.byteLength), topic, message.data])
}

/**
 * The exit message of `bytes`, or undefined when they are not one (an unknown kind, a cut topic, a topic
 * not UTF-8, a loop id of the wrong size): the exit drops such a packet (ERR_ONION_PAYLOAD).
 *
 * @example
 * ```ts
 * const message = decodeOnionMessage(opened.message)
 * if (message?.kind === 'publish') await intake(message.topic, message.data)
 * ```
 */
export function decodeOnionMessage (bytes: Uint8Array): OnionMessage | undefined {
  if (bytes[0] === LOOP) {
    return bytes.byteLength === 1 + ONION_LOOP_ID_BYTES ? { kind: 'loop', id: bytes.slice(1) } : undefined
  }
  if (bytes[0] !== PUBLISH || bytes.byteLength < 2) return undefined
  const end = 2 + bytes[1]!
  if (bytes[1] === 0 || end > bytes.byteLength) return undefined
  try {
    return { kind: 'publish', topic: decoder.decode(bytes.subarray(2, end)), data: bytes.slice(end) }
  } catch {
    return undefined
  }
}
