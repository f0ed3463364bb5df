/**
 * Stable error codes of protocol validation and what gossipsub does with each.
 * `reject` penalises the forwarding peer (malformed or forged input); `ignore` drops the message
 * without penalty (valid but unwanted: expired, early, duplicate).
 */
export const ERROR_ACTIONS = Object.freeze({
  ERR_TOO_LARGE: 'reject',
  ERR_MALFORMED: 'reject',
  ERR_NOT_CANONICAL: 'reject',
  ERR_BAD_CHANNEL: 'reject',
  ERR_BODY_TOO_LONG: 'reject',
  ERR_BAD_FIELD: 'reject',
  ERR_BAD_CREATED: 'reject',
  ERR_BAD_PADDING: 'reject',
  ERR_BAD_AUTH: 'reject',
  ERR_WRONG_TOPIC: 'reject',
  ERR_TOO_EARLY: 'ignore',
  ERR_EXPIRED: 'ignore',
  ERR_STALE_EPOCH: 'ignore',
  ERR_POW_TOO_LOW: 'reject',
  ERR_POW_POLICY: 'ignore',
  ERR_BAD_SIGNATURE: 'reject',
  ERR_BAD_RING: 'reject',
  ERR_BAD_SCOPE: 'reject',
  ERR_SEALED: 'ignore',
  ERR_BAD_SEAL: 'reject',
  ERR_DUPLICATE_TAG: 'ignore',
  ERR_DUPLICATE: 'ignore'
} as const)

/** A stable validation error code; see docs/PROTOCOL.md for the meaning of each. */
export type ErrorCode = keyof typeof ERROR_ACTIONS

/** What a gossip layer does with a message that failed with a given code. */
export type ErrorAction = 'reject' | 'ignore'

/**
 * Thrown by builders and decoders when input breaks the protocol; carries a stable `code`.
 *
 * @example
 * ```ts
 * try { validateChannel('no spaces') } catch (err) {
 *   if (err instanceof Error && err.name === 'ProtocolError') console.log((err as ProtocolError).code)
 * }
 * ```
 */
export class ProtocolError extends Error {
  static override readonly name = 'ProtocolError'
  override readonly name = 'ProtocolError'
  readonly code: ErrorCode

  constructor (code: ErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/**
 * Thrown when a long operation (proof-of-work mining) is cancelled through its AbortSignal.
 *
 * @example
 * ```ts
 * const controller = new AbortController()
 * controller.abort()
 * await buildEnvelope({ channel: '#lobby', body: 'hi', signal: controller.signal }) // rejects with AbortError
 * ```
 */
export class AbortError extends Error {
  static override readonly name = 'AbortError'
  override readonly name = 'AbortError'
  readonly code = 'ERR_ABORTED'

  constructor (message = 'The operation was aborted', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * Whether a code is one of the protocol's stable error codes.
 *
 * @example
 * ```ts
 * isErrorCode('ERR_EXPIRED') // true
 * ```
 */
export function isErrorCode (code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_ACTIONS, code)
}

/**
 * Thrown by builders when a ring member has used every rate-limit slot of the hour (K) or of the week (W)
 * in a channel: the network would refuse another post, and a reused slot would link the member's posts.
 *
 * @example
 * ```ts
 * try { await buildEnvelope(options) } catch (err) {
 *   if (err instanceof Error && err.name === 'RateLimitError') console.log('post again at', new Date((err as RateLimitError).retryAt * 1000))
 * }
 * ```
 */
export class RateLimitError extends Error {
  static override readonly name = 'RateLimitError'
  override readonly name = 'RateLimitError'
  readonly code = 'ERR_RATE_LIMITED'
  /** Which cap was reached: K per epoch, or W per week. */
  readonly limit: 'epoch' | 'week'
  /** Unix seconds when the next epoch or week starts, and a slot is free again. */
  readonly retryAt: number

  constructor (limit: 'epoch' | 'week', retryAt: number, message: string) {
    super(message)
    this.limit = limit
    this.retryAt = retryAt
  }
}
