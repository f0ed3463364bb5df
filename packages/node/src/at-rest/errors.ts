/**
 * Named errors of the at-rest encryption (the data dir's key file and what is sealed under it). Match them
 * on `err.name` and `err.code`, never with `instanceof`.
 */

/** Codes of {@link AtRestError}. */
export type AtRestErrorCode =
  /** The key file is missing while sealed data are there (a wipe was interrupted, or the file was deleted). */
  | 'ERR_AT_REST_KEY_MISSING'
  /** The key file is not 32 bytes, or is readable by other users. */
  | 'ERR_AT_REST_KEY_BAD'
  /** Sealed bytes do not open under this data dir's key (damaged, moved from another data dir, or the key was replaced). */
  | 'ERR_SEALED_DAMAGED'
  /** A secret file is in plain in a sealed data dir: someone else put it there; it was not read. */
  | 'ERR_PLAIN_FILE'
  /** The store's records are in plain in a data dir whose key exists: someone else put the store there; it was not read. */
  | 'ERR_PLAIN_STORE'
  /** `wipe` was pointed at a directory that is not a Murmur data dir (nothing was removed). */
  | 'ERR_NOT_A_DATA_DIR'
  /** `wipe` found the store open in another process (a chat, a relay, a daemon that did not stop; nothing was removed). */
  | 'ERR_DATA_DIR_IN_USE'

/**
 * Thrown when the data dir's at-rest key or something sealed under it cannot be used.
 *
 * @example
 * ```ts
 * try { await readSealedFile(dataDir, 'filters.json') } catch (err) {
 *   if ((err as AtRestError).code === 'ERR_SEALED_DAMAGED') console.error('filters.json is damaged')
 * }
 * ```
 */
export class AtRestError extends Error {
  static override readonly name = 'AtRestError'
  override readonly name = 'AtRestError'
  readonly code: AtRestErrorCode

  constructor (code: AtRestErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
