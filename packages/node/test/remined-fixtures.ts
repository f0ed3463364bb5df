/**
 * Copies of one envelope that differ only in their proof-of-work nonce: the one field the proof of work
 * does not cover, which anyone holding the envelope can re-mine (final review of issue 12, High).
 */
import { buildEnvelope, checkPow, compareBytes, decodeEnvelope, encodeEnvelope, generateAuthorKey, powDigest, validateEnvelope } from '@murmur/protocol'
import { PostIntake } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import type { PostStore } from '../src/internal.js'
import type { BuiltEnvelope, PostKind, ValidateOptions, ValidationResult } from '@murmur/protocol'

/**
 * `count` copies of `bytes` (post id `id`), each with another nonce that meets `bits`, none with the
 * envelope's own nonce.
 *
 * @example
 * ```ts
 * const copies = remined(built.bytes, built.id, requiredPowBits('POST', 4, { POST: 8 }), 64)
 * ```
 */
export function remined (bytes: Uint8Array, id: Uint8Array, bits: number, count: number): Uint8Array[] {
  const envelope = decodeEnvelope(bytes)
  const digest = powDigest(id, envelope)
  const own = envelope.pow
  const copies: Uint8Array[] = []
  for (let nonce = 0n; copies.length < count; nonce++) {
    if (nonce !== own && checkPow(digest, nonce, bits)) copies.push(encodeEnvelope({ ...envelope, pow: nonce }))
  }
  return copies
}

/** An intake over `store` whose verification pool counts its checks (on the main thread, as `validateEnvelope`). */
export function countingIntake (store: PostStore, powBits: Record<PostKind, number>): { intake: PostIntake, checks: () => number } {
  let checks = 0
  const offThread = async (envelope: Uint8Array, options: ValidateOptions): Promise<ValidationResult> => {
    checks++
    return validateEnvelope(envelope, options)
  }
  return { intake: new PostIntake({ store, powBits, announce: () => {}, offThread }), checks: () => checks }
}

/** A ring post in `channel` over four fresh members, signed by the first. */
export async function ringPost (channel: string, body: string): Promise<BuiltEnvelope> {
  const keys = Array.from({ length: 4 }, () => generateAuthorKey())
  const ring = keys.map((key) => key.publicKey).sort(compareBytes)
  return await buildEnvelope({ channel, body, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: 0, weekSlot: 0 } })
}
