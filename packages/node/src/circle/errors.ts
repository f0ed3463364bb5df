/**
 * Errors of a node's circles. The node's CircleError has the name of the protocol's (callers match on
 * `err.name === 'CircleError'` and read `code`) and adds the codes of the node's own checks.
 */
import type { CircleErrorCode as ProtocolCircleErrorCode } from '@murmur/protocol'

/** Stable codes of the node's {@link CircleError}: the protocol's, and those of the node's circle service. */
export type CircleErrorCode = ProtocolCircleErrorCode
  /** No circle of that local name on this node. */
  | 'ERR_CIRCLE_UNKNOWN'
  /** A circle of that local name exists already on this node (or the invite's circle is held already). */
  | 'ERR_CIRCLE_EXISTS'
  /** A local circle name is empty or too long. */
  | 'ERR_CIRCLE_NAME'
  /** Only the circle's owner may do this (remove a member, rotate). */
  | 'ERR_CIRCLE_NOT_OWNER'
  /** No member of the roster matches the key or prefix given, or more than one does. */
  | 'ERR_CIRCLE_MEMBER'
  /** The post, reply or vote names a post this circle does not hold. */
  | 'ERR_CIRCLE_POST'
  /**
   * The owner rotated the circle as often as members follow (CIRCLE_ROTATIONS_PER_HOUR an hour,
   * CIRCLE_ROTATIONS_PER_DAY a day): the message says from when it may again.
   */
  | 'ERR_CIRCLE_RATE'
  /** The circle's record on this node cannot be read (its keys cannot be derived): listed as `damaged`. */
  | 'ERR_CIRCLE_DAMAGED'

/**
 * Thrown by `node.circles` methods; `code` is stable, the message one line a UI can show.
 *
 * @example
 * ```ts
 * try { await node.circles.post('friends', 'hi') } catch (err) {
 *   if (err instanceof Error && err.name === 'CircleError') console.log((err as CircleError).code)
 * }
 * ```
 */
export class CircleError extends Error {
  static override readonly name = 'CircleError'
  override readonly name = 'CircleError'
  readonly code: CircleErrorCode

  constructor (code: CircleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
