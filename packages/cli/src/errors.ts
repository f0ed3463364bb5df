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

/**
 * Thrown when the program listening where api.json points cannot prove that it holds the daemon's
 * token: a daemon that stopped and another program at its address. Nothing was sent to it.
 */
export class UnverifiedDaemonError extends Error {
  static override readonly name = 'UnverifiedDaemonError'
  override readonly name = 'UnverifiedDaemonError'
  readonly code = 'ERR_DAEMON_UNVERIFIED'

  constructor (message = 'the program at the control API address could not prove it is the murmur daemon') {
    super(message)
  }
}

/** Thrown when the data dir belongs to another user or other users may read or write it. */
export class DataDirError extends Error {
  static override readonly name = 'DataDirError'
  override readonly name = 'DataDirError'
  readonly code = 'ERR_DATA_DIR'

  constructor (message = 'the data dir is not private to this user', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown by the control API when a request body is larger than it reads. */
export class PayloadTooLargeError extends Error {
  static override readonly name = 'PayloadTooLargeError'
  override readonly name = 'PayloadTooLargeError'
  readonly code = 'ERR_PAYLOAD_TOO_LARGE'

  constructor (message = 'request body too large') {
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

  constructor (message = 'invalid arguments', options?: ErrorOptions) {
    super(message, options)
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

  constructor (message: string, code: string, status: number, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.status = status
  }
}

/**
 * Thrown by the control API client when the daemon refused a vote because this node holds no member
 * stamp yet (the node's StampNotReadyError, `ERR_STAMP_NOT_READY`): only members' votes count. Its
 * message says when the stamp is expected; `readyAt` is that time in unix seconds, when known.
 */
export class StampNotReadyError extends Error {
  static override readonly name = 'StampNotReadyError'
  override readonly name = 'StampNotReadyError'
  readonly code = 'ERR_STAMP_NOT_READY'
  readonly readyAt?: number

  constructor (message = 'this node holds no member stamp yet', readyAt?: number, options?: ErrorOptions) {
    super(message, options)
    if (readyAt !== undefined) this.readyAt = readyAt
  }
}

/**
 * Thrown by the control API client when the daemon refused a vote because this node's member voted on
 * the post already (the node's AlreadyVotedError, `ERR_ALREADY_VOTED`): a vote is neither repeated nor
 * changed, and nothing was sent.
 */
export class AlreadyVotedError extends Error {
  static override readonly name = 'AlreadyVotedError'
  override readonly name = 'AlreadyVotedError'
  readonly code = 'ERR_ALREADY_VOTED'

  constructor (message = 'not voted: you voted on this post already', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Thrown when the daemon or the chat cannot start because the post store is damaged (the node's
 * StoreDamagedError, `ERR_STORE_DAMAGED`); the message says the `murmur repair` command to run.
 */
export class StoreDamagedError extends Error {
  static override readonly name = 'StoreDamagedError'
  override readonly name = 'StoreDamagedError'
  readonly code = 'ERR_STORE_DAMAGED'

  constructor (message = 'the post store is damaged', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Thrown when a post id prefix names more than one post (`ERR_AMBIGUOUS_ID`): `candidates` are their
 * full ids, the message lists each by the shortest prefix that tells it from the others.
 */
export class AmbiguousIdError extends Error {
  static override readonly name = 'AmbiguousIdError'
  override readonly name = 'AmbiguousIdError'
  readonly code = 'ERR_AMBIGUOUS_ID'
  readonly candidates: string[]

  constructor (message: string, candidates: string[]) {
    super(message)
    this.candidates = candidates
  }
}

/** Thrown when no post this node holds has the id or id prefix given (`ERR_UNKNOWN_POST`). */
export class UnknownPostError extends Error {
  static override readonly name = 'UnknownPostError'
  override readonly name = 'UnknownPostError'
  readonly code = 'ERR_UNKNOWN_POST'

  constructor (message = 'no such post') {
    super(message)
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
