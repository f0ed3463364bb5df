/**
 * Stable codes of an onion packet refused by a mix, or of a path the sender cannot wrap.
 * - `ERR_ONION_SIZE`: not exactly ONION_PACKET_BYTES.
 * - `ERR_ONION_POINT`: α is not a valid ristretto255 point (or gives the identity).
 * - `ERR_ONION_MAC`: γ does not authenticate β and δ: the packet was altered on the way (tagging) or
 *   was not made for this mix's key.
 * - `ERR_ONION_ROUTING`: the authenticated routing slot is not canonical (a hostile sender).
 * - `ERR_ONION_PAYLOAD`: the exit's plaintext is not canonical (length or padding).
 * - `ERR_ONION_REPLAY`: a replay tag this mix has seen under its key (checked by the mix, not here).
 * - `ERR_ONION_PATH`: the sender's path or message cannot be wrapped (no hop, too many hops, a key or
 *   PeerId of the wrong size, a delay out of range, a message too large, an ephemeral secret that is no canonical scalar).
 */
export type OnionErrorCode = 'ERR_ONION_SIZE' | 'ERR_ONION_POINT' | 'ERR_ONION_MAC' | 'ERR_ONION_ROUTING' | 'ERR_ONION_PAYLOAD' | 'ERR_ONION_REPLAY' | 'ERR_ONION_PATH'

/**
 * Thrown when an onion packet cannot be built from its inputs; `code` says which (see {@link OnionErrorCode}).
 *
 * @example
 * ```ts
 * try { wrapOnion({ hops: [], message }) } catch (err) {
 *   if (err instanceof Error && err.name === 'OnionError') console.log((err as OnionError).code) // 'ERR_ONION_PATH'
 * }
 * ```
 */
export class OnionError extends Error {
  static override readonly name = 'OnionError'
  override readonly name = 'OnionError'
  readonly code: OnionErrorCode

  constructor (code: OnionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
