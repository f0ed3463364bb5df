/**
 * Named errors of the stem. Match them on `err.name`.
 */

/** Thrown when bytes received on `/murmur/stem/3.0.0` do not form a stem frame. */
export class InvalidStemFrameError extends Error {
  static override readonly name = 'InvalidStemFrameError'
  override readonly name = 'InvalidStemFrameError'
  readonly code = 'ERR_BAD_STEM_FRAME'

  constructor (message = 'invalid stem frame') {
    super(message)
  }
}

/** Thrown (as a rejection of a pending send) when the stem stops before an own post left the node. */
export class StemStoppedError extends Error {
  static override readonly name = 'StemStoppedError'
  override readonly name = 'StemStoppedError'
  readonly code = 'ERR_STEM_STOPPED'

  constructor (message = 'the stem stopped before the post was sent') {
    super(message)
  }
}

/** Thrown when a stem post is written to a successor that has no connection any more. */
export class NoStemRouteError extends Error {
  static override readonly name = 'NoStemRouteError'
  override readonly name = 'NoStemRouteError'
  readonly code = 'ERR_NO_STEM_ROUTE'

  constructor (message = 'no connection to the stem successor') {
    super(message)
  }
}
