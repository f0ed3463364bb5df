/**
 * What a signature check found, remembered by the envelope's bytes with the nonce set to zero, not by the
 * bytes as sent: the nonce is the only field outside the proof of work (the encoding is canonical), so
 * re-mining the nonce of one signed post makes new bytes, never a new signature to check. Without it, a
 * peer cycling more re-mined copies of one ring post than the byte caches hold had every copy verified in
 * full, unpenalised, for as long as the post lived (final review of issue 12, High: 4,097 copies of one
 * 64-member ring post, ~50 ms each). Not keyed by what the proof of work hashes (powDigest): the id and
 * that digest hash the ring's lists without lengths, so a byte moved from c0 to the front of s[0] keeps
 * both, and such a copy (refused ERR_BAD_RING before its proof of work is even checked, so free to make)
 * overwrote the genuine post's verdict: every later copy of it refused, its honest forwarders penalised
 * (second read of issue 12, H1). The encoding carries every length, so two envelopes share a key only
 * when they differ in the nonce alone.
 */
import { ERROR_ACTIONS, Envelope, decodeEnvelope, gossipMessageId, toHex } from '@murmur/protocol'
import { Recent } from './recent.js'
import type { ErrorCode, InvalidEnvelope, ValidEnvelope, ValidationResult } from '@murmur/protocol'

/** Signatures remembered (valid or refused), as many as envelopes by bytes (VALID_CACHE_SIZE + INVALID_CACHE_SIZE). */
export const SIGNATURE_MEMO_SIZE = 8192

/**
 * The refusals a signature check can give once the checks before it passed (precheckEnvelope): they depend
 * on the signed fields and the signature alone, so they hold for every nonce. The others (time, proof of
 * work, form) are checked again on each envelope.
 */
const SIGNATURE_CODES: ReadonlySet<ErrorCode> = new Set(['ERR_BAD_SIGNATURE', 'ERR_BAD_RING'])

/** An envelope as the memo knows it: its key, and the nonce it carries. */
export interface SignedEnvelope {
  /** Hex of the message id of its bytes with the nonce zero. */
  key: string
  pow: bigint
}

/**
 * Signature verdicts by the envelope without its nonce, bounded (least recently used forgotten first).
 *
 * @example
 * ```ts
 * const memo = new SignatureMemo()
 * const signed = memo.signed(topic, bytes)
 * const known = signed === undefined ? undefined : memo.recall(signed)
 * // a signature checked before: only what the nonce and time change is checked
 * const result = known === undefined ? validateEnvelope(bytes, options) : precheckEnvelope(bytes, options).ok ? known : precheckEnvelope(bytes, options)
 * if (signed !== undefined) memo.note(signed, result)
 * ```
 */
export class SignatureMemo {
  private readonly verdicts: Recent<ValidEnvelope | InvalidEnvelope>

  /** At most `size` signatures. @default SIGNATURE_MEMO_SIZE */
  constructor (size: number = SIGNATURE_MEMO_SIZE) {
    this.verdicts = new Recent(size)
  }

  /**
   * The memo's view of an envelope of `topic` (a few hashes, no curve operation); undefined when it is no
   * envelope. `decoded`: what decodeEnvelope returned for these very bytes, when the caller decoded them
   * already (the intake decodes a message once for all its checks); never an envelope of other bytes.
   */
  signed (topic: string, envelope: Uint8Array, decoded?: Envelope): SignedEnvelope | undefined {
    // canonical bytes only (the validator's limits, re-encoded to the same bytes): two envelopes share a key
    // only when they differ in the nonce alone. Any other form (a junk field in front of the genuine one,
    // which a decode without limits skips) has no key, so its verdict is never kept for the genuine post;
    // nor has an envelope without exactly one auth (no post id, as postIdOf says)
    if (decoded === undefined) {
      try {
        decoded = decodeEnvelope(envelope)
      } catch {
        return undefined
      }
    }
    if ((decoded.oneTime === undefined) === (decoded.ring === undefined)) return undefined
    return { key: toHex(gossipMessageId(topic, Envelope.encode({ ...decoded, pow: 0n }))), pow: decoded.pow }
  }

  /**
   * What the check of this signature found before, for this envelope (its own nonce), or undefined. Only the
   * signature's part of the verdict: the caller checks the rest (precheckEnvelope) on these bytes.
   */
  recall ({ key, pow }: SignedEnvelope): ValidationResult | undefined {
    const known = this.verdicts.get(key)
    if (known === undefined || !known.ok) return known
    return { ...known, pow }
  }

  /** Remembers what the full check of an envelope found, when that holds for every nonce of it. */
  note ({ key }: SignedEnvelope, result: ValidationResult): void {
    if (result.ok || (ERROR_ACTIONS[result.code] === 'reject' && SIGNATURE_CODES.has(result.code))) this.verdicts.set(key, result)
  }
}
