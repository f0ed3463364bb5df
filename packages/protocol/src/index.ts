/**
 * @packageDocumentation
 *
 * `@murmur/protocol` owns every byte Murmur puts on the wire: the protobuf envelope, the signed digest
 * and post id, proof of work, one-time Ed25519 authentication with per-thread pseudonyms, bLSAG ring
 * signatures with scoped link tags, circle sealing, and the validation pipeline. Pure functions, no I/O;
 * runs in Node.js and browsers. docs/PROTOCOL.md is the normative spec.
 *
 * @example
 * ```ts
 * import { buildEnvelope, validateEnvelope, channelTopic } from '@murmur/protocol'
 *
 * const { bytes, id } = await buildEnvelope({ channel: '#lobby', body: 'hello, anyone?' })
 * const result = validateEnvelope(bytes, { topic: channelTopic('#lobby') })
 * if (result.ok) console.log(result.post.body)
 * ```
 */

export * from './constants.js'
export { ERROR_ACTIONS, ProtocolError, AbortError, isErrorCode } from './errors.js'
export type { ErrorCode, ErrorAction } from './errors.js'
export { ready } from './sodium.js'
export { toHex, fromHex, compareBytes, equalBytes } from './bytes.js'
export { validateChannel, channelTopic, circleChannel, isCircleChannel } from './channel.js'
export { Post, Envelope, OneTimeAuth, RingAuth, decodeEnvelope, decodePost, encodeEnvelope, encodePost } from './codec.js'
export type { PostKind } from './fields.js'
export { signedDigest, messageId } from './digest.js'
export { minePow, checkPow, powHash, leadingZeroBits } from './pow.js'
export type { MinePowOptions, PowProgress } from './pow.js'
export { postScope, voteScope } from './scope.js'
export { oneTimeKey, pseudonymSeed, signOneTime, verifyOneTime } from './one-time.js'
export type { OneTimeKey } from './one-time.js'
export { generateAuthorKey, authorPublicKey, ringSign, ringVerify } from './ring.js'
export type { AuthorKey, RandomSource, RingSignInput, RingSignature, RingVerifyInput } from './ring.js'
export { sealCirclePost, openCirclePost } from './circle.js'
export { buildEnvelope } from './build.js'
export type { BuildEnvelopeOptions, BuiltEnvelope, OneTimeAuthOptions, RingAuthOptions } from './build.js'
export { isExpired, validateEnvelope } from './validate.js'
export type { ValidateOptions, ValidationResult, ValidEnvelope, InvalidEnvelope, AuthInfo } from './validate.js'
export * from './sync/index.js'
export { displayText, displayLine, pseudonymName, pseudonymHue, PSEUDONYM_NAME_BITS } from './display.js'
