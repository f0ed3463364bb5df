/**
 * Onion packets for origin hiding (issue 19): Sphinx-style layered packets of one fixed size, wrapped by
 * an author for a path of mixes and peeled one layer per mix. Pure: no I/O, no clock.
 *
 * @example
 * ```ts
 * import { encodeOnionMessage, generateMixKey, unwrapOnion, wrapOnion } from '@murmur/protocol'
 *
 * const mix = generateMixKey()
 * const packet = wrapOnion({ hops: [{ publicKey: mix.publicKey, peerId, delay: 800 }], message: encodeOnionMessage({ kind: 'publish', topic, data }) })
 * const opened = unwrapOnion(packet, mix.secretKey) // { ok: true, kind: 'exit', message, ... }
 * ```
 */
export * from './constants.js'
export { OnionError } from './errors.js'
export type { OnionErrorCode } from './errors.js'
export { generateMixKey, isMixPublicKey } from './keys.js'
export type { MixKey } from './keys.js'
export { wrapOnion, unwrapOnion } from './packet.js'
export type { OnionHop, WrapOnionInput, OnionUnwrapped, OnionRefused, UnwrapOnionOptions } from './packet.js'
export { isOnionAddress, isOnionDelay, isOnionPeerId } from './routing.js'
export type { OnionRouting } from './routing.js'
export { ONION_LOOP_ID_BYTES, encodeOnionMessage, decodeOnionMessage, maxOnionData } from './message.js'
export type { OnionMessage } from './message.js'
