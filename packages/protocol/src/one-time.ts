import { isBytes } from './bytes.js'
import { DOMAIN, sha256 } from './hash.js'
import { randomBytes, rethrowNotReady, sodium } from './sodium.js'

/** An Ed25519 key pair used to sign exactly one post (or one author's posts in one thread). */
export interface OneTimeKey {
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** 64-byte libsodium secret key (seed || public key). */
  secretKey: Uint8Array
}

/**
 * The Ed25519 key pair of a 32-byte seed (a fresh random seed when omitted).
 *
 * @example
 * ```ts
 * const key = oneTimeKey()                                  // fresh, unlinkable
 * const nym = oneTimeKey(threadPseudonymSeed(author.secretKey, root)) // per-thread pseudonym
 * ```
 */
export function oneTimeKey (seed: Uint8Array = randomBytes(32)): OneTimeKey {
  if (!isBytes(seed, 32)) throw new TypeError('expected a 32-byte Ed25519 seed')
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed)
  return { publicKey, secretKey: privateKey }
}

/**
 * A pseudonym seed `SHA-256("murmur/v2/nym" || x || thread)` for a 32-byte thread value: the content
 * digest of the root for its own author (known before the root is signed), the root's id for everyone
 * else. Use {@link threadPseudonymSeed} to reply; this is the primitive it and the root's builder share.
 *
 * @example
 * ```ts
 * await buildEnvelope({ channel: '#lobby', body: 'new thread', auth: { kind: 'one-time', seed: (content) => pseudonymSeed(x, content) } })
 * ```
 */
export function pseudonymSeed (authorSecretKey: Uint8Array, thread: Uint8Array): Uint8Array {
  if (!isBytes(authorSecretKey, 32)) throw new TypeError('expected a 32-byte author secret key')
  if (!isBytes(thread, 32)) throw new TypeError('expected a 32-byte thread value (content digest or root id)')
  return sha256(DOMAIN.nym, authorSecretKey, thread)
}

/**
 * Ed25519 signature of a signed digest.
 *
 * @example
 * ```ts
 * const signature = signOneTime(id, oneTimeKey().secretKey)
 * ```
 */
export function signOneTime (digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(digest, secretKey)
}

/**
 * Verifies an Ed25519 signature; false on any malformed input, never throws.
 *
 * @example
 * ```ts
 * verifyOneTime(id, publicKey, signature) // boolean
 * ```
 */
export function verifyOneTime (digest: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (!isBytes(publicKey, 32) || !isBytes(signature, 64)) return false
  try {
    return sodium.crypto_sign_verify_detached(signature, digest, publicKey)
  } catch (err) {
    rethrowNotReady(err)
    return false
  }
}
