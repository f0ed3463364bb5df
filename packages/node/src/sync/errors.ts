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

/**
 * Thrown when a sync session runs into a limit its peer controls: more round trips than
 * SYNC_MAX_ROUND_TRIPS, or more ranges than the session's range budget (`SyncInit.sessionRanges`). Such a
 * session is not retried, and anti-entropy draws other peers first for a while, as after a stall.
 */
export class SyncLimitError extends Error {
  static override readonly name = 'SyncLimitError'
  override readonly name = 'SyncLimitError'
  readonly code = 'ERR_SYNC_LIMIT'

  constructor (message = 'the sync session ran into a limit', options?: ErrorOptions) {
    super(message, options)
  }
}
