import { toHex } from '../bytes.js'
import { buildEnvelopeWith } from '../build.js'
import type { BuildEnvelopeOptions, BuiltEnvelope, RingAuthOptions } from '../build.js'
import type { RandomSource } from '../ring.js'
import { randomBytes } from '../sodium.js'
import { validateEnvelope } from '../validate.js'
import type { InvalidEnvelope, ValidateOptions, ValidEnvelope } from '../validate.js'
import { CircleError } from './errors.js'
import type { CircleErrorCode } from './errors.js'
import { CircleRecordType, sealCircleFrameWith } from './frame.js'
import type { SealCircleFrameInit } from './frame.js'
import type { CircleKeys } from './keys.js'

/** What {@link buildCirclePost} needs: a v2 build without channel and key (the circle's), ring-signed. */
export interface BuildCirclePostOptions extends Omit<BuildEnvelopeOptions, 'channel' | 'circleKey' | 'auth'> {
  /** The ring: roster members (strictly ascending, the signer's key among them), at least `minRing`. */
  auth: RingAuthOptions
  /** The circle's minimum ring size (from its invite). */
  minRing: number
  /** Relay proof of work of the frame. */
  frame?: SealCircleFrameInit
}

/** A built circle post: the v2 envelope inside and the frame to publish on `keys.topic`. */
export interface BuiltCirclePost extends BuiltEnvelope {
  /** The circle frame: publish these bytes on the circle's topic. */
  frame: Uint8Array
}

/**
 * {@link buildCirclePost} with an injected source for every random choice (test vectors only; not
 * exported from the package).
 */
export async function buildCirclePostWith (keys: CircleKeys, options: BuildCirclePostOptions, random: RandomSource): Promise<BuiltCirclePost> {
  const { minRing, frame: frameInit, ...rest } = options
  if (options.auth?.kind !== 'ring') throw new CircleError('ERR_CIRCLE_RING', 'a circle post is ring-signed by members')
  if (options.auth.ring.length < minRing) {
    throw new CircleError('ERR_CIRCLE_RING', `a ring of ${options.auth.ring.length} is below the circle's minimum of ${minRing}: members would see it refused`)
  }
  const built = await buildEnvelopeWith({ ...rest, channel: keys.channel, circleKey: keys.postKey }, random)
  const frame = await sealCircleFrameWith(keys, CircleRecordType.ENVELOPE, built.bytes, random, { signal: options.signal, ...frameInit })
  return { ...built, frame }
}

/**
 * Builds a circle POST, REPLY or VOTE: a protocol v2 envelope on the circle's inner channel (ring-signed,
 * padded, its link tags scoped to the circle's inner topic: one vote per member per post, K posts per
 * member per hour, as in public channels), sealed into a frame so that the ring and the tags travel
 * inside the seal. Throws CircleError ERR_CIRCLE_RING when the ring is below `minRing`, and whatever
 * buildEnvelope throws (RateLimitError when the member's slots of the hour are used up).
 *
 * @example
 * ```ts
 * const { frame } = await buildCirclePost(keys, { body: 'hi', minRing: 5, auth: { kind: 'ring', ring, secretKey, sequence: (p) => counters.take(p) } })
 * ```
 */
export async function buildCirclePost (keys: CircleKeys, options: BuildCirclePostOptions): Promise<BuiltCirclePost> {
  return await buildCirclePostWith(keys, options, randomBytes)
}

/** What {@link validateCircleEnvelope} needs besides the keys. */
export interface ValidateCircleEnvelopeOptions extends Omit<ValidateOptions, 'topic' | 'circleKey'> {
  /** Whether a ring key (hex) is on this member's roster of the generation. */
  isMember: (ringKeyHex: string) => boolean
  /** The circle's minimum ring size. */
  minRing: number
}

/** Result of {@link validateCircleEnvelope}. */
export type CircleEnvelopeResult = ValidEnvelope | InvalidEnvelope | { ok: false, code: CircleErrorCode, reason: string }

/**
 * Validates the v2 envelope of an opened ENVELOPE frame: the whole pipeline of `validateEnvelope` on
 * the circle's inner topic (fields, padding, time, proof of work with its ring term, the ring signature
 * and its link tags), then what only a member can judge: every ring key on the roster, and at least
 * `minRing` of them (ERR_CIRCLE_RING). Never throws. The caller keeps link tags per scope as for a
 * public channel (one vote per member per post, K posts per member per hour).
 *
 * @example
 * ```ts
 * const result = validateCircleEnvelope(keys, opened.body, { isMember: (k) => roster.has(k), minRing: 5 })
 * if (result.ok) show(result.post.body, 'a member wrote this')
 * ```
 */
export function validateCircleEnvelope (keys: CircleKeys, envelope: Uint8Array, options: ValidateCircleEnvelopeOptions): CircleEnvelopeResult {
  const { isMember, minRing, ...rest } = options
  const result = validateEnvelope(envelope, { ...rest, topic: keys.innerTopic, circleKey: keys.postKey })
  if (!result.ok || result.auth.kind !== 'ring') return result.ok ? { ok: false, code: 'ERR_CIRCLE_RING', reason: 'a circle post is ring-signed' } : result
  if (result.auth.ring.length < minRing) return { ok: false, code: 'ERR_CIRCLE_RING', reason: `a ring of ${result.auth.ring.length}, below the circle's minimum of ${minRing}` }
  const stranger = result.auth.ring.find((key) => !isMember(toHex(key)))
  if (stranger !== undefined) return { ok: false, code: 'ERR_CIRCLE_RING', reason: 'the ring names a key that is not on this roster' }
  return result
}
