/**
 * Named errors of history sync. Match them on `err.name`, never with `instanceof`.
 */

/**
 * Thrown when a sync session's peer stalls it: a message did not arrive within the idle timeout, or the
 * session outlasted its deadline. Anti-entropy then draws other peers before this one for a while.
 */
export class SyncStalledError extends Error {
  static override readonly name = 'SyncStalledError'
  override readonly name = 'SyncStalledError'
  readonly code = 'ERR_SYNC_STALLED'

  constructor (message = 'the sync peer stalled the session', options?: ErrorOptions) {
    super(message, options)
  }
}
