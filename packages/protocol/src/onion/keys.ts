/**
 * The key schedule of an onion hop: a mix key pair on ristretto255, the Diffie-Hellman secret a hop
 * shares with the sender, and the keys, tag and blinding factor derived from it with BLAKE2b under
 * domain strings. Every primitive is libsodium's.
 */
import { concatBytes, utf8 } from '../bytes.js'
import { sodium } from '../sodium.js'
import { MIX_KEY_BYTES, ONION_MAC_BYTES, ONION_TAG_BYTES } from './constants.js'

/** A mix's key pair: a ristretto255 scalar and its public point. */
export interface MixKey {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

const LABELS = Object.freeze({
  header: utf8('murmur/v1/mix/header'),
  payload: utf8('murmur/v1/mix/payload'),
  mac: utf8('murmur/v1/mix/mac'),
  tag: utf8('murmur/v1/mix/tag'),
  blind: utf8('murmur/v1/mix/blind'),
  key: utf8('murmur/v1/mix/key')
})

/** XChaCha20's nonce: all zero, as every key it is used with is derived for one packet and one hop. */
const ZERO_NONCE = new Uint8Array(24)

/**
 * A fresh mix key pair (from libsodium's CSPRNG), or the one derived from `seed` (test vectors).
 *
 * @example
 * ```ts
 * const { publicKey } = generateMixKey() // 32 bytes, published for senders to wrap packets to
 * ```
 */
export function generateMixKey (seed?: Uint8Array): MixKey {
  const secretKey = seed === undefined
    ? sodium.crypto_core_ristretto255_scalar_random()
    : sodium.crypto_core_ristretto255_scalar_reduce(sodium.crypto_generichash(64, concatBytes([LABELS.key, seed]), null))
  return { secretKey, publicKey: sodium.crypto_scalarmult_ristretto255_base(secretKey) }
}

/** Whether `key` is a valid mix public key: 32 bytes encoding a ristretto255 point. */
export function isMixPublicKey (key: unknown): key is Uint8Array {
  return key instanceof Uint8Array && key.byteLength === MIX_KEY_BYTES && sodium.crypto_core_ristretto255_is_valid_point(key)
}

/** What one hop derives from the secret it shares with the sender. */
export interface HopKeys {
  /** XChaCha20 key of β. */
  header: Uint8Array
  /** XChaCha20 key of δ. */
  payload: Uint8Array
  /** BLAKE2b key of γ. */
  mac: Uint8Array
  /** The replay tag: the same for every copy of this packet at this hop. */
  tag: Uint8Array
}

/** `g^scalar` or `point^scalar`; undefined when the result is the identity (libsodium refuses it). */
export function scalarMult (scalar: Uint8Array, point?: Uint8Array): Uint8Array | undefined {
  try {
    return point === undefined ? sodium.crypto_scalarmult_ristretto255_base(scalar) : sodium.crypto_scalarmult_ristretto255(scalar, point)
  } catch {
    return undefined
  }
}

const derive = (label: Uint8Array, secret: Uint8Array, length = 32): Uint8Array =>
  sodium.crypto_generichash(length, concatBytes([label, secret]), null)

/** The keys and replay tag of the hop whose shared secret is `secret`. */
export function hopKeys (secret: Uint8Array): HopKeys {
  return {
    header: derive(LABELS.header, secret),
    payload: derive(LABELS.payload, secret),
    mac: derive(LABELS.mac, secret),
    tag: derive(LABELS.tag, secret, ONION_TAG_BYTES)
  }
}

/** The blinding scalar b = H(α ‖ s) that turns this hop's α into the next hop's: α' = α^b. */
export function blinding (alpha: Uint8Array, secret: Uint8Array): Uint8Array {
  return sodium.crypto_core_ristretto255_scalar_reduce(sodium.crypto_generichash(64, concatBytes([LABELS.blind, alpha, secret]), null))
}

/** Product of two scalars mod the group order. */
export const scalarMul = (a: Uint8Array, b: Uint8Array): Uint8Array => sodium.crypto_core_ristretto255_scalar_mul(a, b)

/** `length` bytes of XChaCha20 keystream under `key`. */
export function keystream (key: Uint8Array, length: number): Uint8Array {
  return sodium.crypto_stream_xchacha20_xor(new Uint8Array(length), ZERO_NONCE, key)
}

/** `data` XOR the XChaCha20 keystream under `key` (from its first byte), in one libsodium call. */
export function streamXor (key: Uint8Array, data: Uint8Array): Uint8Array {
  return sodium.crypto_stream_xchacha20_xor(data, ZERO_NONCE, key)
}

/** γ: the keyed BLAKE2b MAC over β ‖ δ. */
export function mac (key: Uint8Array, beta: Uint8Array, delta: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(ONION_MAC_BYTES, concatBytes([beta, delta]), key)
}

/** `a` XOR `b` (the length of `a`; `b` at least as long). */
export function xor (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength)
  for (let i = 0; i < a.byteLength; i++) out[i] = a[i]! ^ b[i]!
  return out
}
