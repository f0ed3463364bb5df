/**
 * Named errors thrown by the post store. Match them on `err.name`, never with `instanceof`.
 */

/**
 * Thrown when {@link PostStore.put} or a lookup gets a value that breaks the store's contract
 * (wrong id length, missing parent …).
 *
 * @example
 * ```ts
 * try {
 *   await store.get(new Uint8Array(31))
 * } catch (err: any) {
 *   if (err.name === 'InvalidPostError') console.error(err.code) // 'ERR_INVALID_POST'
 * }
 * ```
 */
export class InvalidPostError extends Error {
  static override name = 'InvalidPostError'
  override name = 'InvalidPostError'
  code = 'ERR_INVALID_POST'
}

/**
 * Thrown when a record read back from the database cannot be decoded (a corrupt or foreign database).
 *
 * @example
 * ```ts
 * const entry = await store.get(id).catch((err) => {
 *   if (err.name === 'CorruptRecordError') return undefined // treat as missing, log err.code
 *   throw err
 * })
 * ```
 */
export class CorruptRecordError extends Error {
  static override name = 'CorruptRecordError'
  override name = 'CorruptRecordError'
  code = 'ERR_CORRUPT_RECORD'
}
