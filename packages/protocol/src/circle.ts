import { concatBytes, isBytes, utf8 } from './bytes.js'
import { ProtocolError } from './errors.js'
import { randomBytes, sodium } from './sodium.js'
import type { RandomSource } from './ring.js'

const NONCE_BYTES = 24

/**
 * Seals canonical Post bytes for a circle: `nonce(24) || XChaCha20-Poly1305(circleKey, nonce, post, ad = topic)`.
 *
 * @example
 * ```ts
 * const sealed = sealCirclePost(circleKey, topic, encodePost(post))
 * ```
 */
export function sealCirclePost (circleKey: Uint8Array, topic: string, post: Uint8Array, random: RandomSource = randomBytes): Uint8Array {
  if (!isBytes(circleKey, 32)) throw new TypeError('expected a 32-byte circle key')
  const nonce = random(NONCE_BYTES)
  return concatBytes([nonce, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(post, utf8(topic), null, nonce, circleKey)])
}

/**
 * Opens a sealed circle payload; throws ProtocolError ERR_BAD_SEAL when the key, topic or bytes do not match.
 *
 * @example
 * ```ts
 * const postBytes = openCirclePost(circleKey, topic, envelope.post)
 * ```
 */
export function openCirclePost (circleKey: Uint8Array, topic: string, sealed: Uint8Array): Uint8Array {
  if (!isBytes(circleKey, 32)) throw new TypeError('expected a 32-byte circle key')
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(NONCE_BYTES), utf8(topic), sealed.subarray(0, NONCE_BYTES), circleKey)
  } catch {
    throw new ProtocolError('ERR_BAD_SEAL', 'sealed circle payload does not open with this circle key and topic')
  }
}
