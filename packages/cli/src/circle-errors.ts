/**
 * Named errors and exit codes of the circle commands. Match errors on `err.name`, never `instanceof`.
 * A damaged invite is the protocol's InvalidInviteError (`ERR_INVITE_*`), thrown before anything is sent.
 */
import { CIRCLE_ROTATIONS_PER_DAY, CIRCLE_ROTATIONS_PER_HOUR } from '@murmur/node/circle-rate'
import { displayLine } from '@murmur/protocol'
import { CIRCLE_PREFIX } from './circle-name.js'

/** Exit codes of the circle commands, beside the others (constants.ts EXIT). */
export const CIRCLE_EXIT = {
  /** A damaged, cut or unknown-format invite (ERR_INVITE_*): nothing was sent, nothing changed. */
  BAD_INVITE: 8,
  /** No circle of that name on this node (ERR_CIRCLE_UNKNOWN). */
  UNKNOWN_CIRCLE: 9,
  /** The circle cannot be posted in yet (ERR_CIRCLE_RING): too few members past the newcomer delay, or you are a newcomer. */
  CANNOT_POST: 10,
  /** Only the circle's owner may do this (ERR_CIRCLE_NOT_OWNER). */
  NOT_OWNER: 11,
  /**
   * A removal past the rate members follow the owner's rotations at (ERR_CIRCLE_RATE): CIRCLE_ROTATIONS_PER_HOUR
   * an hour, CIRCLE_ROTATIONS_PER_DAY a day, several members removed at once counted once; the line says from when.
   */
  RATE: 12,
  /** This node cannot read its record of the circle (ERR_CIRCLE_DAMAGED): the line says what to do. */
  DAMAGED: 13
} as const

/** Exit code of each circle error code, as the daemon or the CLI says it. */
export const CIRCLE_EXIT_BY_CODE: Readonly<Record<string, number>> = {
  ERR_INVITE_FORMAT: CIRCLE_EXIT.BAD_INVITE,
  ERR_INVITE_TRUNCATED: CIRCLE_EXIT.BAD_INVITE,
  ERR_INVITE_CHECKSUM: CIRCLE_EXIT.BAD_INVITE,
  ERR_INVITE_VERSION: CIRCLE_EXIT.BAD_INVITE,
  ERR_INVITE_MALFORMED: CIRCLE_EXIT.BAD_INVITE,
  ERR_CIRCLE_UNKNOWN: CIRCLE_EXIT.UNKNOWN_CIRCLE,
  ERR_CIRCLE_RING: CIRCLE_EXIT.CANNOT_POST,
  ERR_CIRCLE_NOT_OWNER: CIRCLE_EXIT.NOT_OWNER,
  ERR_CIRCLE_RATE: CIRCLE_EXIT.RATE,
  ERR_CIRCLE_DAMAGED: CIRCLE_EXIT.DAMAGED
}

/** The circle exit codes for `--help`. */
export const CIRCLE_EXIT_HELP = `${CIRCLE_EXIT.BAD_INVITE} a damaged or cut invite (nothing changed), ${CIRCLE_EXIT.UNKNOWN_CIRCLE} no circle of that name here, ` +
  `${CIRCLE_EXIT.CANNOT_POST} a circle that cannot be posted in yet (it says why), ${CIRCLE_EXIT.NOT_OWNER} only the circle's owner may do that, ` +
  `${CIRCLE_EXIT.RATE} a removal past ${CIRCLE_ROTATIONS_PER_HOUR} an hour or ${CIRCLE_ROTATIONS_PER_DAY} a day (it says from when), ` +
  `${CIRCLE_EXIT.DAMAGED} a circle this node cannot read (it says what to do)`

/** Thrown when a command names a circle this node does not hold (`ERR_CIRCLE_UNKNOWN`); the message lists those it holds. */
export class UnknownCircleError extends Error {
  static override readonly name = 'UnknownCircleError'
  override readonly name = 'UnknownCircleError'
  readonly code = 'ERR_CIRCLE_UNKNOWN'

  constructor (circle: string, held: string[] = [], options?: ErrorOptions) {
    super(`no circle ${JSON.stringify(displayLine(circle))} here; ${held.length === 0
      ? 'you are in none yet: `murmur circle create NAME`, or `murmur circle join INVITE`'
      : `yours: ${held.map((name) => `${CIRCLE_PREFIX}${displayLine(name)}`).join(', ')}`}`, options)
  }
}

/**
 * Thrown before anything is written or mined when a circle cannot be posted in now (`ERR_CIRCLE_RING`):
 * the message says why (the circle's warning) and until when, where that is known.
 */
export class CircleNotReadyError extends Error {
  static override readonly name = 'CircleNotReadyError'
  override readonly name = 'CircleNotReadyError'
  readonly code = 'ERR_CIRCLE_RING'

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/** Thrown when a member who does not own a circle asks to remove a member (`ERR_CIRCLE_NOT_OWNER`): only the owner's rotations are followed. */
export class CircleNotOwnerError extends Error {
  static override readonly name = 'CircleNotOwnerError'
  override readonly name = 'CircleNotOwnerError'
  readonly code = 'ERR_CIRCLE_NOT_OWNER'

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Thrown before anything is sent when a command names a circle whose record this node cannot read (the
 * circle listed `damaged`, `ERR_CIRCLE_DAMAGED`): the message says what to do (circle-text.ts damagedLine).
 */
export class DamagedCircleError extends Error {
  static override readonly name = 'DamagedCircleError'
  override readonly name = 'DamagedCircleError'
  readonly code = 'ERR_CIRCLE_DAMAGED'

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
  }
}
