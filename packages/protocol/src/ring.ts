import { compareBytes, concatBytes, equalBytes, isBytes, u32be, utf8 } from './bytes.js'
import { MAX_RING_SIZE } from './constants.js'
import { DOMAIN, sha256, sha512 } from './hash.js'
import { randomBytes, rethrowNotReady, sodium } from './sodium.js'

/** A source of random bytes; injectable only to produce fixed test vectors. */
export type RandomSource = (length: number) => Uint8Array

/** An author identity: a ristretto255 scalar and its public point. */
export interface AuthorKey {
  /** 32-byte canonical scalar x. */
  secretKey: Uint8Array
  /** 32-byte ristretto255 encoding of X = x·G. */
  publicKey: Uint8Array
}

/** Most link tags one ring signature binds (one key image per scope). */
export const MAX_LINK_TAGS = 4

/** Inputs of {@link ringSign}. */
export interface RingSignInput {
  /** The signed digest m. */
  message: Uint8Array
  /** Member public keys, strictly ascending, including the signer's. */
  ring: Uint8Array[]
  /** The signer's 32-byte scalar. */
  secretKey: Uint8Array
  /**
   * Link-tag scopes (see postScope / voteScope), 1..{@link MAX_LINK_TAGS}, pairwise distinct: the
   * signature carries one tag `x·Hp(scope)` per scope, all bound to the same key.
   */
  scopes: Uint8Array[]
}

/** A bLSAG signature with one scoped link tag per scope. */
export interface RingSignature {
  c0: Uint8Array
  s: Uint8Array[]
  /** `tags[j] = x·Hp(scopes[j])`. */
  tags: Uint8Array[]
}

/** Inputs of {@link ringVerify}. */
export interface RingVerifyInput extends RingSignature {
  message: Uint8Array
  ring: Uint8Array[]
  scopes: Uint8Array[]
}

const IDENTITY = new Uint8Array(32)

/** Domain of the hedged nonce seed (see nonceStream). */
const NONCE_DOMAIN = utf8('murmur/v2/ring-nonce')
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
 * `Hs(b) = scalar_reduce(SHA-512("murmur/v2/hs" || b))`.
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
 * `Hp(b) = ristretto255_from_hash(SHA-512("murmur/v2/hp" || b))`.
 *
 * @example
 * ```ts
 * const H = hashToPoint(voteScope(parentId))
 * ```
 */
export function hashToPoint (b: Uint8Array): Uint8Array {
  return sodium.crypto_core_ristretto255_from_hash(sha512(DOMAIN.hp, b))
}

// libsodium refuses to return the identity. In a prime-order group a product is the identity exactly
// when the scalar is zero or the point is the identity, so those two cases are answered here and any
// other libsodium failure (an invalid point) is thrown as the error it is.
function mul (scalar: Uint8Array, point: Uint8Array): Uint8Array {
  if (sodium.is_zero(scalar) || sodium.is_zero(point)) return IDENTITY
  return sodium.crypto_scalarmult_ristretto255(scalar, point)
}

function mulBase (scalar: Uint8Array): Uint8Array {
  if (sodium.is_zero(scalar)) return IDENTITY
  return sodium.crypto_scalarmult_ristretto255_base(scalar)
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

/** Why a list of scopes cannot be signed over, or undefined when it is usable. */
function scopesProblem (scopes: unknown): string | undefined {
  if (!Array.isArray(scopes) || scopes.length < 1 || scopes.length > MAX_LINK_TAGS) return `expected 1..${MAX_LINK_TAGS} scopes`
  const list: unknown[] = scopes
  if (!list.every((scope) => isBytes(scope))) return 'expected scope bytes'
  for (let j = 1; j < list.length; j++) {
    for (let i = 0; i < j; i++) {
      if (equalBytes(list[i] as Uint8Array, list[j] as Uint8Array)) return 'scopes must be distinct'
    }
  }
  return undefined
}

/** What the signature commits to besides the tags: `m || ringdigest || u32be(k) || (u32be(len S_j) || S_j)_j`. */
function signedContext (message: Uint8Array, ring: Uint8Array[], scopes: Uint8Array[]): Uint8Array {
  return concatBytes([message, sha256(...ring), u32be(scopes.length), ...scopes.flatMap((scope) => [u32be(scope.byteLength), scope])])
}

/**
 * The challenge hash of one ring position, everything that does not change around the ring precomputed:
 * `Hs(context || I_1..I_k || L || R_1..R_k)`.
 */
function challenger (context: Uint8Array, tags: Uint8Array[]): (L: Uint8Array, R: Uint8Array[]) => Uint8Array {
  const prefix = concatBytes([context, ...tags])
  return (L, R) => hashToScalar(prefix, L, ...R)
}

/**
 * Where the signer's nonces come from: a seed hashed from the secret key, everything signed, and 32 fresh
 * random bytes (hedged, as in RFC 8032 and draft-irtf-cfrg-det-sigs-with-noise). Two signatures share a
 * nonce only if they sign the same message over the same ring and scopes with the same key and the
 * generator repeats too — and then they are the same signature. A repeated or broken generator alone
 * can no longer reveal the key.
 */
function nonceStream (secretKey: Uint8Array, context: Uint8Array, random: RandomSource): () => Uint8Array {
  const seed = sha512(NONCE_DOMAIN, secretKey, context, random(32))
  let counter = 0
  return () => sodium.crypto_core_ristretto255_scalar_reduce(sha512(seed, u32be(counter++)))
}

/**
 * Signs `message` with a bLSAG ring signature over `ring` carrying one link tag `x·Hp(scope)` per scope:
 * the same for every signature of one key in one scope, unlinkable across scopes. Nonces are hedged
 * (derived from the key, the signed data and fresh randomness). Throws a RangeError/TypeError on
 * unusable input.
 *
 * @example
 * ```ts
 * const sig = ringSign({ message: id, ring: [a.publicKey, b.publicKey].sort(compareBytes), secretKey: a.secretKey, scopes: [voteScope(parent)] })
 * ```
 */
export function ringSign (input: RingSignInput): RingSignature {
  return ringSignWithRandom(input, randomBytes)
}

/**
 * {@link ringSign} with an injected source for the hedging randomness. Not exported from the package:
 * only the test vectors, which must be reproducible, use it.
 */
export function ringSignWithRandom ({ message, ring, secretKey, scopes }: RingSignInput, random: RandomSource): RingSignature {
  if (!isBytes(message)) throw new TypeError('expected message bytes')
  const scopeProblem = scopesProblem(scopes)
  if (scopeProblem !== undefined) throw new RangeError(scopeProblem)
  const problem = ringProblem(ring)
  if (problem !== undefined) throw new RangeError(problem)
  const publicKey = authorPublicKey(secretKey)
  const pi = ring.findIndex((member) => equalBytes(member, publicKey))
  if (pi < 0) throw new RangeError("the signer's public key is not in the ring")

  const n = ring.length
  const H = scopes.map(hashToPoint)
  const tags = H.map((h) => mul(secretKey, h))
  const context = signedContext(message, ring, scopes)
  const hc = challenger(context, tags)
  const nonce = nonceStream(secretKey, context, random)
  const c: Uint8Array[] = new Array(n)
  const s: Uint8Array[] = new Array(n)

  const alpha = nonce()
  c[(pi + 1) % n] = hc(mulBase(alpha), H.map((h) => mul(alpha, h)))
  for (let k = 1; k < n; k++) {
    const i = (pi + k) % n
    const si = nonce()
    s[i] = si
    const ci = c[i]!
    c[(i + 1) % n] = hc(add(mulBase(si), mul(ci, ring[i]!)), H.map((h, j) => add(mul(si, h), mul(ci, tags[j]!))))
  }
  s[pi] = sodium.crypto_core_ristretto255_scalar_sub(alpha, sodium.crypto_core_ristretto255_scalar_mul(c[pi]!, secretKey))
  return { c0: c[0]!, s, tags }
}

/**
 * Verifies a bLSAG ring signature and its scoped link tags. Never throws: any malformed input is `false`.
 *
 * @example
 * ```ts
 * if (ringVerify({ message: id, ring, scopes, c0, s, tags })) { … }
 * ```
 */
export function ringVerify (input: RingVerifyInput): boolean {
  try {
    const { message, ring, s } = input
    if (!isBytes(message)) return false
    if (ringProblem(ring) !== undefined) return false
    if (!Array.isArray(s) || s.length !== ring.length) return false
    return verifyOverCheckedRing(input)
  } catch (err) {
    rethrowNotReady(err)
    return false
  }
}

/**
 * {@link ringVerify} for a caller that has already checked the ring's structure ({@link ringProblem})
 * and that `s` has one response per member, so no point of the ring is decoded twice. Never throws.
 *
 * @example
 * ```ts
 * if (ringProblem(ring) === undefined && s.length === ring.length) verifyOverCheckedRing({ message, ring, scopes, c0, s, tags })
 * ```
 */
export function verifyOverCheckedRing (input: RingVerifyInput): boolean {
  try {
    const { message, ring, scopes, c0, s, tags } = input
    if (scopesProblem(scopes) !== undefined) return false
    if (!Array.isArray(tags) || tags.length !== scopes.length) return false
    if (!tags.every((tag) => isValidPoint(tag) && !sodium.is_zero(tag))) return false
    if (!isCanonicalScalar(c0) || !s.every(isCanonicalScalar)) return false

    const H = scopes.map(hashToPoint)
    const hc = challenger(signedContext(message, ring, scopes), tags)
    let c = c0
    for (let i = 0; i < ring.length; i++) {
      const si = s[i]!
      const ci = c
      c = hc(add(mulBase(si), mul(ci, ring[i]!)), H.map((h, j) => add(mul(si, h), mul(ci, tags[j]!))))
    }
    return equalBytes(c, c0)
  } catch (err) {
    rethrowNotReady(err)
    return false
  }
}
