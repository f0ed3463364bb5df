/**
 * Errors of the membership layer's own state (member key, storage), each with a stable code.
 */

/** Stable codes of {@link MembershipError}. */
export type MembershipErrorCode =
  /** The stored member key is not a canonical non-zero ristretto255 scalar: never replaced silently. */
  | 'ERR_MEMBER_KEY_CORRUPT'
  /** A storage name outside the membership layer's own files. */
  | 'ERR_MEMBER_STORAGE_NAME'

/**
 * Thrown by the membership layer when its own state is unusable; carries a stable `code` and the `cause`.
 *
 * @example
 * ```ts
 * try { await openMemberState({ storage }) } catch (err) {
 *   if ((err as Error).name === 'MembershipError') console.log((err as MembershipError).code)
 * }
 * ```
 */
export class MembershipError extends Error {
  static override readonly name = 'MembershipError'
  override readonly name = 'MembershipError'
  readonly code: MembershipErrorCode

  constructor (code: MembershipErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
