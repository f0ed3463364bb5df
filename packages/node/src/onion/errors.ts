/**
 * Thrown by the onion sender when a post cannot leave through mixes: it knows too few mixes for a path,
 * no first mix took it, or it does not fit a packet. The node then sends the post through the stem.
 *
 * @example
 * ```ts
 * try { await onion.send(topic, envelope, expires) } catch (err) {
 *   if (err instanceof Error && err.name === 'NoMixPathError') await stem.send(topic, envelope, expires)
 * }
 * ```
 */
export class NoMixPathError extends Error {
  static override readonly name = 'NoMixPathError'
  override readonly name = 'NoMixPathError'
  readonly code = 'ERR_NO_MIX_PATH'
}

/** Thrown when a mix stream carries anything but exactly one packet (too short, too long, too slow). */
export class MixStreamError extends Error {
  static override readonly name = 'MixStreamError'
  override readonly name = 'MixStreamError'
  readonly code = 'ERR_ONION_SIZE'
}
