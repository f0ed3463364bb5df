import { compareBytes, concatBytes, equalBytes, isBytes } from './bytes.js'
import { MAX_RING_SIZE } from './constants.js'
import { DOMAIN, sha256, sha512 } from './hash.js'
import { randomBytes, sodium } from './sodium.js'

/** A source of random bytes; injectable only to produce fixed test vectors. */
export type RandomSource = (length: number) => Uint8Array

/** An author identity: a ristretto255 scalar and its public point. */
export interface AuthorKey {
  /** 32-byte canonical scalar x. */
  secretKey: Uint8Array
  /** 32-byte ristretto255 encoding of X = x·G. */
  publicKey: Uint8Array
}

/** Inputs of {@link ringSign}. */
export interface RingSignInput {
  /** The signed digest m. */
  message: Uint8Array
  /** Member public keys, strictly ascending, including the signer's. */
  ring: Uint8Array[]
  /** The signer's 32-byte scalar. */
  secretKey: Uint8Array
  /** Link-tag scope bytes (see postScope / voteScope). */
  scope: Uint8Array
  /** Randomness for α and the s_i, in that order; defaults to libsodium's CSPRNG. */
  random?: RandomSource
}

/** A bLSAG signature with its scoped link tag. */
export interface RingSignature {
  c0: Uint8Array
  s: Uint8Array[]
  tag: Uint8Array
}

/** Inputs of {@link ringVerify}. */
export interface RingVerifyInput extends RingSignature {
  message: Uint8Array
  ring: Uint8Array[]
  scope: Uint8Array
}

const IDENTITY = new Uint8Array(32)
// ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
const ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
])

/**
 * Whether 32 bytes are a canonical scalar (little-endian value < ℓ).
 *
 * @example
 * ```ts
 * isCanonicalScalar(signature.c0) // true for every scalar a signer produces
 * ```
 */
export function isCanonicalScalar (s: unknown): s is Uint8Array {
  // libsodium's compare reads both as little-endian numbers in constant time (the scalar may be secret)
  return isBytes(s, 32) && sodium.compare(s, ORDER) < 0
}

/**
 * Whether 32 bytes are a valid ristretto255 encoding (the identity included).
 *
 * @example
 * ```ts
 * isValidPoint(generateAuthorKey().publicKey) // true
 * ```
 */
export function isValidPoint (p: unknown): p is Uint8Array {
  return isBytes(p, 32) && sodium.crypto_core_ristretto255_is_valid_point(p)
}

/**
 * `Hs(b) = scalar_reduce(SHA-512("murmur/v1/hs" || b))`.
 *
 * @example
 * ```ts
 * const c = hashToScalar(message, ringDigest, scope, tag, L, R)
 * ```
 */
export function hashToScalar (...parts: Uint8Array[]): Uint8Array {
  return sodium.crypto_core_ristretto255_scalar_reduce(sha512(DOMAIN.hs, ...parts))
}

/**
 * `Hp(b) = ristretto255_from_hash(SHA-512("murmur/v1/hp" || b))`.
 *
 * @example
 * ```ts
 * const H = hashToPoint(voteScope(parentId))
 * ```
 */
export function hashToPoint (b: Uint8Array): Uint8Array {
  return sodium.crypto_core_ristretto255_from_hash(sha512(DOMAIN.hp, b))
}

// libsodium refuses to return the identity; the bLSAG equations need it as an ordinary value.
function mul (scalar: Uint8Array, point: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_scalarmult_ristretto255(scalar, point)
  } catch {
    return IDENTITY
  }
}

function mulBase (scalar: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_scalarmult_ristretto255_base(scalar)
  } catch {
    return IDENTITY
  }
}

const add = (a: Uint8Array, b: Uint8Array): Uint8Array => sodium.crypto_core_ristretto255_add(a, b)

/** The scalar reduced from 64 random bytes. */
function randomScalar (random: RandomSource): Uint8Array {
  return sodium.crypto_core_ristretto255_scalar_reduce(random(64))
}

/**
 * Generates an author identity: a random ristretto255 scalar x and X = x·G.
 *
 * @example
 * ```ts
 * const { secretKey, publicKey } = generateAuthorKey()
 * ```
 */
export function generateAuthorKey (random: RandomSource = randomBytes): AuthorKey {
  for (;;) {
    const secretKey = randomScalar(random)
    if (!sodium.is_zero(secretKey)) {
      return { secretKey, publicKey: sodium.crypto_scalarmult_ristretto255_base(secretKey) }
    }
  }
}

/**
 * The public key of an author secret key; throws a RangeError if it is not a canonical non-zero scalar.
 *
 * @example
 * ```ts
 * authorPublicKey(secretKey) // 32-byte ristretto255 point
 * ```
 */
export function authorPublicKey (secretKey: Uint8Array): Uint8Array {
  if (!isCanonicalScalar(secretKey) || sodium.is_zero(secretKey)) {
    throw new RangeError('expected a 32-byte canonical non-zero scalar as secret key')
  }
  return sodium.crypto_scalarmult_ristretto255_base(secretKey)
}

/** Why a ring is unusable, or undefined when it is well formed. */
export function ringProblem (ring: unknown): string | undefined {
  if (!Array.isArray(ring)) return 'ring must be an array'
  if (ring.length < 1 || ring.length > MAX_RING_SIZE) return `ring must have 1..${MAX_RING_SIZE} members, got ${ring.length}`
  const members: unknown[] = ring
  for (let i = 0; i < members.length; i++) {
    const member = members[i]
    if (!isValidPoint(member)) return `ring member ${i} is not a valid ristretto255 point`
    if (sodium.is_zero(member)) return `ring member ${i} is the identity point`
    if (i > 0 && compareBytes(members[i - 1] as Uint8Array, member) >= 0) return 'ring must be strictly ascending (sorted, no duplicates)'
  }
  return undefined
}

/** Precomputes everything of the challenge hash that does not change around the ring. */
function challenger (message: Uint8Array, ring: Uint8Array[], scope: Uint8Array, tag: Uint8Array): (L: Uint8Array, R: Uint8Array) => Uint8Array {
  const prefix = concatBytes([message, sha256(...ring), scope, tag])
  return (L, R) => hashToScalar(prefix, L, R)
}

/**
 * Signs `message` with a bLSAG ring signature over `ring` whose link tag `x·Hp(scope)` is the same for
 * every signature of one key in one scope. Throws a RangeError/TypeError on unusable input.
 *
 * @example
 * ```ts
 * const sig = ringSign({ message: id, ring: [a.publicKey, b.publicKey].sort(compare), secretKey: a.secretKey, scope: voteScope(parent) })
 * ```
 */
export function ringSign ({ message, ring, secretKey, scope, random = randomBytes }: RingSignInput): RingSignature {
  if (!isBytes(message)) throw new TypeError('expected message bytes')
  if (!isBytes(scope)) throw new TypeError('expected scope bytes')
  const problem = ringProblem(ring)
  if (problem !== undefined) throw new RangeError(problem)
  const publicKey = authorPublicKey(secretKey)
  const pi = ring.findIndex((member) => equalBytes(member, publicKey))
  if (pi < 0) throw new RangeError("the signer's public key is not in the ring")

  const n = ring.length
  const H = hashToPoint(scope)
  const tag = sodium.crypto_scalarmult_ristretto255(secretKey, H)
  const hc = challenger(message, ring, scope, tag)
  const c: Uint8Array[] = new Array(n)
  const s: Uint8Array[] = new Array(n)

  const alpha = randomScalar(random)
  c[(pi + 1) % n] = hc(mulBase(alpha), mul(alpha, H))
  for (let k = 1; k < n; k++) {
    const i = (pi + k) % n
    const si = randomScalar(random)
    s[i] = si
    c[(i + 1) % n] = hc(add(mulBase(si), mul(c[i]!, ring[i]!)), add(mul(si, H), mul(c[i]!, tag)))
  }
  s[pi] = sodium.crypto_core_ristretto255_scalar_sub(alpha, sodium.crypto_core_ristretto255_scalar_mul(c[pi]!, secretKey))
  return { c0: c[0]!, s, tag }
}

/**
 * Verifies a bLSAG ring signature and its scoped link tag. Never throws: any malformed input is `false`.
 *
 * @example
 * ```ts
 * if (ringVerify({ message: id, ring, scope, c0, s, tag })) { … }
 * ```
 */
export function ringVerify (input: RingVerifyInput): boolean {
  try {
    const { message, ring, scope, s } = input
    if (!isBytes(message) || !isBytes(scope)) return false
    if (ringProblem(ring) !== undefined) return false
    if (!Array.isArray(s) || s.length !== ring.length) return false
    return verifyOverCheckedRing(input)
  } catch {
    return false
  }
}

/**
 * {@link ringVerify} for a caller that has already checked the ring's structure ({@link ringProblem})
 * and that `s` has one response per member, so no point of the ring is decoded twice. Never throws.
 */
export function verifyOverCheckedRing (input: RingVerifyInput): boolean {
  try {
    const { message, ring, scope, c0, s, tag } = input
    if (!isValidPoint(tag) || equalBytes(tag, IDENTITY)) return false
    if (!isCanonicalScalar(c0) || !s.every(isCanonicalScalar)) return false

    const H = hashToPoint(scope)
    const hc = challenger(message, ring, scope, tag)
    let c = c0
    for (let i = 0; i < ring.length; i++) {
      c = hc(add(mulBase(s[i]!), mul(c, ring[i]!)), add(mul(s[i]!, H), mul(c, tag)))
    }
    return equalBytes(c, c0)
  } catch {
    return false
  }
}

