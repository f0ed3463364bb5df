import { utf8 } from './bytes.js'
import { MAX_ENVELOPE_BYTES } from './constants.js'
import { DOMAIN, sha256 } from './hash.js'
import { Envelope } from './wire/murmur.js'

const ZERO = new Uint8Array([0])

/**
 * The signed digest `SHA-256("murmur/v2/sig" || topic || 0x00 || post)`. It is also the post id.
 *
 * @example
 * ```ts
 * const id = signedDigest('murmur/2/#lobby', envelope.post)
 * ```
 */
export function signedDigest (topic: string, post: Uint8Array): Uint8Array {
  return sha256(DOMAIN.sig, utf8(topic), ZERO, post)
}

/**
 * The gossipsub message id of raw message data: the post id when the envelope decodes, else
 * SHA-256 of the raw data (such messages are then rejected by the validator).
 *
 * @example
 * ```ts
 * gossipsub({ msgIdFn: (msg) => messageId(msg.topic, msg.data) })
 * ```
 */
export function messageId (topic: string, data: Uint8Array): Uint8Array {
  if (data.byteLength <= MAX_ENVELOPE_BYTES) {
    try {
      return signedDigest(topic, Envelope.decode(data).post)
    } catch {
      // not an envelope: fall through to the raw hash
    }
  }
  return sha256(data)
}
