import { concatBytes, isBytes, u32be, utf8 } from './bytes.js'
import { ProtocolError } from './errors.js'
import { DOMAIN } from './hash.js'
import { randomBytes, rethrowNotReady, sodium } from './sodium.js'
import type { RandomSource } from './ring.js'

/** Bytes of the XChaCha20 nonce in front of a sealed circle payload. */
export const NONCE_BYTES = 24

/**
 * {@link sealCirclePost} with an injected source for the hedging randomness. Not exported from the
 * package: only the test vectors, which must be reproducible, use it.
 */
export function sealWithRandom (circleKey: Uint8Array, topic: string, post: Uint8Array, random: RandomSource): Uint8Array {
  if (!isBytes(circleKey, 32)) throw new TypeError('expected a 32-byte circle key')
  const ad = utf8(topic)
  // Hedged nonce: keyed by the circle key over fresh randomness, the topic and the plaintext. A broken or
  // repeating generator can then repeat a nonce only for the same key, topic and plaintext, which gives
  // the same ciphertext (it shows that two seals are equal, nothing more).
  const nonce = sodium.crypto_generichash(NONCE_BYTES, concatBytes([DOMAIN.sealNonce, random(32), u32be(ad.byteLength), ad, post]), circleKey)
  return concatBytes([nonce, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(post, ad, null, nonce, circleKey)])
}

/**
 * Seals canonical Post bytes for a circle: `nonce(24) || XChaCha20-Poly1305(circleKey, nonce, post, ad = topic)`,
 * with a hedged nonce (BLAKE2b keyed by the circle key over fresh randomness, topic and plaintext).
 *
 * @example
 * ```ts
 * const sealed = sealCirclePost(circleKey, topic, encodePost(post))
 * ```
 */
export function sealCirclePost (circleKey: Uint8Array, topic: string, post: Uint8Array): Uint8Array {
  return sealWithRandom(circleKey, topic, post, randomBytes)
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
  } catch (err) {
    rethrowNotReady(err)
    throw new ProtocolError('ERR_BAD_SEAL', 'sealed circle payload does not open with this circle key and topic')
  }
}
