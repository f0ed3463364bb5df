/**
 * Stable codes of member stamps and the member directory (docs/MEMBERSHIP.md), and what gossipsub does
 * with each. Apart from ERROR_ACTIONS (errors.ts): those are the codes of envelope validation only.
 */
export const STAMP_ERROR_ACTIONS = Object.freeze({
  /** Announcement above MAX_STAMP_BYTES. */
  ERR_TOO_LARGE: 'reject',
  /** Not a MemberStamp, or a field out of its type's range. */
  ERR_MALFORMED: 'reject',
  /** Decodes, but re-encodes to other bytes. */
  ERR_NOT_CANONICAL: 'reject',
  /** The member key is not a valid non-identity ristretto255 point. */
  ERR_BAD_MEMBER_KEY: 'reject',
  /** The Argon2id output has fewer leading zero bits than the difficulty: a bogus stamp. */
  ERR_BAD_STAMP: 'reject',
  /** The stamp's week is not accepted at this time (too early, or expired). */
  ERR_STAMP_WEEK: 'ignore',
  /** A ring names a member the directory holds no verified stamp for (at the post's time). */
  ERR_UNKNOWN_MEMBER: 'ignore',
  /** A ring has fewer members than the node asks for, and its directory holds enough. */
  ERR_RING_TOO_SMALL: 'ignore'
} as const)

/** A stable code of stamp verification and directory validation. */
export type StampErrorCode = keyof typeof STAMP_ERROR_ACTIONS

/**
 * Thrown by stamp decoders and by window arithmetic given unusable input; carries a stable `code`.
 *
 * @example
 * ```ts
 * try { decodeStamp(bytes) } catch (err) {
 *   if (err instanceof Error && err.name === 'StampError') console.log((err as StampError).code)
 * }
 * ```
 */
export class StampError extends Error {
  static override readonly name = 'StampError'
  override readonly name = 'StampError'
  readonly code: StampErrorCode

  constructor (code: StampErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
