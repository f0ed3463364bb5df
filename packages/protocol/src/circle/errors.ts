/** Stable codes of {@link InvalidInviteError}. */
export type InviteErrorCode =
  /** Not an invite at all: no `MURMUR:CIRCLE:` prefix, or characters outside base32. */
  | 'ERR_INVITE_FORMAT'
  /** The string was cut short: fewer bytes than its own layout declares. */
  | 'ERR_INVITE_TRUNCATED'
  /** The checksum does not match: a character was changed, dropped or added. */
  | 'ERR_INVITE_CHECKSUM'
  /** The checksum matches but the invite's format version is not one this code reads. */
  | 'ERR_INVITE_VERSION'
  /** The checksum matches but a field is out of range (only a hand-built invite gets here). */
  | 'ERR_INVITE_MALFORMED'

/**
 * Thrown by {@link decodeInvite} when a string is not a usable circle invite; `code` says why, the
 * message is one line a UI can show as it is.
 *
 * @example
 * ```ts
 * try { decodeInvite(text) } catch (err) {
 *   if (err instanceof Error && err.name === 'InvalidInviteError') console.log((err as InvalidInviteError).code)
 * }
 * ```
 */
export class InvalidInviteError extends Error {
  static override readonly name = 'InvalidInviteError'
  override readonly name = 'InvalidInviteError'
  readonly code: InviteErrorCode

  constructor (code: InviteErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Stable codes of {@link CircleError}. */
export type CircleErrorCode =
  /** A frame is not of circle format version 1, or its layout is broken. */
  | 'ERR_CIRCLE_FRAME'
  /** A frame's wire size is not one of CIRCLE_FRAME_BUCKETS. */
  | 'ERR_CIRCLE_SIZE'
  /** The frame's relay proof of work is below the required bits. */
  | 'ERR_CIRCLE_POW'
  /** The frame does not open with this circle's keys (not a member, another generation, or tampered). */
  | 'ERR_CIRCLE_SEAL'
  /** A roster record (join, invite, leave, rotation) is malformed or its signature does not verify. */
  | 'ERR_CIRCLE_RECORD'
  /** A ring is smaller than the circle's minimum ring size, or names a key that is not on the roster. */
  | 'ERR_CIRCLE_RING'
  /** A rotation is not signed by the circle's owner, or skips a generation. */
  | 'ERR_CIRCLE_ROTATION'

/**
 * Thrown (or returned in a result) by the circle frame, roster and rotation functions on bytes or
 * input that break the circle format; `code` is stable.
 *
 * @example
 * ```ts
 * const opened = openCircleFrame(keys, data)
 * if (!opened.ok) console.log(opened.code) // 'ERR_CIRCLE_SEAL' for a non-member's view
 * ```
 */
export class CircleError extends Error {
  static override readonly name = 'CircleError'
  override readonly name = 'CircleError'
  readonly code: CircleErrorCode

  constructor (code: CircleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
