/**
 * The plaintext of one hop's routing slot and of the exit's payload: fixed layouts, every unused byte
 * zero, so that a decoder has exactly one reading of each.
 */
import { ONION_LENGTH_BYTES, ONION_MAX_ADDRESS_BYTES, ONION_MAX_DELAY_MS, ONION_MAX_MESSAGE_BYTES, ONION_MAX_PEER_ID_BYTES, ONION_PAYLOAD_BYTES, ONION_ROUTING_BYTES } from './constants.js'

/**
 * What one hop does with a packet once it has held it `delay` milliseconds: send it to PeerId `next`
 * (at `address`, a multiaddr's bytes, when the sender knew one; empty: by PeerId alone), or deliver it.
 */
export type OnionRouting =
  | { kind: 'relay', delay: number, next: Uint8Array, address: Uint8Array }
  | { kind: 'exit', delay: number }

const RELAY = 1
const EXIT = 2

const allZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0)

/** Whether `delay` fits a routing slot: an integer number of milliseconds in [0, 65535]. */
export const isOnionDelay = (delay: unknown): delay is number =>
  Number.isInteger(delay) && (delay as number) >= 0 && (delay as number) <= ONION_MAX_DELAY_MS

/** Whether `peer` fits a routing slot as a next hop: 1 to 44 bytes. */
export const isOnionPeerId = (peer: unknown): peer is Uint8Array =>
  peer instanceof Uint8Array && peer.byteLength > 0 && peer.byteLength <= ONION_MAX_PEER_ID_BYTES

/** Whether `address` fits a routing slot as a next hop's address: 0 to 63 bytes. */
export const isOnionAddress = (address: unknown): address is Uint8Array =>
  address instanceof Uint8Array && address.byteLength <= ONION_MAX_ADDRESS_BYTES

const ADDRESS_AT = 4 + ONION_MAX_PEER_ID_BYTES

/** The ONION_ROUTING_BYTES of a routing slot (the caller has checked delay and next hop). */
export function encodeRouting (routing: OnionRouting): Uint8Array {
  const out = new Uint8Array(ONION_ROUTING_BYTES)
  const view = new DataView(out.buffer)
  out[0] = routing.kind === 'relay' ? RELAY : EXIT
  view.setUint16(1, routing.delay, false)
  if (routing.kind === 'relay') {
    out[3] = routing.next.byteLength
    out.set(routing.next, 4)
    out[ADDRESS_AT] = routing.address.byteLength
    out.set(routing.address, ADDRESS_AT + 1)
  }
  return out
}

/** The routing of a slot, or undefined when it is not canonical. */
export function decodeRouting (bytes: Uint8Array): OnionRouting | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const delay = view.getUint16(1, false)
  const length = bytes[3]!
  if (bytes[0] === EXIT) {
    return length === 0 && allZero(bytes.subarray(4)) ? { kind: 'exit', delay } : undefined
  }
  const addressLength = bytes[ADDRESS_AT]!
  if (bytes[0] !== RELAY || length === 0 || length > ONION_MAX_PEER_ID_BYTES || addressLength > ONION_MAX_ADDRESS_BYTES) return undefined
  if (!allZero(bytes.subarray(4 + length, ADDRESS_AT)) || !allZero(bytes.subarray(ADDRESS_AT + 1 + addressLength))) return undefined
  return { kind: 'relay', delay, next: bytes.slice(4, 4 + length), address: bytes.slice(ADDRESS_AT + 1, ADDRESS_AT + 1 + addressLength) }
}

/** The exit's plaintext of `message`: its length, itself, zeros to ONION_PAYLOAD_BYTES. */
export function encodePayload (message: Uint8Array): Uint8Array {
  const out = new Uint8Array(ONION_PAYLOAD_BYTES)
  new DataView(out.buffer).setUint16(0, message.byteLength, false)
  out.set(message, ONION_LENGTH_BYTES)
  return out
}

/** The message of an exit's plaintext, or undefined when its length or padding is not canonical. */
export function decodePayload (plain: Uint8Array): Uint8Array | undefined {
  const length = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint16(0, false)
  if (length > ONION_MAX_MESSAGE_BYTES || !allZero(plain.subarray(ONION_LENGTH_BYTES + length))) return undefined
  return plain.slice(ONION_LENGTH_BYTES, ONION_LENGTH_BYTES + length)
}
