/**
 * Named errors of the `murmur` command. Match them on `err.name`, never with `instanceof`.
 */

/** Thrown when a command needs the daemon but none runs for the data dir. */
export class DaemonNotRunningError extends Error {
  static override readonly name = 'DaemonNotRunningError'
  override readonly name = 'DaemonNotRunningError'
  readonly code = 'ERR_DAEMON_NOT_RUNNING'

  constructor (message = 'the murmur daemon is not running') {
    super(message)
  }
}

/** Thrown when `murmur daemon` starts while another daemon already runs for the same data dir. */
export class DaemonAlreadyRunningError extends Error {
  static override readonly name = 'DaemonAlreadyRunningError'
  override readonly name = 'DaemonAlreadyRunningError'
  readonly code = 'ERR_DAEMON_RUNNING'

  constructor (message = 'a murmur daemon already runs for this data dir') {
    super(message)
  }
}

/** Thrown when arguments or input are not acceptable (bad channel name, bad id, body too long...). */
export class UsageError extends Error {
  static override readonly name = 'UsageError'
  override readonly name = 'UsageError'
  readonly code = 'ERR_USAGE'

  constructor (message = 'invalid arguments') {
    super(message)
  }
}

/** Thrown when the identity file is missing, unreadable, corrupt or readable by other users. */
export class IdentityError extends Error {
  static override readonly name = 'IdentityError'
  override readonly name = 'IdentityError'
  readonly code = 'ERR_IDENTITY'

  constructor (message = 'the author identity file cannot be used') {
    super(message)
  }
}

/**
 * Thrown by the control API client when the daemon refused a request. `code` is the daemon's error
 * code (e.g. `ERR_UNKNOWN_POST`, `ERR_BODY_TOO_LONG`), `status` the HTTP status.
 */
export class ApiError extends Error {
  static override readonly name = 'ApiError'
  override readonly name = 'ApiError'
  readonly code: string
  readonly status: number

  constructor (message: string, code: string, status: number) {
    super(message)
    this.code = code
    this.status = status
  }
}

/** Thrown when an operation was cancelled, e.g. proof-of-work mining interrupted with Ctrl-C. */
export class CancelledError extends Error {
  static override readonly name = 'CancelledError'
  override readonly name = 'CancelledError'
  readonly code = 'ERR_CANCELLED'

  constructor (message = 'cancelled') {
    super(message)
  }
}

/** Thrown by the control API when a request is malformed (bad JSON, missing or mistyped field). */
export class BadRequestError extends Error {
  static override readonly name = 'BadRequestError'
  override readonly name = 'BadRequestError'
  readonly code = 'ERR_BAD_REQUEST'

  constructor (message = 'bad request') {
    super(message)
  }
}

/** Thrown by the control API for an unknown route (`ERR_NOT_FOUND`) or post (`ERR_UNKNOWN_POST`). */
export class NotFoundError extends Error {
  static override readonly name = 'NotFoundError'
  override readonly name = 'NotFoundError'
  readonly code: string

  constructor (message = 'not found', code = 'ERR_NOT_FOUND') {
    super(message)
    this.code = code
  }
}
