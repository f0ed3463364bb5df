/**
 * Named errors thrown by `@murmur/node`. Match them on `err.name`, never with `instanceof`. An error
 * that wraps another keeps it as `cause`. The package also exports the errors of its parts that its
 * methods let through: AbortError and RateLimitError (from `@murmur/protocol`), StemStoppedError,
 * SyncStalledError, StoreDamagedError and the verification pool's errors.
 */

/** Thrown when a method is called on a node that has been stopped. */
export class NotStartedError extends Error {
  static override readonly name = 'NotStartedError'
  override readonly name = 'NotStartedError'
  readonly code = 'ERR_NOT_STARTED'

  constructor (message = 'the Murmur node is not running', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when a reply or vote names a post this node does not hold (never received, or expired). */
export class UnknownPostError extends Error {
  static override readonly name = 'UnknownPostError'
  override readonly name = 'UnknownPostError'
  readonly code = 'ERR_UNKNOWN_POST'

  constructor (message = 'no such post in the local store', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when `MurmurInit` holds a value the node cannot use. */
export class InvalidConfigError extends Error {
  static override readonly name = 'InvalidConfigError'
  override readonly name = 'InvalidConfigError'
  readonly code = 'ERR_INVALID_CONFIG'

  constructor (message = 'invalid Murmur configuration', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when a post would be refused by the network (body too long, bad ttl...); `code` is the protocol's error code. */
export class PostValidationError extends Error {
  static override readonly name = 'PostValidationError'
  override readonly name = 'PostValidationError'
  readonly code: string

  constructor (message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Thrown when a post cannot be sent and cannot be queued either because the outbox is full. */
export class OutboxFullError extends Error {
  static override readonly name = 'OutboxFullError'
  override readonly name = 'OutboxFullError'
  readonly code = 'ERR_OUTBOX_FULL'

  constructor (message = 'the outbox is full: no peer has been subscribed to these channels for a while', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when gossipsub refuses a publish for a reason other than "nobody is listening". */
export class PublishError extends Error {
  static override readonly name = 'PublishError'
  override readonly name = 'PublishError'
  readonly code = 'ERR_PUBLISH'

  constructor (message = 'gossipsub refused to publish', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when an option needs a capability this platform lacks (e.g. a file system in browsers). */
export class UnsupportedError extends Error {
  static override readonly name = 'UnsupportedError'
  override readonly name = 'UnsupportedError'
  readonly code = 'ERR_UNSUPPORTED'

  constructor (message = 'not supported on this platform', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when a channel name is not valid (`#name`, `geo:<geohash>` or `circle:<hex>`, 1..64 bytes). */
export class InvalidChannelError extends Error {
  static override readonly name = 'InvalidChannelError'
  override readonly name = 'InvalidChannelError'
  readonly code = 'ERR_BAD_CHANNEL'

  constructor (message = 'invalid channel name', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when a post id is not 64 hex characters. */
export class InvalidIdError extends Error {
  static override readonly name = 'InvalidIdError'
  override readonly name = 'InvalidIdError'
  readonly code = 'ERR_BAD_ID'

  constructor (message = 'invalid post id', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Thrown by `post()`, `reply()` and `vote()` while this node's clock is known to be off the network's by
 * more than the accepted skew (120 s): every other node would refuse the post. `offset` is the measured
 * offset in seconds (positive: this clock is ahead).
 */
export class ClockSkewError extends Error {
  static override readonly name = 'ClockSkewError'
  override readonly name = 'ClockSkewError'
  readonly code = 'ERR_CLOCK_SKEW'
  readonly offset: number

  constructor (offset: number, message = `this device's clock is about ${Math.abs(offset)} s ${offset > 0 ? 'ahead of' : 'behind'} the other nodes' (120 s are accepted): they would refuse the post; set the clock right (turn on automatic time) and try again`) {
    super(message)
    this.offset = offset
  }
}

/**
 * Thrown by `vote()` while this node holds no member stamp accepted now: only members' votes count, and
 * its stamp is still being minted (or membership is off). `readyAt`: unix seconds when the stamp being
 * minted is expected, when known (minting is a lottery: an estimate).
 */
export class StampNotReadyError extends Error {
  static override readonly name = 'StampNotReadyError'
  override readonly name = 'StampNotReadyError'
  readonly code = 'ERR_STAMP_NOT_READY'
  readonly readyAt?: number

  constructor (readyAt?: number, message = readyAt === undefined
    ? 'this node holds no member stamp yet: a vote counts only once its membership stamp is ready'
    : `this node holds no member stamp yet: a vote counts only once its membership stamp is ready (expected at ${new Date(readyAt * 1000).toISOString()})`) {
    super(message)
    this.readyAt = readyAt
  }
}

/**
 * Thrown by `vote()` when this node's member already voted on the post (its vote is stored, or on its way
 * out): one vote per member per post counts, and a second would be dropped by every node. Sending it
 * anyway would do worse than nothing: every relay drops it, so it would leave through this node itself, and
 * that would name its voter.
 */
export class AlreadyVotedError extends Error {
  static override readonly name = 'AlreadyVotedError'
  override readonly name = 'AlreadyVotedError'
  readonly code = 'ERR_ALREADY_VOTED'

  constructor (message = 'this member already voted on this post: one vote per member per post counts', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Thrown by `vote()` when this node's member directory holds no other member with a stamp accepted now:
 * a ring of the voter alone would name it. Retried once the directory has synced.
 */
export class NoDecoysError extends Error {
  static override readonly name = 'NoDecoysError'
  override readonly name = 'NoDecoysError'
  readonly code = 'ERR_NO_DECOYS'

  constructor (message = 'the member directory holds no other member yet: a vote signed now would name its voter', options?: ErrorOptions) {
    super(message, options)
  }
}
