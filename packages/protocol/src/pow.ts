import { concatBytes, u64be } from './bytes.js'
import { DEFAULT_POW_BITS, RING_POW_MEMBER_BITS, UNVERIFIED_EXTRA_BITS } from './constants.js'
import { AbortError } from './errors.js'
import type { PostKind } from './fields.js'
import { DOMAIN, sha256 } from './hash.js'

/** Progress of proof-of-work mining, reported between slices of work. */
export interface PowProgress {
  /** Nonces tried so far. */
  attempts: number
  /** Difficulty being mined, in leading zero bits. */
  bits: number
}

/** Options of {@link minePow}. */
export interface MinePowOptions {
  /** Cancels mining; the promise then rejects with an AbortError. */
  signal?: AbortSignal
  /** Called after each slice of work. */
  onProgress?: (progress: PowProgress) => void
  /**
   * Milliseconds of hashing between two yields to the event loop.
   *
   * @default 16
   */
  sliceMs?: number
}

/**
 * Number of leading zero bits of a byte string.
 *
 * @example
 * ```ts
 * leadingZeroBits(new Uint8Array([0, 0x0f])) // 12
 * ```
 */
export function leadingZeroBits (bytes: Uint8Array): number {
  let bits = 0
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8
      continue
    }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

/**
 * The proof-of-work hash `SHA-256("murmur/v2/pow" || w || u64be(nonce))`, `w` being the envelope's
 * {@link powDigest} (the id and the signature): 53 bytes, one SHA-256 compression per nonce.
 *
 * @example
 * ```ts
 * leadingZeroBits(powHash(powDigest(id, envelope), envelope.pow)) >= 16
 * ```
 */
export function powHash (digest: Uint8Array, nonce: bigint): Uint8Array {
  return sha256(DOMAIN.pow, digest, u64be(nonce))
}

/**
 * The ring term of the proof of work: bits added on top of a kind's base difficulty for a ring of
 * `ringSize` members, `max(0, ceil(log2(n) + RING_POW_MEMBER_BITS[kind]) − DEFAULT_POW_BITS[kind])`.
 * At the default base, 2^bits native hashes then cost at least what verifying n members costs, so an
 * invalid ring envelope costs its maker at least what it costs its victim to reject. 0 for one-time posts
 * (`ringSize` 0).
 *
 * @example
 * ```ts
 * ringPowBits('POST', 64) // 6: a 64-member POST needs 16 + 6 bits by default
 * ```
 */
export function ringPowBits (kind: PostKind, ringSize: number): number {
  if (!(ringSize >= 1)) return 0
  return Math.max(0, Math.ceil(Math.log2(ringSize) + RING_POW_MEMBER_BITS[kind]) - DEFAULT_POW_BITS[kind])
}

/**
 * The difficulty a post must meet: the configured base bits of its kind plus, for a ring-signed post, the
 * ring term ({@link ringPowBits}) for a ring of `ringSize` members, and for a one-time-signed POST or REPLY
 * (`ringSize` 0: unverified, no member stamp behind it) {@link UNVERIFIED_EXTRA_BITS}, so that it costs at
 * least a member's post over the smallest ring. Both terms are calibrated against the default base: a
 * deployment (or a test) that configures a lower base lowers the total by as much, and an invalid ring
 * envelope may then cost its maker less than it costs its victim to reject; a higher base only adds margin.
 *
 * @example
 * ```ts
 * requiredPowBits('VOTE', 16)        // 12 + 8
 * requiredPowBits('POST', 0)         // 16 + 4: unverified
 * requiredPowBits('POST', 0, { POST: 8 }) // 8 + 4
 * ```
 */
export function requiredPowBits (kind: PostKind, ringSize: number, base: Partial<Record<PostKind, number>> = {}): number {
  const extra = ringSize >= 1 ? ringPowBits(kind, ringSize) : kind === 'VOTE' ? 0 : UNVERIFIED_EXTRA_BITS
  return (base[kind] ?? DEFAULT_POW_BITS[kind]) + extra
}

/**
 * The protocol's floor of base proof-of-work bits per kind: {@link DEFAULT_POW_BITS}, or the node's own
 * setting where that is lower (a test network runs below the default). A post below the floor (plus the
 * ring term or the unverified extra) has not paid and its forwarder is penalised; one between the floor and a stricter local
 * setting is only dropped, since an honest relay with a lower setting forwards it in good faith.
 *
 * @example
 * ```ts
 * powFloorBits({ POST: 20 }) // { POST: 16, REPLY: 16, VOTE: 12 }
 * powFloorBits({ POST: 8 })  // { POST: 8, REPLY: 16, VOTE: 12 }
 * ```
 */
export function powFloorBits (own: Partial<Record<PostKind, number>> = {}): Record<PostKind, number> {
  const floor = { ...DEFAULT_POW_BITS }
  for (const kind of Object.keys(floor) as PostKind[]) floor[kind] = Math.min(floor[kind], own[kind] ?? floor[kind])
  return floor
}

/**
 * Checks a proof of work in one hash; `digest` is the envelope's {@link powDigest}.
 *
 * @example
 * ```ts
 * checkPow(powDigest(id, envelope), envelope.pow, 16) // true or false
 * ```
 */
export function checkPow (digest: Uint8Array, nonce: bigint, bits: number): boolean {
  return leadingZeroBits(powHash(digest, nonce)) >= bits
}

const yieldToEventLoop = async (): Promise<void> => {
  await new Promise<void>((resolve) => { setTimeout(resolve, 0) })
}

/**
 * Finds the smallest nonce ≥ 0 whose proof-of-work hash over `digest` (an envelope's {@link powDigest})
 * has at least `bits` leading zero bits.
 * Hashes in short slices and yields to the event loop between them, so it never blocks a node;
 * cancellable through `signal`, reporting progress through `onProgress`.
 *
 * @example
 * ```ts
 * const nonce = await minePow(powDigest(id, envelope), 16, { signal: AbortSignal.timeout(10_000), onProgress: (p) => console.log(p.attempts) })
 * ```
 */
export async function minePow (digest: Uint8Array, bits: number, options: MinePowOptions = {}): Promise<bigint> {
  if (!Number.isInteger(bits) || bits < 0 || bits > 256) {
    throw new RangeError(`expected proof-of-work bits in 0..256, got ${bits}`)
  }
  const sliceMs = options.sliceMs ?? 16
  const input = concatBytes([DOMAIN.pow, digest, new Uint8Array(8)])
  const view = new DataView(input.buffer, input.byteOffset + input.byteLength - 8, 8)
  let nonce = 0
  for (;;) {
    if (options.signal?.aborted === true) {
      throw new AbortError('proof-of-work mining was aborted')
    }
    const sliceEnd = performance.now() + sliceMs
    do {
      for (let i = 0; i < 256; i++, nonce++) {
        view.setUint32(0, Math.floor(nonce / 0x1_0000_0000), false)
        view.setUint32(4, nonce >>> 0, false)
        if (leadingZeroBits(sha256(input)) >= bits) {
          options.onProgress?.({ attempts: nonce + 1, bits })
          return BigInt(nonce)
        }
      }
    } while (performance.now() < sliceEnd)
    options.onProgress?.({ attempts: nonce, bits })
    await yieldToEventLoop()
  }
}
