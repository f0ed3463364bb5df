/**
 * Copies of one envelope that differ only in their proof-of-work nonce: the one field the proof of work
 * does not cover, which anyone holding the envelope can re-mine (final review of issue 12, High).
 */
import { checkPow, decodeEnvelope, encodeEnvelope, powDigest } from '@murmur/protocol'

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
