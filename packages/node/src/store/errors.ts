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

/**
 * Thrown when the post store's database opens with damaged tables (blocks that fail their checksums: a
 * disk error, or bytes overwritten): reads would fail or return garbage. `location` is the database's
 * directory; moving it aside (`murmur repair`) and re-syncing from peers recovers.
 *
 * @example
 * ```ts
 * const db = await openDatabase(dataDir).catch((err) => {
 *   if (err.name === 'StoreDamagedError') console.error(err.message) // names the damaged file
 *   throw err
 * })
 * ```
 */
export class StoreDamagedError extends Error {
  static override name = 'StoreDamagedError'
  override name = 'StoreDamagedError'
  code = 'ERR_STORE_DAMAGED'
  /** The damaged database's directory. */
  readonly location: string

  constructor (location: string, damage: Array<{ file: string, reason: string }>) {
    const first = damage[0]
    super(`the post store in ${location} is damaged (${first === undefined ? 'unreadable' : `${first.file}: ${first.reason}`}${damage.length > 1 ? `, and ${damage.length - 1} more table${damage.length > 2 ? 's' : ''}` : ''})`)
    this.location = location
  }
}

/**
 * Thrown by `murmur repair` (moveAside) when the copy of the kept records cannot be written (a full disk,
 * a write error): the damaged store is left in place, untouched, and nothing is lost.
 *
 * @example
 * ```ts
 * await openDatabase(dataDir, { moveAside: report }).catch((err) => {
 *   if (err.name === 'RepairWriteError') console.error(err.message) // free some space, then repair again
 *   throw err
 * })
 * ```
 */
export class RepairWriteError extends Error {
  static override name = 'RepairWriteError'
  override name = 'RepairWriteError'
  code = 'ERR_REPAIR_WRITE'
}
